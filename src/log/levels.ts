// fastd's log levels, one list for the logger, the `log level` statements and the command
// line, kept apart from logger.ts so that parsing a level does not load pino.

/** Most severe first (fastd's src/log.h). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'verbose', 'debug', 'debug2'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
