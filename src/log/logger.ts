// Logging: pino with fastd's levels, written to stderr in fastd's own line format
// ("%F %T %z --- Info: message") so log scrapers written for fastd keep working, and to
// syslog through libc's syslog(3) at fastd's level mapping.
import { pino, type Logger as PinoLogger } from 'pino';
import { LOG_LEVELS, type LogLevel } from './levels.js';
import { openSyslog, type SyslogWriter } from './syslog.js';

// pino orders levels by number, higher = more severe.
const PINO_LEVEL_VALUES: Record<LogLevel, number> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  verbose: 25,
  debug: 20,
  debug2: 10,
};

const STDERR_PREFIX: Record<LogLevel, string> = {
  fatal: 'Fatal: ',
  error: 'Error: ',
  warn: 'Warning: ',
  info: 'Info: ',
  verbose: 'Verbose: ',
  debug: 'DEBUG: ',
  debug2: 'DEBUG2: ',
};

// syslog(3) priorities as fastd maps them (src/log.c get_syslog_level).
const LOG_CRIT = 2;
const LOG_ERR = 3;
const LOG_WARNING = 4;
const LOG_NOTICE = 5;
const LOG_INFO = 6;
const LOG_DEBUG = 7;
const SYSLOG_PRIORITY: Record<LogLevel, number> = {
  fatal: LOG_CRIT,
  error: LOG_ERR,
  warn: LOG_WARNING,
  info: LOG_NOTICE,
  verbose: LOG_INFO,
  debug: LOG_DEBUG,
  debug2: LOG_DEBUG,
};

const LEVEL_BY_VALUE = new Map<number, LogLevel>(
  LOG_LEVELS.map((level) => [PINO_LEVEL_VALUES[level], level]),
);

interface LogSettings {
  /** stderr threshold; undefined = off (fastd: off once syslog is configured and stderr is not). */
  stderrLevel?: LogLevel;
  syslogLevel?: LogLevel;
  syslogIdent: string;
  hideIpAddresses: boolean;
  hideMacAddresses: boolean;
}

type Logger = PinoLogger<'verbose' | 'debug2'> & {
  verbose: PinoLogger['info'];
  debug2: PinoLogger['info'];
};

/** fastd's "%F %T %z" in local time. */
export function formatTimestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** Renders pino's JSON records as fastd log lines and sends them where the settings say. */
class FastdDestination {
  private syslog: SyslogWriter | undefined;

  constructor(private settings: LogSettings) {}

  update(settings: LogSettings): void {
    this.settings = settings;
    if (settings.syslogLevel !== undefined && !this.syslog) this.syslog = openSyslog(settings.syslogIdent);
  }

  write(json: string): void {
    const record = JSON.parse(json) as { level: number; time: number; msg?: string };
    const level = LEVEL_BY_VALUE.get(record.level) ?? 'info';
    const message = record.msg ?? '';
    const { stderrLevel, syslogLevel } = this.settings;
    if (stderrLevel !== undefined && PINO_LEVEL_VALUES[level] >= PINO_LEVEL_VALUES[stderrLevel]) {
      process.stderr.write(`${formatTimestamp(new Date(record.time))} --- ${STDERR_PREFIX[level]}${message}\n`);
    }
    if (this.syslog && syslogLevel !== undefined && PINO_LEVEL_VALUES[level] >= PINO_LEVEL_VALUES[syslogLevel]) {
      this.syslog.write(SYSLOG_PRIORITY[level], message);
    }
  }
}

const DEFAULT_SETTINGS: LogSettings = {
  stderrLevel: 'info',
  syslogIdent: 'fastd',
  hideIpAddresses: false,
  hideMacAddresses: false,
};

let currentSettings: LogSettings = DEFAULT_SETTINGS;
const destination = new FastdDestination(DEFAULT_SETTINGS);

/** The exit status after a fatal error is logged: fastd's exit_error (src/log.h) exits with 1. */
export const EXIT_FAILURE = 1;

/** The process-wide logger. Until configureLogging runs it logs at info to stderr, as fastd does. */
export const log = pino(
  {
    customLevels: { verbose: PINO_LEVEL_VALUES.verbose, debug2: PINO_LEVEL_VALUES.debug2 },
    level: 'debug2',
    base: undefined,
  },
  destination,
) as unknown as Logger;

export function configureLogging(settings: LogSettings): void {
  currentSettings = settings;
  destination.update(settings);
  const thresholds = [settings.stderrLevel, settings.syslogLevel].filter((l): l is LogLevel => l !== undefined);
  const lowest = thresholds.reduce<number>((min, l) => Math.min(min, PINO_LEVEL_VALUES[l]), Infinity);
  log.level = lowest === Infinity ? 'silent' : LEVEL_BY_VALUE.get(lowest)!;
}

/** An address for a log line, "[hidden]" when --hide-ip-addresses is in force. */
export function logAddress(text: string): string {
  return currentSettings.hideIpAddresses ? '[hidden]' : text;
}
