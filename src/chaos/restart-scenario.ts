// Scenario 2, crashes: kill -9 of either end and a start at once, with pings running through
// the tunnel all along. First the daemon under test (side b) dies, as a supernode whose
// process is killed by the OOM killer; then the router (side a, Debian fastd), as a router
// that loses power. Each kill comes when the session is older than fastd's 15 s quiet period,
// as on a real supernode (a session younger than that makes fastd ignore the other end's new
// handshake). Figures: seconds from the kill until pings come back, and until the daemon
// under test's status shows the router connected again (after its own restart: at all;
// after the router's: with data accepted on the router's new session).
import { setTimeout as sleep } from 'node:timers/promises';
import { TUNNEL_ADDRESSES, until } from '../bench/bench-tunnel.js';
import type { DaemonKind } from '../bench/report.js';
import { ChaosLab, type LabKeys } from './lab.js';
import { PingWatch } from './ping-watch.js';

/** Pings every 0.1 s: the recovery time is read to a tenth of a second. */
const PING_INTERVAL_SECONDS = 0.1;
/** fastd ignores a peer's new handshake for 15 s after a session began (MIN_HANDSHAKE_INTERVAL); a second more for the timers. */
export const SESSION_SETTLE_MS = 16_000;

export interface Recovery {
  /** Seconds from the kill until the new daemon's TAP interface was there (its start-up). */
  readonly startSeconds: number;
  /** Seconds from the kill until the first ping answered; undefined: not within the deadline. */
  readonly pingSeconds: number | undefined;
  /** Seconds from the kill until side b's status showed side a connected again; undefined: not within the deadline. */
  readonly statusSeconds: number | undefined;
}

export interface RestartFigures {
  readonly underTest: Recovery;
  readonly router: Recovery;
}

export async function runRestarts(kind: DaemonKind, keys: LabKeys, deadlineMs: number): Promise<RestartFigures> {
  const lab = ChaosLab.create({ kind, keys });
  try {
    await lab.start();
    const pings = PingWatch.start(lab.sides[0], TUNNEL_ADDRESSES[1], PING_INTERVAL_SECONDS);
    try {
      await sleep(SESSION_SETTLE_MS);
      const underTest = await killAndRestart(lab, 1, pings, deadlineMs);
      await sleep(SESSION_SETTLE_MS);
      const router = await killAndRestart(lab, 0, pings, deadlineMs);
      return { underTest, router };
    } finally {
      await pings.stop();
    }
  } finally {
    await lab.close();
  }
}

async function killAndRestart(lab: ChaosLab, index: 0 | 1, pings: PingWatch, deadlineMs: number): Promise<Recovery> {
  await lab.daemons[index].kill();
  const killedAt = Date.now();
  // A restarted router's data reaches b only on a new session (b keeps the old one meanwhile).
  const rxAtKill = index === 0 ? await lab.underTestRxPackets() : 0;
  await lab.startSide(index);
  const seconds = (at: number) => (at - killedAt) / 1000;
  const startSeconds = seconds(Date.now());
  const connected = async () => (await lab.underTestConnected()) && (await lab.underTestRxPackets()) > rxAtKill;
  const [pingSeconds, statusSeconds] = await Promise.all([
    pings.firstReplyAfter(killedAt, deadlineMs).then(seconds, () => undefined),
    // the status socket is not there while the daemon starts
    until('the router connected again in the status', deadlineMs, () => connected().catch(() => false)).then(
      () => seconds(Date.now()),
      () => undefined,
    ),
  ]);
  return { startSeconds, pingSeconds, statusSeconds };
}
