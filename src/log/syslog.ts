// syslog(3) through koffi: Node has no unix datagram sockets, and libc already knows where
// the local syslog lives and how to frame messages for it.
import koffi from 'koffi';

const LOG_PID = 0x01;
const LOG_DAEMON = 3 << 3;

export interface SyslogWriter {
  write(priority: number, message: string): void;
}

export function openSyslog(ident: string): SyslogWriter {
  const libc = koffi.load('libc.so.6');
  const openlog = libc.func('void openlog(const uint8_t *ident, int option, int facility)');
  const syslog = libc.func('void syslog(int priority, const char *format, ...)');
  // openlog keeps the pointer it is given, so the ident must outlive this call.
  const identBuffer = Buffer.from(`${ident}\0`);
  retainedIdents.push(identBuffer);
  openlog(identBuffer, LOG_PID, LOG_DAEMON);
  return {
    write(priority, message) {
      syslog(priority, '%s', 'const char *', message);
    },
  };
}

const retainedIdents: Buffer[] = [];
