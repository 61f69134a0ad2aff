// Scenario 3, a bad edit of the key repository: with the router's session up and pings
// running, broken files land in the daemon under test's peer directory and it gets SIGHUP,
// as an operator's `systemctl reload` after a bad `git pull` would: a syntax error, a file
// that cannot be read (a dangling symlink: root reads any plain file), and a second file with
// another peer's key. Each time: does the router's session stay up (no ping lost, the same
// session), and what the daemon logs about the file. Then the broken file is fixed and
// SIGHUP must pick the new peer up. Last (optional), the router's own file gets a syntax
// error: fastd drops a peer whose definition is gone, so the session ends; how long after the
// fix pings come back.
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPair } from '../bench/daemon.js';
import { TUNNEL_ADDRESSES, until } from '../bench/bench-tunnel.js';
import type { DaemonKind } from '../bench/report.js';
import { ChaosLab, type LabKeys, PEER_FILE } from './lab.js';
import { PingWatch } from './ping-watch.js';

const PING_INTERVAL_SECONDS = 0.05;
/** Time a reload gets before its effect is read. */
const RELOAD_SETTLE_MS = 1_500;
/** Longest log line kept for the table. */
const LOG_LINE_CHARS = 120;
/** The time stamp both daemons put before a line on stderr ("2026-12-06 17:01:56 +0000 --- "). */
const LOG_STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} --- /;

export type BreakageName = 'syntax error' | 'unreadable (dangling symlink)' | 'duplicate key';

export interface Breakage {
  readonly name: BreakageName;
  /** The router's session survived: the status shows the session begun before the reload. */
  readonly routerKept: boolean;
  /** Pings lost meanwhile (on this loaded machine, one now and then with either daemon). */
  readonly lostPings: number;
  /** The daemon's log lines about the file after the SIGHUP (empty: it said nothing). */
  readonly logLines: readonly string[];
}

/** The router's own file broken, then fixed. */
export interface OwnFileBreakage {
  readonly routerKept: boolean;
  readonly logLines: readonly string[];
  /** Seconds from the SIGHUP after the fix until pings came back; undefined: not within the deadline. */
  readonly backSeconds: number | undefined;
}

export interface ReloadFigures {
  readonly breakages: readonly Breakage[];
  /** Pings lost while the other peers' files were broken and fixed (before the router's own file). */
  readonly lostBesideOwnFile: number;
  readonly ownFile: OwnFileBreakage | undefined;
  /** Seconds from the SIGHUP after the fix until the status listed the new peer; undefined: not within the deadline. */
  readonly fixSeconds: number | undefined;
}

/** The other keys the peer directory gets: one peer there from the start, one the fixed file brings. */
export interface ReloadKeys {
  readonly spare: string;
  readonly added: string;
}

export function reloadKeys(): ReloadKeys {
  return { spare: generateKeyPair().public, added: generateKeyPair().public };
}

export async function runReload(kind: DaemonKind, keys: LabKeys, extra: ReloadKeys, deadlineMs: number, breakOwnFile: boolean): Promise<ReloadFigures> {
  const lab = ChaosLab.create({ kind, keys });
  const file = (name: string) => join(lab.peerDir, name);
  writeFileSync(file('spare'), `key "${extra.spare}";\n`);
  try {
    await lab.start();
    const pings = PingWatch.start(lab.sides[0], TUNNEL_ADDRESSES[1], PING_INTERVAL_SECONDS);
    const sessionBegan = Date.now();
    const breakages: Breakage[] = [];
    let fixSeconds: number | undefined;
    let lostBesideOwnFile = 0;
    let ownFile: OwnFileBreakage | undefined;
    const reload = async (fileName: string) => {
      const logBefore = lab.underTest.log().length;
      process.kill(lab.underTest.pid, 'SIGHUP');
      await sleep(RELOAD_SETTLE_MS);
      return lab.underTest
        .log()
        .slice(logBefore)
        .split('\n')
        .filter((line) => line.includes(fileName))
        .map((line) => line.trim().replace(LOG_STAMP, '').replaceAll(lab.peerDir, '<peers>').slice(0, LOG_LINE_CHARS));
    };
    try {
      const steps: [BreakageName, string, () => void][] = [
        // the closing semicolon missing before the next statement
        ['syntax error', 'new-router', () => writeFileSync(file('new-router'), `key "${extra.added}"\nremote "198.51.100.9" port 10000;\n`)],
        ['unreadable (dangling symlink)', 'lost-router', () => symlinkSync('/nonexistent/fastd-peer', file('lost-router'))],
        ['duplicate key', 'spare-copy', () => writeFileSync(file('spare-copy'), `key "${extra.spare}";\n`)],
      ];
      for (const [name, fileName, breakIt] of steps) {
        const tallyBefore = pings.lostSoFar();
        breakIt();
        const logLines = await reload(fileName);
        const sameSession = (await lab.underTestConnected()) && !(await lab.underTestConnected(Date.now() - sessionBegan));
        const lostPings = pings.lostSoFar() - tallyBefore;
        breakages.push({ name, routerKept: sameSession, lostPings, logLines });
      }
      rmSync(file('lost-router'));
      rmSync(file('spare-copy'));
      writeFileSync(file('new-router'), `key "${extra.added}";\n`);
      process.kill(lab.underTest.pid, 'SIGHUP');
      const fixedAt = Date.now();
      fixSeconds = await until('the fixed peer in the status', deadlineMs, async () => (await lab.underTestPeerName(extra.added)) === 'new-router').then(
        () => (Date.now() - fixedAt) / 1000,
        () => undefined,
      );
      await sleep(RELOAD_SETTLE_MS);
      lostBesideOwnFile = pings.lostSoFar();
      if (breakOwnFile) {
        writeFileSync(file(PEER_FILE), `key "${keys.a.public}"\nfloat yes;\n`);
        const logLines = await reload(PEER_FILE);
        const routerKept = await lab.underTestConnected();
        writeFileSync(file(PEER_FILE), `key "${keys.a.public}";\n`);
        const fixedAt = Date.now();
        process.kill(lab.underTest.pid, 'SIGHUP');
        const backSeconds = await pings.firstReplyAfter(fixedAt, deadlineMs).then(
          (at) => (at - fixedAt) / 1000,
          () => undefined,
        );
        ownFile = { routerKept, logLines, backSeconds };
      }
    } catch (error) {
      await pings.stop();
      throw error;
    }
    await pings.stop();
    return { breakages, fixSeconds, lostBesideOwnFile, ownFile };
  } finally {
    await lab.close();
  }
}
