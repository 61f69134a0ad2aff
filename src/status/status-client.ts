// Reads a status socket the way fastd's own readers do: connect to the UNIX socket, read until
// the daemon closes the connection, parse the JSON document. Works against any fastd (Debian's
// too); every way it can fail ends as a StatusClientError that says what to check.
import { connect } from 'node:net';

/** How long a daemon may take to send its whole document before it counts as not answering. */
export const STATUS_TIMEOUT_MS = 5_000;

export class StatusClientError extends Error {
  override name = 'StatusClientError';
}

/** The operator's words for the errors connect() gives on a UNIX socket path. */
function connectError(path: string, error: NodeJS.ErrnoException): StatusClientError {
  switch (error.code) {
    case 'ENOENT':
      return new StatusClientError(`no status socket at ${path}: is the daemon running, with \`status socket' set?`);
    case 'EACCES':
    case 'EPERM':
      return new StatusClientError(`permission denied on ${path}: run as root or as the daemon's user`);
    case 'ECONNREFUSED':
      return new StatusClientError(`nothing answers at ${path}: no daemon listens there (one that stopped left it behind?)`);
    case 'ENOTSOCK':
      return new StatusClientError(`${path} is not a socket`);
    default:
      return new StatusClientError(`cannot read ${path}: ${error.message}`);
  }
}

/** The status socket's document as text, exactly as the daemon sent it. */
export function fetchStatusText(path: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new StatusClientError(`the daemon at ${path} did not answer within ${timeoutMs / 1000} s`)),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof StatusClientError ? error : connectError(path, error)));
  });
}

/** The status socket's document, parsed; its shape is the caller's to check. */
export async function fetchStatus(path: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<unknown> {
  const text = await fetchStatusText(path, timeoutMs);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StatusClientError(`the daemon at ${path} sent no JSON document (${(error as Error).message})`);
  }
}
