// What each statement puts into the Config, and which later statement wins.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/loader.ts';
import { effectiveHook, effectiveMethods, peerLimits } from '../../src/config/lookup.ts';
import { configErrorOf, loadWithBasics, PUBLIC_KEYS, SECRET, withBasics } from './helpers.ts';

const load = loadWithBasics;
const errorOf = (text: string) => configErrorOf(() => loadConfigText(text))?.message ?? 'accepted';

describe('global statements', () => {
  it('has fastd defaults when nothing is set', () => {
    const config = load('');
    expect(config).toMatchObject({
      secret: SECRET,
      mode: 'tap',
      mtu: 1500,
      persistInterface: true,
      offloadL2tp: false,
      forward: false,
      packetMark: 0,
      binds: [],
      dropCapabilities: 'yes',
      interface: undefined,
      methods: ['null'],
    });
    expect(config.log).toEqual({
      stderrLevel: 'verbose',
      syslogLevel: undefined,
      syslogIdent: 'fastd',
      hideIpAddresses: false,
      hideMacAddresses: false,
    });
  });

  it('lets later settings override earlier ones', () => {
    const config = load('mtu 1400; mtu 1280; interface "a"; interface "b"; mode tun; mode multitap; forward yes;');
    expect(config).toMatchObject({ mtu: 1280, interface: 'b', mode: 'multitap', forward: true });
  });

  it('reads every bind form with its port, interface and default flags', () => {
    const config = load(`
      bind 192.0.2.1:10000 interface "eth0";
      bind [2001:db8::1] port 0 default ipv6;
      bind any;
      bind [fe80::1%eth1]:5 default;
      bind [::ffff:c000:202]:6;
      bind 192.0.2.3 default ipv4;`);
    expect(config.binds).toEqual([
      { family: 'ipv4', address: '192.0.2.1', port: 10000, interface: 'eth0' },
      { family: 'ipv6', address: '2001:db8::1', port: 0, interface: undefined },
      { family: 'any', address: '::', port: undefined, interface: undefined },
      { family: 'ipv6', address: 'fe80::1', port: 5, interface: 'eth1' },
      { family: 'ipv4', address: '192.0.2.2', port: 6, interface: undefined },
      { family: 'ipv4', address: '192.0.2.3', port: undefined, interface: undefined },
    ]);
    // The last address marked default wins; without any mark, the first usable one.
    expect(config.defaultBind).toEqual({ ipv4: 5, ipv6: 3 });
    expect(load('bind [::1]:1; bind 127.0.0.1:2; bind any:3;').defaultBind).toEqual({ ipv4: 1, ipv6: 0 });
  });

  it('applies `log level` to syslog when syslog is in use, as fastd does', () => {
    expect(load('log level debug;').log).toMatchObject({ stderrLevel: 'debug', syslogLevel: undefined });
    expect(load('log to syslog; log level warn;').log).toMatchObject({ stderrLevel: undefined, syslogLevel: 'warn' });
    expect(load('log to syslog; log to stderr level error; log level info;').log).toMatchObject({
      stderrLevel: 'info',
      syslogLevel: 'info',
    });
    expect(load('log to syslog as "vpn" level debug2; hide ip addresses yes; hide mac addresses yes;').log).toEqual({
      stderrLevel: undefined,
      syslogLevel: 'debug2',
      syslogIdent: 'vpn',
      hideIpAddresses: true,
      hideMacAddresses: true,
    });
  });

  it('records hooks with their sync flag and the directory of their file', () => {
    const config = load('on pre-up "a"; on post-down "b"; on up "c"; on down sync "d"; on verify async "e";');
    expect(config.onPreUp).toMatchObject({ command: 'a', sync: true, dir: process.cwd() });
    expect(config.onPostDown).toMatchObject({ command: 'b', sync: true });
    expect(config.peerGroup.hooks.onUp).toMatchObject({ command: 'c', sync: false });
    expect(config.peerGroup.hooks.onDown).toMatchObject({ command: 'd', sync: true });
    expect(config.onVerify).toMatchObject({ command: 'e', sync: false });
    expect(config.onVerifyGroup).toBe(config.peerGroup);
  });

  it('keeps the remaining settings', () => {
    const config = load(`user "nobody"; group "nogroup"; drop capabilities early; status socket "/run/x.sock";
      packet mark 0x2a; persist interface no; cipher "salsa2012" use "nacl"; mac "uhash" use "builtin";`);
    expect(config).toMatchObject({
      user: 'nobody',
      group: 'nogroup',
      dropCapabilities: 'early',
      statusSocket: '/run/x.sock',
      packetMark: 42,
      persistInterface: false,
      cipherImplementations: { salsa2012: 'nacl' },
      macImplementations: { uhash: 'builtin' },
    });
  });

  it('warns about deprecated and truncated settings instead of failing', () => {
    const { warnings, config } = loadConfigText(withBasics('secure handshakes yes;\npacket mark 0x100000001;\nmethod "null";'));
    expect(warnings.map((w) => [w.message, w.location?.line])).toEqual([
      ["'secure handshakes' configuration is deprecated, insecure handshakes are not supported anymore", 3],
      ['packet mark truncated to 32 bits', 4],
    ]);
    expect(config.packetMark).toBe(1);
  });

  it('falls back to the null method with fastd warning when none is configured', () => {
    const { warnings, config } = loadConfigText(withBasics(''));
    expect(warnings.map((w) => w.message)).toEqual([
      "no encryption method configured, falling back to method `null' (unencrypted)",
    ]);
    expect(config.peerGroup.methods).toEqual(['null']);
  });
});

