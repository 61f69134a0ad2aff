// Hooks declared `sync` block as fastd's do (src/shell.c fastd_shell_command_exec): the hook
// has ended before anything else on the control plane happens. In the daemon, the status
// socket (served by the control plane) answers only once a sync `on establish` has ended.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import type { ShellCommand } from '../../../src/config/types.js';
import { runHook } from '../../../src/engine/control/hooks.js';
import { haveNetns, isRoot, requireSystem } from '../../helpers/prereq.js';
import { cleanUpEverything, haveFastdTsBuild, Tunnel } from '../../interop/harness/tunnel.js';
import { until } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'fastd-ts-sync-hooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function command(text: string, sync: boolean): ShellCommand {
  return { command: text, sync, dir, source: undefined };
}

describe('sync and async hooks', () => {
  it('a sync hook has ended when runHook returns, before the promise is awaited', async () => {
    const marker = join(dir, 'sync-done');
    const status = runHook(command(`sleep 0.3; echo done > ${marker}; exit 4`, true), {});
    expect(readFileSync(marker, 'utf8')).toBe('done\n');
    expect(await status).toBe(4);
  });

  it('an async hook runs beside the caller; its promise resolves when it ends', async () => {
    const marker = join(dir, 'async-done');
    const status = runHook(command(`sleep 0.3; echo done > ${marker}; exit 5`, false), {});
    expect(existsSync(marker)).toBe(false);
    expect(await status).toBe(5);
    expect(readFileSync(marker, 'utf8')).toBe('done\n');
  });

  it('a sync hook whose directory is gone reports 126, as fastd\'s child does', async () => {
    const gone: ShellCommand = { command: 'true', sync: true, dir: join(dir, 'missing'), source: undefined };
    expect(await runHook(gone, {})).toBe(126);
  });
});

const ok = requireSystem('engine: sync hooks in the daemon', {
  root: isRoot,
  netns: haveNetns,
  'fastd-ts build (npm run build)': haveFastdTsBuild,
});

const HOOK_SECONDS = 2;
const DEADLINE_MS = 30_000;

describe.runIf(ok)('sync hooks in the daemon', () => {
  afterAll(() => cleanUpEverything());

  it('the control plane waits for a sync `on establish`: the status socket answers only after it ended', async () => {
    const events = join(dir, 'establish-events');
    const establish = `on establish sync "echo begin >> ${events}; sleep ${HOOK_SECONDS}; echo end >> ${events}"`;
    const tunnel = Tunnel.create({
      mode: 'tap',
      methods: ['salsa2012+umac'],
      sides: [
        { kind: 'fastd-ts', initiates: true, extraStatements: [establish] },
        { kind: 'fastd-ts', initiates: false },
      ],
    });
    onTestFailed(() => {
      process.stderr.write(`----- logs\n${tunnel.logs()}\n`);
    });
    try {
      await tunnel.start();
      await until('on establish to begin', DEADLINE_MS, () =>
        existsSync(events) && readFileSync(events, 'utf8').startsWith('begin') ? true : undefined,
      );
      await tunnel.status(0);
      expect(readFileSync(events, 'utf8')).toBe('begin\nend\n');
      expect(await tunnel.timeToFirstReply(0, DEADLINE_MS / 1000)).toBeDefined();
    } finally {
      await tunnel.close();
    }
  });
});
