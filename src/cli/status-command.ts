// `fastd-ts status`: what a running fastd (ours or Debian's) says on its status socket, as a
// table (status/status-table.ts) or, with --json, the daemon's own text. The socket is named
// directly, found in a configuration (--config), or, with neither, in every instance's
// /etc/fastd/<instance>/fastd.conf, as fastd@.service lays them out.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../config/loader.js';
import { ConfigError } from '../config/errors.js';
import { EXIT_FAILURE } from '../log/logger.js';
import { fetchStatus, fetchStatusText, StatusClientError } from '../status/status-client.js';
import { asFastdStatus, formatStatusTable } from '../status/status-table.js';

export const STATUS_USAGE = `usage: fastd-ts status [SOCKET | --config FILE] [--json]

Shows the peers of a running fastd (fastd-ts or fastd) from its status socket: SOCKET, or
the \`status socket' of the configuration FILE, or, with neither, of each
/etc/fastd/<instance>/fastd.conf. --json prints the daemon's JSON document unchanged.
`;

/** Where fastd@.service's instances keep their configuration. */
export const INSTANCES_DIR = '/etc/fastd';

export interface StatusCommandOptions {
  readonly instancesDir: string;
  /** Colours for a terminal (the entry point decides: a TTY, and NO_COLOR unset). */
  readonly color: boolean;
  readonly write: (text: string) => void;
}

interface Target {
  /** How the output names it when it shows several. */
  readonly label: string;
  readonly socket: string;
}

class StatusUsageError extends Error {}

interface Arguments {
  readonly socket: string | undefined;
  readonly config: string | undefined;
  readonly json: boolean;
  readonly help: boolean;
}

function parseArguments(argv: readonly string[]): Arguments {
  let socket: string | undefined;
  let config: string | undefined;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--config' || arg === '-c') {
      config = argv[++i];
      if (config === undefined) throw new StatusUsageError(`${arg} needs a file`);
    } else if (arg.startsWith('-')) throw new StatusUsageError(`unknown option \`${arg}'`);
    else if (socket === undefined) socket = arg;
    else throw new StatusUsageError(`one status socket at a time, not \`${socket}' and \`${arg}'`);
  }
  if (socket !== undefined && config !== undefined) throw new StatusUsageError('name a socket or a configuration, not both');
  return { socket, config, json, help };
}

function socketOfConfig(file: string): string {
  const { statusSocket } = loadConfigFile(file, 'none').config;
  if (statusSocket === undefined) throw new StatusUsageError(`${file} sets no \`status socket'`);
  return statusSocket;
}

/** Every instance under `dir` whose fastd.conf sets a status socket. */
function instanceTargets(dir: string): Target[] {
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  const targets: Target[] = [];
  for (const name of names) {
    const file = join(dir, name, 'fastd.conf');
    if (!existsSync(file)) continue;
    const { statusSocket } = loadConfigFile(file, 'none').config;
    if (statusSocket !== undefined) targets.push({ label: name, socket: statusSocket });
  }
  if (targets.length === 0) throw new StatusUsageError(`no ${dir}/<instance>/fastd.conf sets a \`status socket'; name the socket or --config FILE`);
  return targets;
}

async function show(target: Target, json: boolean, options: StatusCommandOptions): Promise<void> {
  if (json) {
    const text = await fetchStatusText(target.socket);
    options.write(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  const status = asFastdStatus(await fetchStatus(target.socket));
  if (typeof status === 'string') throw new StatusClientError(`${target.socket}: ${status}`);
  options.write(formatStatusTable(status, { color: options.color }));
}

/** Runs the command; the exit status it ends with (messages go to stderr). */
export async function runStatusCommand(argv: readonly string[], options: StatusCommandOptions): Promise<number> {
  try {
    const args = parseArguments(argv);
    if (args.help) {
      options.write(STATUS_USAGE);
      return 0;
    }
    const targets: Target[] =
      args.socket !== undefined
        ? [{ label: args.socket, socket: args.socket }]
        : args.config !== undefined
          ? [{ label: args.config, socket: socketOfConfig(args.config) }]
          : instanceTargets(options.instancesDir);
    let failed = false;
    for (const [i, target] of targets.entries()) {
      // several instances: each under its name; one failing does not hide the others
      if (targets.length > 1 && !args.json) options.write(`${i > 0 ? '\n' : ''}instance: ${target.label}\n`);
      try {
        await show(target, args.json, options);
      } catch (error) {
        if (!(error instanceof StatusClientError) || targets.length === 1) throw error;
        process.stderr.write(`fastd-ts status: ${error.message}\n`);
        failed = true;
      }
    }
    return failed ? EXIT_FAILURE : 0;
  } catch (error) {
    if (error instanceof StatusUsageError) process.stderr.write(`fastd-ts status: ${error.message}\n\n${STATUS_USAGE}`);
    else if (error instanceof StatusClientError || error instanceof ConfigError) process.stderr.write(`fastd-ts status: ${error.message}\n`);
    else throw error;
    return EXIT_FAILURE;
  }
}
