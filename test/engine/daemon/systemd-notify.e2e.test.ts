// systemd readiness (issue 11 point 1): a test-side unix datagram receiver stands in for
// systemd's notify socket, a path or an abstract name (those are per network namespace, so
// the receiver runs in the daemon's). fastd-ts must send what Debian's fastd sends, one
// datagram "READY=1\nMAINPID=<pid>", with the port bound and the interface there. systemd
// itself does not run in this sandbox, so the shipped unit is not started here.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireTunnel, type DaemonKind } from '../../interop/harness/tunnel.js';
import { Daemon, DaemonGroup, loneDaemonSpec } from '../../interop/harness/daemon.js';
import { until } from '../../helpers/wait.js';
import { UNDERLAY_ADDRESSES, type Namespace } from '../../../src/testbed/namespaces.js';

const PYTHON = '/usr/bin/python3';
const PORT = 10_000;
const DEADLINE_MS = 30_000;

/** Binds a unix datagram socket (leading '@': abstract), says so, and prints the first datagram in hex. */
const RECEIVER = `
import socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + name[1:] if name[0] == '@' else name)
print('bound', flush=True)
sys.stdout.write(s.recv(4096).hex())
`;

/** One notification received by RECEIVER, or undefined if the receiver was stopped first. */
class Receiver {
  private output = '';
  readonly received: Promise<string | undefined>;

  constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.received = new Promise((resolve) =>
      child.once('exit', (code) => resolve(code === 0 ? Buffer.from(this.output.replace('bound\n', ''), 'hex').toString('utf8') : undefined)),
    );
  }

  static async start(namespace: Namespace, name: string): Promise<Receiver> {
    const receiver = new Receiver(spawn('ip', ['netns', 'exec', namespace.name, PYTHON, '-c', RECEIVER, name], { stdio: ['ignore', 'pipe', 'inherit'] }));
    await until('the notify receiver', DEADLINE_MS, () => (receiver.output.startsWith('bound') ? true : undefined));
    return receiver;
  }

  stop(): void {
    this.child.kill();
  }
}

const ok = requireTunnel('engine: systemd readiness against Debian fastd', { python3: existsSync(PYTHON) });

describe.runIf(ok)('systemd readiness ($NOTIFY_SOCKET)', () => {
  const group = new DaemonGroup('fastd-ts-notify-');
  const { dir, daemons } = group;

  function daemon(kind: DaemonKind, label: string, notifySocket: string): Daemon {
    const created = new Daemon(
      group.namespaces.sides[0],
      loneDaemonSpec(kind, label, `${UNDERLAY_ADDRESSES[0]}:${PORT}`, join(dir, `${label}.sock`), { env: { NOTIFY_SOCKET: notifySocket } }),
      dir,
      label,
    );
    daemons.push(created);
    return created;
  }

  /** The UDP sockets bound in the namespace, as `ss` lists them. */
  async function boundPorts(namespace: Namespace): Promise<string> {
    return (await namespace.run('ss', ['-Hnlu'])).stdout;
  }

  for (const kind of ['fastd', 'fastd-ts'] as const) {
    for (const socketKind of ['path', 'abstract'] as const) {
      it(`${kind} sends one "READY=1\\nMAINPID=<pid>" to a ${socketKind} socket, once bound and with its interface`, async () => {
        const label = `ntf-${kind === 'fastd' ? 'c' : 'ts'}-${socketKind[0]}`;
        const name = socketKind === 'path' ? join(dir, `${label}.notify`) : `@fastd-ts-test/${label}/${process.pid}`;
        const receiver = await Receiver.start(group.namespaces.sides[0], name);
        const subject = daemon(kind, label, name);
        try {
          subject.start();
          const message = await Promise.race([
            receiver.received,
            subject.waitForLog(/never/, DEADLINE_MS).then(() => undefined),
          ]);
          expect(message).toBe(`READY=1\nMAINPID=${subject.pid}`);
          expect(await boundPorts(group.namespaces.sides[0])).toContain(`${UNDERLAY_ADDRESSES[0]}:${PORT}`);
          expect(group.namespaces.sides[0].hasLink(label)).toBe(true);
        } finally {
          receiver.stop();
          await subject.stop();
        }
      }, 60_000);
    }
  }

  it('fastd-ts with a NOTIFY_SOCKET that does not exist runs on and says so once', async () => {
    const subject = daemon('fastd-ts', 'ntf-missing', join(dir, 'no-such-socket'));
    subject.start();
    try {
      await subject.waitForLog(/dropped capabilities/);
      await until('the status socket', DEADLINE_MS, () => (existsSync(subject.spec.statusSocket) ? true : undefined));
      expect(subject.running).toBe(true);
      const lines = readFileSync(subject.logPath, 'utf8').split('\n').filter((line) => /notify socket/.test(line));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Warning: unable to connect to notify socket: connect: No such file or directory/);
    } finally {
      await subject.stop();
    }
  }, 60_000);
});
