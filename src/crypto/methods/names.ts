// Method names exactly as fastd parses them (src/methods/*/ method_create_by_name): each
// provider in turn tries to read the name, the first that recognises it owns the method.
// Pure parsing with no crypto, so the config checker can use it without loading ciphers.

/** Length of the nonce carried in every fastd data packet (methods/common.h COMMON_NONCEBYTES). */
export const COMMON_NONCEBYTES = 6;

export const CIPHERS = {
  null: { keyLength: 0, ivLength: 0 },
  salsa20: { keyLength: 32, ivLength: 8 },
  salsa2012: { keyLength: 32, ivLength: 8 },
  'aes128-ctr': { keyLength: 16, ivLength: 16 },
} as const;
export type CipherName = keyof typeof CIPHERS;

export type MethodSpec =
  | { provider: 'null' | 'null@l2tp'; name: string }
  | { provider: 'generic-umac' | 'generic-gmac' | 'generic-poly1305' | 'cipher-test'; name: string; cipher: CipherName }
  | { provider: 'composed-umac' | 'composed-gmac'; name: string; cipher: CipherName; macCipher: CipherName };

function cipherNamed(name: string): CipherName | undefined {
  return Object.prototype.hasOwnProperty.call(CIPHERS, name) ? (name as CipherName) : undefined;
}

/** A cipher that can carry a MAC key stream: its IV must be longer than the packet nonce. */
function streamCipher(name: string): CipherName | undefined {
  const cipher = cipherNamed(name);
  return cipher && CIPHERS[cipher].ivLength > COMMON_NONCEBYTES ? cipher : undefined;
}

/** The payload cipher of a composed method may also be null (iv length 0). */
function payloadCipher(name: string): CipherName | undefined {
  const cipher = cipherNamed(name);
  if (!cipher) return undefined;
  const iv = CIPHERS[cipher].ivLength;
  return iv === 0 || iv > COMMON_NONCEBYTES ? cipher : undefined;
}

function splitComposed(prefix: string): [string, string] | undefined {
  const plus = prefix.indexOf('+');
  return plus < 0 ? undefined : [prefix.slice(0, plus), prefix.slice(plus + 1)];
}

function composed(
  provider: 'composed-umac' | 'composed-gmac',
  name: string,
  prefix: string,
): MethodSpec | undefined {
  const parts = splitComposed(prefix);
  if (!parts) return undefined;
  const cipher = payloadCipher(parts[0]);
  const macCipher = streamCipher(parts[1]);
  return cipher && macCipher ? { provider, name, cipher, macCipher } : undefined;
}

// Providers in fastd's registration order (src/methods/meson.build), each returning the
// spec when it recognises the name.
const PROVIDERS: ((name: string) => MethodSpec | undefined)[] = [
  (name) => {
    if (!name.endsWith('+cipher-test')) return undefined;
    const cipher = cipherNamed(name.slice(0, -'+cipher-test'.length));
    return cipher ? { provider: 'cipher-test', name, cipher } : undefined;
  },
  (name) => {
    if (name.endsWith('-gmac')) return composed('composed-gmac', name, `${name.slice(0, -'-gmac'.length)}-ctr`);
    if (name.endsWith('+gmac') && !name.endsWith('-ctr+gmac'))
      return composed('composed-gmac', name, name.slice(0, -'+gmac'.length));
    return undefined;
  },
  (name) => (name.endsWith('+umac') ? composed('composed-umac', name, name.slice(0, -'+umac'.length)) : undefined),
  (name) => {
    let cipherName: string;
    if (name.endsWith('-gcm')) cipherName = `${name.slice(0, -'-gcm'.length)}-ctr`;
    else if (name.endsWith('+gmac') && !name.endsWith('-ctr+gmac')) cipherName = name.slice(0, -'+gmac'.length);
    else return undefined;
    const cipher = streamCipher(cipherName);
    return cipher ? { provider: 'generic-gmac', name, cipher } : undefined;
  },
  (name) => {
    if (!name.endsWith('+poly1305')) return undefined;
    const cipher = streamCipher(name.slice(0, -'+poly1305'.length));
    return cipher ? { provider: 'generic-poly1305', name, cipher } : undefined;
  },
  (name) => {
    if (!name.endsWith('+umac')) return undefined;
    const cipher = streamCipher(name.slice(0, -'+umac'.length));
    return cipher ? { provider: 'generic-umac', name, cipher } : undefined;
  },
  (name) => (name === 'null' ? { provider: 'null', name } : undefined),
  (name) => (name === 'null@l2tp' ? { provider: 'null@l2tp', name } : undefined),
];

/** Parses a method name as fastd does; undefined when no provider knows it. */
export function parseMethodName(name: string): MethodSpec | undefined {
  for (const provider of PROVIDERS) {
    const spec = provider(name);
    if (spec) return spec;
  }
  return undefined;
}
