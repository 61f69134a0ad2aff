// The status socket (fastd's src/status.c): a unix stream socket that answers every
// connection with one JSON document and closes it; removed again when the daemon stops.
// Created as fastd creates it: with the process's umask, as the configured user (the caller's
// `create`), so that exactly who may connect to fastd's may connect to ours.
import { unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { log } from '../log/logger.js';

class StatusSocketError extends Error {
  override name = 'StatusSocketError';
}

/** True when a live daemon answers on `path` (fastd uses a lock file; a probe connection says the same). */
function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function removeStale(path: string): void {
  try {
    unlinkSync(path);
    log.info('removing old status socket');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn(`unable to remove old status socket: ${(error as Error).message}`);
  }
}

export class StatusSocket {
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  /** Throws when a live daemon answers on `path`. */
  static async ensureFree(path: string): Promise<void> {
    if (await inUse(path)) throw new StatusSocketError('status socket already in use');
  }

  /**
   * Listens on `path`; `document` is asked for a fresh status (UTF-8 JSON) on every connection. The socket
   * file is removed and created inside `create` (which runs them as the configured user).
   */
  static async open(path: string, document: () => Uint8Array, create: (action: () => void) => void = (action) => action()): Promise<StatusSocket> {
    await StatusSocket.ensureFree(path);
    const server = createServer((connection) => {
      connection.on('error', (error) => log.error(`can't dump status: ${error.message}`));
      let bytes: Uint8Array;
      try {
        bytes = document();
      } catch (error) {
        log.error(`can't dump status: ${(error as Error).message}`);
        connection.destroy();
        return;
      }
      connection.end(bytes);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // listen binds a path synchronously (its errors come later, as events)
        create(() => {
          removeStale(path);
          server.listen(path, () => {
            server.off('error', reject);
            resolve();
          });
        });
      });
    } catch (error) {
      throw new StatusSocketError(`unable to create status socket: ${(error as Error).message}`);
    }
    server.on('error', (error) => log.warn(`status socket: ${error.message}`));
    return new StatusSocket(server, path);
  }

  /** Stops answering and deletes the socket file. */
  close(): void {
    this.server.close();
    try {
      unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`unlink_status_socket: ${(error as Error).message}`);
    }
  }
}
