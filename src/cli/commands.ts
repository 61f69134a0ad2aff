// The commands of bin/fastd-ts, once main.ts has read the command line (and with it the
// configuration) the way fastd does. Every expected failure ends as one log line and a
// non-zero exit status, never as a stack trace.
import { usageText, UsageError, type CommandLine } from './options.js';
import { ConfigError, formatWarning } from '../config/errors.js';
import { configureLogging, EXIT_FAILURE, log } from '../log/logger.js';
import { derivePublicKey, generateSecretKey, keyToHex, parseKeyHex } from '../crypto/ec25519/keys.js';
import { VERSION_TEXT } from './version.js';
import { readDevelopmentSwitches } from './development-switches.js';
import { runDaemon } from '../engine/daemon/daemon.js';
import type { EarlySockets } from '../engine/net/early-sockets.js';
import type { HeldSignals } from './held-signals.js';

function fail(message: string): never {
  log.error(message);
  process.exit(EXIT_FAILURE);
}

function showGeneratedKey(machineReadable: boolean): void {
  const secret = generateSecretKey();
  if (machineReadable) {
    process.stdout.write(`${keyToHex(secret)}\n`);
    return;
  }
  process.stdout.write(`Secret: ${keyToHex(secret)}\nPublic: ${keyToHex(derivePublicKey(secret))}\n`);
}

function showPublicKey(command: CommandLine): void {
  const secretHex = command.config.secret;
  if (secretHex === undefined) fail('no secret key configured');
  const secret = parseKeyHex(secretHex);
  if (!secret) fail('invalid secret key');
  const publicKey = keyToHex(derivePublicKey(secret));
  process.stdout.write(command.machineReadable ? `${publicKey}\n` : `Public: ${publicKey}\n`);
}

/** What main.ts found before the rest of fastd-ts was loaded. */
export interface Start {
  /** The command line, or why it was refused. */
  readonly parsed: { readonly command: CommandLine } | { readonly error: unknown };
  readonly signals: HeldSignals;
  /** The daemon's UDP sockets, bound at once (undefined for other commands). */
  readonly sockets: EarlySockets | undefined;
}

export async function runCommand(start: Start): Promise<void> {
  try {
    await run(start);
  } catch (error) {
    // A bug, not bad input: say what it was without burying the log in a stack trace,
    // unless debugging was asked for.
    log.fatal(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof Error && error.stack) log.debug(error.stack);
    process.exit(EXIT_FAILURE);
  }
}

async function run({ parsed, signals, sockets }: Start): Promise<void> {
  if ('error' in parsed) {
    const { error } = parsed;
    if (error instanceof ConfigError || error instanceof UsageError) fail(error.message);
    throw error;
  }
  const { command } = parsed;
  if (command.command !== 'run' || sockets === undefined) signals.release();
  for (const warning of command.warnings) log.warn(formatWarning(warning));
  configureLogging(command.config.log);

  switch (command.command) {
    case 'help':
      process.stdout.write(usageText());
      return;
    case 'version':
      process.stdout.write(`${VERSION_TEXT}\n`);
      return;
    case 'generate-key':
      showGeneratedKey(command.machineReadable);
      return;
    case 'show-key':
      showPublicKey(command);
      return;
    case 'verify-config':
      return;
    case 'run':
      await runDaemon(command, {
        notifySocket: process.env.NOTIFY_SOCKET,
        switches: readDevelopmentSwitches(process.env),
        signals,
        sockets,
      });
  }
}
