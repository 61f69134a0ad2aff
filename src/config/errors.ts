// Errors and warnings of the configuration loader. Positions follow fastd's scanner:
// lines and columns count from 1, columns count bytes, and fastd's own wording is kept
// ("config error: syntax error at c.conf:1:1") so log scrapers keep working.

/** A place in a configuration file; line and column are 1-based (column 0 = empty file). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** A configuration that cannot be used; `location` is absent for whole-configuration checks. */
export class ConfigError extends Error {
  readonly what: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(what: string, location?: SourceLocation) {
    super(location ? `config error: ${what} at ${formatLocation(location)}` : `config error: ${what}`);
    this.name = 'ConfigError';
    this.what = what;
    this.file = location?.file;
    this.line = location?.line;
    this.column = location?.column;
  }
}

/** Something fastd accepts but warns about (deprecated statements, ignored settings). */
export interface ConfigWarning {
  readonly message: string;
  readonly location?: SourceLocation;
}

export function formatWarning(warning: ConfigWarning): string {
  return warning.location ? `${warning.message} at ${formatLocation(warning.location)}` : warning.message;
}

/** Describes a Node.js file system error the way strerror would, plus the errno name. */
export function describeSystemError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const text = error.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    return code ? `${text} (${code})` : text;
  }
  return String(error);
}
