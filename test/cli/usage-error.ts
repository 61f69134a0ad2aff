// The message a command line fails with, read from the parser in-process: the unit tests
// check it against fastd's wording, the system tests against Debian's fastd itself.
import { parseCommandLine, UsageError } from '../../src/cli/options.ts';

/** The usage error parseCommandLine throws for argv, or 'accepted'. */
export function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv, () => '');
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return 'accepted';
}