describe('peers and peer groups', () => {
  it('reads a peer with every statement', () => {
    const config = loadConfigText(`secret "${SECRET}"; mode tun;
      peer "full" {
        key "${PUBLIC_KEYS[0].toUpperCase()}";
        remote 192.0.2.1:1; remote ipv6 "h.example" port 2; remote [fe80::1%eth0]:3; remote [2001:db8::7]:4;
        float yes; mtu 1400; interface "full0";
      }`).config;
    expect(config.peers).toHaveLength(1);
    const [peer] = config.peers;
    expect(peer).toMatchObject({ name: 'full', key: PUBLIC_KEYS[0], floating: true, mtu: 1400, interface: 'full0' });
    expect(peer.remotes).toEqual([
      { kind: 'address', family: 'ipv4', address: '192.0.2.1', port: 1 },
      { kind: 'hostname', family: 'ipv6', hostname: 'h.example', port: 2 },
      { kind: 'hostname', family: 'ipv6', hostname: 'fe80::1%eth0', port: 3 },
      { kind: 'address', family: 'ipv6', address: '2001:db8::7', port: 4 },
    ]);
    expect(peer.group).toBe(config.peerGroup);
  });

  it('builds the group tree with inherited methods, hooks and limits', () => {
    const config = load(`method "salsa2012+umac";
      on establish "root-hook";
      peer group "outer" {
        peer limit 3;
        method "null";
        peer group "inner" {
          peer limit 1;
          on establish "inner-hook";
          peer "deep" { key "${PUBLIC_KEYS[0]}"; }
        }
      }`);
    const outer = config.peerGroup.children[0];
    const inner = outer.children[0];
    expect([outer.name, inner.name, inner.parent, outer.parent]).toEqual(['outer', 'inner', outer, config.peerGroup]);
    expect(effectiveMethods(inner)).toEqual(['null']);
    expect(effectiveMethods(config.peerGroup)).toEqual(['salsa2012+umac']);
    expect(effectiveHook(outer, 'onEstablish')?.command).toBe('root-hook');
    expect(effectiveHook(inner, 'onEstablish')?.command).toBe('inner-hook');
    expect(peerLimits(inner).map((l) => l.limit)).toEqual([1, 3]);
    expect(config.peers.find((p) => p.name === 'deep')?.group).toBe(inner);
    expect(config.methods).toEqual(['salsa2012+umac', 'null']);
  });

  it('drops repeated method names as fastd does', () => {
    expect(load('method "null"; method "salsa2012+umac"; method "null";').peerGroup.methods).toEqual([
      'null',
      'salsa2012+umac',
    ]);
  });

  it('is deeply frozen', () => {
    const config = load('bind any:1; peer group "g" { method "null"; }');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.binds[0])).toBe(true);
    expect(Object.isFrozen(config.peerGroup.children[0].methods)).toBe(true);
    expect(Object.isFrozen(config.peers[0].remotes)).toBe(true);
    expect(() => (config.binds as unknown as unknown[]).push(1)).toThrow(TypeError);
  });
});

describe('start-up checks made at load time', () => {
  it('needs a valid secret', () => {
    const peer = `peer "p" { key "${PUBLIC_KEYS[0]}"; }`;
    expect(errorOf(peer)).toBe('config error: no secret key configured');
    expect(errorOf(`secret "${SECRET.slice(2)}"; ${peer}`)).toBe('config error: invalid secret key at <stdin>:1:8');
    expect(errorOf(`secret "01${SECRET.slice(2)}"; ${peer}`)).toBe('config error: invalid secret key at <stdin>:1:8');
  });

  it('needs peers, a peer directory or an on-verify command', () => {
    expect(errorOf(`secret "${SECRET}";`)).toBe('config error: neither fixed peers nor peer dirs have been configured');
    expect(errorOf(`secret "${SECRET}"; on verify "true";`)).toBe('accepted');
  });

  it('skips the checks a command does not need', () => {
    expect(loadConfigText('mtu 1400;', 'none').config.mtu).toBe(1400);
    expect(loadConfigText(`secret "${SECRET}";`, 'secret').config.secret).toBe(SECRET);
    expect(() => loadConfigText('mtu 1400;', 'secret')).toThrow('no secret key configured');
  });

  it('refuses interface names that would clash when the interfaces are created', () => {
    const two = `peer "a" { key "${PUBLIC_KEYS[0]}"; } peer "b" { key "${PUBLIC_KEYS[1]}"; }`;
    expect(errorOf(`secret "${SECRET}"; mode tun; interface "x%n"; ${two}`)).toBe('accepted');
    expect(errorOf(`secret "${SECRET}"; mode multitap; interface "%k"; ${two}`)).toBe('accepted');
    expect(errorOf(`secret "${SECRET}"; mode tun; interface "0123456789abcde%n"; ${two}`)).toMatch(
      /interface name `0123456789abcde' would be used by peers <a> and <b>/,
    );
  });

  it('warns that a fixed interface name is ignored when every peer gets an interface', () => {
    const two = `peer "a" { key "${PUBLIC_KEYS[0]}"; } peer "b" { key "${PUBLIC_KEYS[1]}"; }`;
    const { warnings } = loadConfigText(`secret "${SECRET}"; mode tun; interface "fixed"; method "null"; ${two}`);
    expect(warnings.map((w) => w.message)).toEqual([
      "interface name `fixed' is ignored: in tun mode every peer has its own interface, use a %n or %k pattern",
    ]);
  });
});
