// fastd's status socket: connect to the UNIX socket, read the JSON document until the
// daemon closes the connection. (The socket is a file path, reachable from the host's
// namespace.)
import { connect } from 'node:net';

const STATUS_DEADLINE_MS = 5_000;

export async function readStatus(path: string): Promise<unknown> {
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path);
    socket.setTimeout(STATUS_DEADLINE_MS, () => socket.destroy(new Error(`status socket ${path}: no answer`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
  return JSON.parse(text) as unknown;
}
