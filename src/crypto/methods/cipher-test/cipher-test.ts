// fastd's cipher-test provider (src/methods/cipher_test): "<cipher>+cipher-test" encrypts
// with the cipher's keystream from byte 0 and authenticates nothing. fastd warns that it is
// for testing and benchmarks only; the 8-byte common header is its whole overhead.
import { TO_PACKET_END, type KeyedCipher, type StreamCipher } from '../../cipher/index.js';
import { COMMON_HEADBYTES } from '../common-header.js';
import type { MethodProvider, PacketBatch, SessionFlags } from '../provider.js';
import { CommonMethodSession } from '../session-common.js';

class CipherTestSession extends CommonMethodSession {
  private readonly cipher: KeyedCipher;

  constructor(cipher: StreamCipher, secret: Uint8Array, flags: SessionFlags, now: number, memory: WebAssembly.Memory) {
    super(flags, now, COMMON_HEADBYTES, memory);
    this.cipher = cipher.createKey(secret.subarray(0, cipher.keyLength), memory);
  }

  seal(batch: PacketBatch, now: number): void {
    this.common.frameForSeal(batch, this.table.bytes(), now);
    this.table.load(batch);
    this.cipher.crypt(this.table, COMMON_HEADBYTES, TO_PACKET_END, 0, false);
  }

  open(batch: PacketBatch, now: number): void {
    const bytes = this.table.bytes();
    this.common.checkForOpen(batch, bytes, now);
    this.table.load(batch);
    this.cipher.crypt(this.table, COMMON_HEADBYTES, TO_PACKET_END, 0, false);
    this.common.admitOpened(batch, bytes, now);
  }

  destroy(): void {
    this.cipher.destroy();
  }
}

export function cipherTestProvider(name: string, cipher: StreamCipher): MethodProvider {
  return {
    name,
    keyLength: cipher.keyLength,
    overhead: COMMON_HEADBYTES,
    createSession: (secret, flags, now, memory) => new CipherTestSession(cipher, secret, flags, now, memory),
  };
}
