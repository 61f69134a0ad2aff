// The generic-umac ("<cipher>+umac") and composed-umac ("<cipher>+<cipher>+umac") method
// providers. Session key material is split as fastd's method_session_init does:
//
//   generic:   cipher key | UHASH key (1440)
//   composed:  payload cipher key | MAC cipher key | UHASH key (1440)
import { getCipher, type KeyedCipher, type StreamCipher } from '../../cipher/index.js';
import { UHASH_KEY_BYTES, Uhash } from '../../mac/uhash/uhash.js';
import { COMMON_OVERHEAD } from '../common-header.js';
import type { MethodSpec } from '../names.js';
import type { MethodProvider, MethodSession, SessionFlags } from '../provider.js';
import { UmacSession } from './umac-session.js';

type UmacSpec = MethodSpec & { provider: 'generic-umac' | 'composed-umac' };

/** Keys each part of the secret in turn; on failure releases what was already keyed. */
function keyParts<T extends { destroy(): void }>(secret: Uint8Array, parts: [number, (key: Uint8Array) => T][]): T[] {
  const keyed: T[] = [];
  let at = 0;
  try {
    for (const [length, create] of parts) {
      keyed.push(create(secret.subarray(at, at + length)));
      at += length;
    }
  } catch (error) {
    for (const part of keyed) part.destroy();
    throw error;
  }
  return keyed;
}

function provider(
  name: string,
  ciphers: StreamCipher[],
  session: (keyed: KeyedCipher[], uhash: Uhash, flags: SessionFlags, now: number, memory: WebAssembly.Memory) => MethodSession,
): MethodProvider {
  const keyLength = ciphers.reduce((sum, cipher) => sum + cipher.keyLength, UHASH_KEY_BYTES);
  return {
    name,
    keyLength,
    overhead: COMMON_OVERHEAD,
    createSession(secret: Uint8Array, flags: SessionFlags, now: number, memory: WebAssembly.Memory): MethodSession {
      if (secret.length !== keyLength) throw new RangeError(`${name}: session key must be ${keyLength} bytes`);
      const parts: [number, (key: Uint8Array) => KeyedCipher | Uhash][] = ciphers.map((cipher) => [
        cipher.keyLength,
        (key) => cipher.createKey(key, memory),
      ]);
      parts.push([UHASH_KEY_BYTES, (key) => new Uhash(key, memory)]);
      const keyed = keyParts(secret, parts);
      const uhash = keyed.pop() as Uhash;
      return session(keyed as KeyedCipher[], uhash, flags, now, memory);
    },
  };
}

/** The provider of a parsed generic-umac or composed-umac method name. */
export function umacProvider(spec: UmacSpec): MethodProvider {
  const cipher = getCipher(spec.cipher);
  if (!('macCipher' in spec)) {
    return provider(spec.name, [cipher], ([keyed], uhash, flags, now, memory) =>
      new UmacSession(flags, now, memory, { kind: 'generic', cipher: keyed }, uhash),
    );
  }
  return provider(spec.name, [cipher, getCipher(spec.macCipher)], ([keyed, macKeyed], uhash, flags, now, memory) =>
    new UmacSession(flags, now, memory, { kind: 'composed', cipher: keyed, macCipher: macKeyed }, uhash),
  );
}
