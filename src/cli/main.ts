// Entry point of bin/fastd-ts (after held-signals.ts): reads the command line and with it the
// configuration, binds the daemon's UDP sockets, and only then loads the rest of fastd-ts
// (commands.ts) to run the command; `fastd-ts status` goes to status-command.ts instead. Its
// imports are kept to the configuration and the sockets, so that the port is open within a few
// dozen milliseconds of exec, as fastd's is.
import { readFileSync } from 'node:fs';
import { bindEarly } from '../engine/net/early-sockets.js';
import { HeldSignals } from './held-signals.js';
import { parseCommandLine, type CommandLine } from './options.js';

function readStdin(): string {
  return readFileSync(0, 'utf8');
}

export async function main(argv: string[], signals = new HeldSignals()): Promise<void> {
  // fastd takes no positional arguments, so a first word `status` is our own subcommand
  if (argv[0] === 'status') {
    signals.release();
    const { runStatusCommand, INSTANCES_DIR } = await import('./status-command.js');
    const color = process.stdout.isTTY && process.env.NO_COLOR === undefined;
    process.exitCode = await runStatusCommand(argv.slice(1), { instancesDir: INSTANCES_DIR, color, write: (text) => process.stdout.write(text) });
    return;
  }
  let parsed: { command: CommandLine } | { error: unknown };
  try {
    parsed = { command: parseCommandLine(argv, readStdin) };
  } catch (error) {
    parsed = { error };
  }
  const sockets = 'command' in parsed && parsed.command.command === 'run' ? bindEarly(parsed.command.config) : undefined;
  const { runCommand } = await import('./commands.js');
  await runCommand({ parsed, signals, sockets });
}
