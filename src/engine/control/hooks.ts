// Shell hooks (`on up`, `on establish`, `on verify`, ...) run as fastd runs them
// (src/shell.c): `/bin/sh -c command` in the directory of the config that set the hook, with
// the environment fastd builds for that hook. fastd sets a variable it knows and *unsets*
// one it has no value for, so a stale INTERFACE from the daemon's own environment never
// leaks into a hook. A hook declared `sync` blocks the main thread until it ends, as fastd
// blocks its one thread: nothing on the control plane moves meanwhile (the datapath worker
// keeps forwarding). Other hooks run beside the event loop.
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type { ShellCommand } from '../../config/types.js';
import { log } from '../../log/logger.js';
import type { Endpoint } from '../datapath/messages.js';
import { hookAddress } from './endpoints.js';

/** A hook's variables; undefined values are removed from the inherited environment. */
export type HookEnvironment = Readonly<Record<string, string | undefined>>;

export interface InterfaceInfo {
  readonly name: string;
  readonly mtu: number;
}

/** fastd_shell_env_set_iface: INTERFACE and INTERFACE_MTU (unset when the MTU is unknown). */
export function interfaceEnvironment(iface: InterfaceInfo | undefined): HookEnvironment {
  return {
    INTERFACE: iface?.name,
    INTERFACE_MTU: iface && iface.mtu !== 0 ? String(iface.mtu) : undefined,
  };
}

function addressEnvironment(endpoint: Endpoint | undefined, addressVar: string, portVar: string): HookEnvironment {
  if (!endpoint) return { [addressVar]: undefined, [portVar]: undefined };
  return { [addressVar]: hookAddress(endpoint), [portVar]: String(endpoint.port) };
}

interface PeerHookContext {
  /** Our public key, 64 hex digits. */
  readonly localKey: string;
  /** undefined for a handshake to an unknown peer (fast reconnect's `on connect`). */
  readonly peer: { readonly name: string | undefined; readonly key: string } | undefined;
  /** The peer's own interface (TUN/multitap), or the TAP interface. */
  readonly iface: InterfaceInfo | undefined;
  readonly local: Endpoint | undefined;
  readonly remote: Endpoint | undefined;
}

/** fastd_peer_set_shell_env plus the protocol's LOCAL_KEY/PEER_KEY, in fastd's order. */
export function peerEnvironment(context: PeerHookContext): HookEnvironment {
  return {
    PEER_NAME: context.peer?.name,
    ...interfaceEnvironment(context.iface),
    ...addressEnvironment(context.local, 'LOCAL_ADDRESS', 'LOCAL_PORT'),
    ...addressEnvironment(context.remote, 'PEER_ADDRESS', 'PEER_PORT'),
    LOCAL_KEY: context.localKey,
    PEER_KEY: context.peer?.key,
  };
}

/** The process environment a hook runs with: ours, NOTIFY_SOCKET removed, FASTD_PID and the hook's variables applied. */
export function processEnvironment(variables: HookEnvironment, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...base };
  delete environment.NOTIFY_SOCKET;
  environment.FASTD_PID = String(process.pid);
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete environment[name];
    else environment[name] = value;
  }
  return environment;
}

/** fastd's exit status for a hook whose directory is gone (the child's chdir failed). */
const EXIT_NO_DIRECTORY = 126;

// fastd reports how a hook ended only for hooks it waits for and whose status nobody reads.
function describeExit(status: number | null, signal: NodeJS.Signals | null): void {
  if (signal) log.warn(`command exited with signal ${constants.signals[signal]}`);
  else if (status !== 0) log.warn(`command exited with status ${status}`);
}

/**
 * Runs a hook; resolves with its exit status (undefined when it could not run or was killed
 * by a signal). A `sync` hook has ended when this returns (fastd_shell_command_exec); `report`
 * logs a failing status, which fastd does only for hooks it waits for and whose status nobody reads.
 */
export function runHook(
  command: ShellCommand,
  variables: HookEnvironment,
  report: boolean = command.sync,
): Promise<number | undefined> {
  if (command.sync) return Promise.resolve(runHookBlocking(command, variables, report));
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command.command], {
      cwd: command.dir,
      env: processEnvironment(variables),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', (error) => {
      log.error(`can't run hook \`${command.command}': ${error.message}`);
      resolve(error.message.includes('ENOENT') ? EXIT_NO_DIRECTORY : undefined);
    });
    child.once('exit', (status, signal) => {
      if (report) describeExit(status, signal);
      resolve(signal ? undefined : (status ?? undefined));
    });
  });
}

/**
 * Runs a hook to completion before returning, whatever its `sync` flag: for the hooks fastd
 * always waits for (on pre-up, and on up/down of the daemon's interface) and for those declared `sync`.
 */
export function runHookBlocking(command: ShellCommand, variables: HookEnvironment, report = true): number | undefined {
  const result = spawnSync('/bin/sh', ['-c', command.command], {
    cwd: command.dir,
    env: processEnvironment(variables),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) {
    log.error(`can't run hook \`${command.command}': ${result.error.message}`);
    return result.error.message.includes('ENOENT') ? EXIT_NO_DIRECTORY : undefined;
  }
  if (report) describeExit(result.status, result.signal);
  return result.signal ? undefined : (result.status ?? undefined);
}
