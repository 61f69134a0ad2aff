// A daemon's status socket as the benches and the tests read it: connect to the UNIX socket
// (a file path, reachable from the host's namespace), read the JSON document until the daemon
// closes the connection.
import { connect } from 'node:net';

const STATUS_DEADLINE_MS = 5_000;

/** The status document's text at `path`, as it came (the bench times this: connect to the end of the JSON). */
export function fetchStatusText(path: string, name = `status socket ${path}`): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path);
    socket.setTimeout(STATUS_DEADLINE_MS, () => socket.destroy(new Error(`${name} does not answer`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

/** The status document at `path`; `name` says whose socket it is when it does not answer. */
export async function readStatus(path: string, name = `status socket ${path}`): Promise<unknown> {
  return JSON.parse(await fetchStatusText(path, name)) as unknown;
}
