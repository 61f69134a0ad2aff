// The example configurations in conf/ must be valid for fastd-ts (and for Debian's fastd:
// shipped-examples.e2e.test.ts), and must fit together: the client's supernodes and the
// supernode's routers share keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/loader.ts';
import { loadPeerDir } from '../../src/config/peer-dir.ts';
import { CONF, EXAMPLES, publicKeyOf } from './helpers.ts';

describe('shipped example configurations', () => {
  it.each(EXAMPLES)('%s loads with the start-up checks and no warnings', (name) => {
    const { warnings } = loadConfigFile(join(CONF, name));
    expect(warnings).toEqual([]);
  });

  it('gluon-client.conf is a Gluon-style router', () => {
    const { config } = loadConfigFile(join(CONF, 'gluon-client.conf'));
    expect(config).toMatchObject({ interface: 'mesh-vpn', mtu: 1312, methods: ['salsa2012+umac', 'null'] });
    const backbone = config.peerGroup.children[0].children[0];
    expect([backbone.name, backbone.peerLimit]).toEqual(['backbone', 1]);
    const supernodes = config.peers.filter((peer) => peer.group === backbone);
    expect(supernodes.length).toBeGreaterThanOrEqual(3);
    for (const peer of supernodes) expect(peer.remotes.some((remote) => remote.kind === 'hostname')).toBe(true);
  });

  it('supernode.conf knows the client by the key of its secret, and the client knows the supernode', () => {
    const client = loadConfigFile(join(CONF, 'gluon-client.conf')).config;
    const supernode = loadConfigFile(join(CONF, 'supernode.conf')).config;
    const routers = supernode.peerGroup.children.find((group) => group.name === 'routers');
    expect(routers?.peerDirs).toEqual([join(CONF, 'peers')]);
    const loaded = loadPeerDir(join(CONF, 'peers'), routers!);
    expect(loaded.errors).toEqual([]);
    expect(loaded.peers.map((peer) => peer.key)).toContain(publicKeyOf(client.secret!));
    expect(client.peers.map((peer) => peer.key)).toContain(publicKeyOf(supernode.secret!));
    expect(supernode.onVerify?.command).toBe('/etc/fastd/supernode/verify-peer.sh');
    expect(supernode.statusSocket).toBe('/run/fastd-supernode.sock');
  });

  it('fastd-ts@.service starts fastd-ts with the instance configuration, as fastd@.service starts fastd', () => {
    const unit = readFileSync(join(CONF, 'fastd-ts@.service'), 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/fastd-ts .*--config \/etc\/fastd\/%I\/fastd\.conf$/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });
});
