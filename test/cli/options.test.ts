// fastd's command line: each option, the order they apply in, and fastd's usage errors
// (options.e2e.test.ts compares the help and the errors with Debian's fastd).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine, usageText } from '../../src/cli/options.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { makeTree, PUBLIC_KEYS, SECRET } from '../config/helpers.ts';
import { usageError } from './usage-error.ts';

const PEER = `peer "p" { key "${PUBLIC_KEYS[0]}"; }`;

function files() {
  const dir = makeTree({
    'main.conf': `secret "${SECRET}";\nmtu 1300;\n${PEER}\n`,
    'other.conf': 'mtu 1280;\ninterface "from-file";\n',
    'peer.conf': `key "${PUBLIC_KEYS[1]}";\nremote 192.0.2.1:1;\n`,
    'peers/x': `key "${PUBLIC_KEYS[2]}";\n`,
  });
  return { dir, main: join(dir, 'main.conf'), other: join(dir, 'other.conf') };
}

describe('command line', () => {
  it('runs by default and reads config files where they appear', () => {
    const { main, other } = files();
    const line = parseCommandLine(['-c', main, '--mtu', '1400', '--config', other]);
    expect(line.command).toBe('run');
    expect(line.config.mtu).toBe(1280);
    expect(line.config.interface).toBe('from-file');
    expect(parseCommandLine(['--mtu', '1400', '-c', main]).config.mtu).toBe(1300);
    expect(parseCommandLine(['-c', main, '-M', '1400']).config.mtu).toBe(1400);
  });

  it('puts the peer state file beside the status socket unless --peer-state-file names one, or "" none', () => {
    const { main } = files();
    expect(parseCommandLine(['-c', main]).config.peerStateFile).toBeUndefined();
    expect(parseCommandLine(['-c', main, '--status-socket', '/run/fastd.sock']).config.peerStateFile).toBe('/run/fastd.sock.peers');
    expect(parseCommandLine(['-c', main, '--status-socket', '/run/fastd.sock', '--peer-state-file', '/var/lib/fastd-ts/peers']).config.peerStateFile).toBe('/var/lib/fastd-ts/peers');
    expect(parseCommandLine(['-c', main, '--status-socket', '/run/fastd.sock', '--peer-state-file', '']).config.peerStateFile).toBeUndefined();
  });

  it('chooses the I/O backend with --io-backend (a fastd-ts extension), in order with the config file', () => {
    const { main } = files();
    expect(parseCommandLine(['-c', main]).config.ioBackend).toBe('io_uring');
    expect(parseCommandLine(['-c', main, '--io-backend', 'fallback']).config.ioBackend).toBe('fallback');
    expect(parseCommandLine(['--io-backend', 'fallback', '-c', '-'], () => `secret "${SECRET}"; ${PEER} io backend "io_uring";`).config.ioBackend).toBe('io_uring');
    expect(usageError(['--io-backend', 'epoll'])).toBe("invalid I/O backend `epoll'");
  });

  it('reads `-c -` from stdin, with includes relative to the working directory', () => {
    const line = parseCommandLine(['-c', '-'], () => `secret "${SECRET}"; ${PEER} mode tun;`);
    expect(line.config.mode).toBe('tun');
  });

  it('applies every option with an argument', () => {
    const { dir, main } = files();
    const line = parseCommandLine([
      '-c', main, '--pid-file', '/run/f.pid', '--status-socket', '/run/f.sock', '--config-peer', join(dir, 'peer.conf'),
      '--config-peer-dir', join(dir, 'peers'), '--user', 'nobody', '--group', 'nogroup', '--log-level', 'debug2',
      '--syslog-level', 'warn', '--syslog-ident', 'fd', '-m', 'multitap', '-i', 'fd-%k', '-b', '[::1%lo]:5',
      '-p', 'ec25519-fhmqvc', '--method', 'salsa2012+umac', '--on-pre-up', 'a', '--on-up', 'b', '--on-down', 'c',
      '--on-post-down', 'd', '--on-connect', 'e', '--on-establish', 'f', '--on-disestablish', 'g', '--on-verify', 'h',
    ]);
    const { config } = line;
    expect(config).toMatchObject({
      pidFile: '/run/f.pid',
      statusSocket: '/run/f.sock',
      user: 'nobody',
      group: 'nogroup',
      mode: 'multitap',
      interface: 'fd-%k',
      binds: [{ family: 'ipv6', address: '::1', port: 5, interface: 'lo' }],
      methods: ['salsa2012+umac'],
    });
    expect(config.log).toMatchObject({ stderrLevel: 'debug2', syslogLevel: 'warn', syslogIdent: 'fd' });
    expect(config.peers.map((peer) => [peer.name, peer.key])).toEqual([
      ['p', PUBLIC_KEYS[0]],
      [undefined, PUBLIC_KEYS[1]],
    ]);
    expect(config.peerGroup.peerDirs).toEqual([join(dir, 'peers')]);
    const hooks = config.peerGroup.hooks;
    expect([config.onPreUp, hooks.onUp, hooks.onDown, config.onPostDown].map((h) => [h?.command, h?.sync])).toEqual([
      ['a', true], ['b', true], ['c', true], ['d', true],
    ]);
    expect([hooks.onConnect, hooks.onEstablish, hooks.onDisestablish, config.onVerify].map((h) => [h?.command, h?.sync])).toEqual([
      ['e', false], ['f', false], ['g', false], ['h', false],
    ]);
    expect(config.onVerifyGroup).toBe(config.peerGroup);
  });

  it('applies every flag', () => {
    const { main } = files();
    const line = parseCommandLine(['-c', main, '-d', '--hide-ip-addresses', '--hide-mac-addresses', '--forward', '--machine-readable']);
    expect(line.config).toMatchObject({ daemon: true, forward: true });
    expect(line.config.log).toMatchObject({ hideIpAddresses: true, hideMacAddresses: true });
    expect(line.machineReadable).toBe(true);
  });

  it('reads every --bind form', () => {
    const { main } = files();
    const binds = (arg: string) => parseCommandLine(['-c', main, '-b', arg]).config.binds[0];
    expect(binds('192.0.2.1:10000')).toEqual({ family: 'ipv4', address: '192.0.2.1', port: 10000, interface: undefined });
    expect(binds('192.0.2.1')).toMatchObject({ port: undefined });
    expect(binds('any:7')).toEqual({ family: 'any', address: '::', port: 7, interface: undefined });
    expect(binds('[2001:db8::1]')).toMatchObject({ family: 'ipv6', address: '2001:db8::1', port: undefined });
    expect(binds('1.2.3.4:')).toMatchObject({ port: 0 });
  });

  it('chooses the command as fastd does', () => {
    const { main } = files();
    expect(parseCommandLine(['--generate-key']).command).toBe('generate-key');
    expect(parseCommandLine(['--generate-key', '--show-key', '-c', main]).command).toBe('show-key');
    expect(parseCommandLine(['-c', main, '--show-key', '--generate-key']).command).toBe('generate-key');
    expect(parseCommandLine(['--show-key', '-c', main, '--verify-config']).command).toBe('verify-config');
    expect(parseCommandLine(['-h', '--no-such-option']).command).toBe('help');
    expect(parseCommandLine(['--version', '-c', '/nonexistent']).command).toBe('version');
  });

  it('checks only what the command needs', () => {
    expect(parseCommandLine(['--generate-key', '--mtu', '1400']).config.mtu).toBe(1400);
    expect(() => parseCommandLine(['--show-key'])).toThrow(ConfigError);
    expect(() => parseCommandLine(['--verify-config'])).toThrow('no secret key configured');
  });

  it("words usage errors as fastd does", () => {
    expect(usageError(['--bogus'])).toBe("command line error: unknown option `--bogus'; see --help for usage");
    expect(usageError(['--mtu=1400'])).toBe("command line error: unknown option `--mtu=1400'; see --help for usage");
    expect(usageError(['-c'])).toBe("command line error: option `-c' needs an argument; see --help for usage");
    expect(usageError(['--mtu', '0x600'])).toBe("invalid mtu `0x600'");
    expect(usageError(['--mtu', '575'])).toBe("invalid mtu `575'");
    expect(usageError(['--mode', 'tunnel'])).toBe("invalid mode `tunnel'");
    expect(usageError(['--log-level', 'trace'])).toBe("invalid log level `trace'");
    expect(usageError(['-b', '::1'])).toBe("invalid bind address `:'");
    expect(usageError(['-b', '[::1'])).toBe("invalid bind address `[::1'");
    expect(usageError(['-b', '[::x]:1'])).toBe("invalid bind address `[::x]'");
    expect(usageError(['-b', '1.2.3.4:70000'])).toBe("invalid bind port `70000'");
    expect(usageError(['-p', 'other'])).toBe("config error: protocol `other' not supported");
    expect(usageError(['-i', 'a/b'])).toBe("invalid interface name `a/b'");
  });

  it('accepts numbers the way strtol does', () => {
    expect(parseCommandLine(['--generate-key', '--mtu', ' +1400']).config.mtu).toBe(1400);
  });

  it('passes config errors through with their position', () => {
    const dir = makeTree({ 'bad.conf': 'mtu 1400;\nfoo;\n' });
    expect(() => parseCommandLine(['-c', join(dir, 'bad.conf')])).toThrow(`syntax error at ${join(dir, 'bad.conf')}:2:1`);
  });
});

describe('usage text', () => {
  it('lists every option once', () => {
    for (const option of ['--help, -h', '--config, -c <filename>', '--bind, -b <address>[:<port>]', '--machine-readable']) {
      expect(usageText()).toContain(option);
    }
  });

  it('lists the fastd-ts extensions after fastd\'s options', () => {
    expect(usageText().startsWith(usageText(false))).toBe(true);
    expect(usageText().slice(usageText(false).length)).toContain('--io-backend io_uring|fallback');
  });
});
