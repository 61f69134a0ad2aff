// Entry point of bin/fastd-ts: reads the command line (and with it the configuration) the
// way fastd does, then runs the command it names. Every expected failure ends as one log
// line and a non-zero exit status, never as a stack trace.
import { readFileSync } from 'node:fs';
import { parseCommandLine, usageText, UsageError, type CommandLine } from './options.js';
import { ConfigError, formatWarning } from '../config/errors.js';
import { configureLogging, log } from '../log/logger.js';
import { derivePublicKey, generateSecretKey, keyToHex, parseKeyHex } from '../crypto/ec25519/keys.js';
import { VERSION_TEXT } from './version.js';
import { runDaemon } from '../engine/daemon.js';

/** fastd's exit status for a failed start (exit_error in src/log.h). */
const EXIT_FAILURE = 1;

function readStdin(): string {
  return readFileSync(0, 'utf8');
}

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

export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (error) {
    // A bug, not bad input: say what it was without burying the log in a stack trace,
    // unless debugging was asked for.
    log.fatal(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof Error && error.stack) log.debug(error.stack);
    process.exit(EXIT_FAILURE);
  }
}

async function run(argv: string[]): Promise<void> {
  let command: CommandLine;
  try {
    command = parseCommandLine(argv, readStdin);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) fail(error.message);
    throw error;
  }
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
      await runDaemon(command, { notifySocket: process.env.NOTIFY_SOCKET });
  }
}
