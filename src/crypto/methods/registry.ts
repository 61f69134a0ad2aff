// Method name -> provider, the way fastd's method list resolves the names in a config
// (parseMethodName decides which provider owns a name, in fastd's order).
import { getCipher } from '../cipher/index.js';
import { cipherTestProvider } from './cipher-test/cipher-test.js';
import { composedGmacProvider, genericGmacProvider } from './gmac/gmac.js';
import { parseMethodName } from './names.js';
import { nullL2tpProvider } from './null-l2tp/null-l2tp.js';
import { nullProvider } from './null/null.js';
import { genericPoly1305Provider } from './poly1305/generic-poly1305.js';
import type { MethodProvider } from './provider.js';
import { umacProvider } from './umac/umac-provider.js';

/** The provider of a method name as fastd spells it; undefined when fastd would not know it. */
export function createMethodProvider(name: string): MethodProvider | undefined {
  const spec = parseMethodName(name);
  if (!spec) return undefined;
  switch (spec.provider) {
    case 'null':
      return nullProvider;
    case 'null@l2tp':
      return nullL2tpProvider;
    case 'cipher-test':
      return cipherTestProvider(spec.name, getCipher(spec.cipher));
    case 'generic-gmac':
      return genericGmacProvider(spec.name, getCipher(spec.cipher));
    case 'composed-gmac':
      return composedGmacProvider(spec.name, getCipher(spec.cipher), getCipher(spec.macCipher));
    case 'generic-poly1305':
      return genericPoly1305Provider(spec.name, getCipher(spec.cipher));
    case 'generic-umac':
    case 'composed-umac':
      // TypeScript does not narrow a union whose discriminant is itself a union of literals
      return umacProvider(spec as Parameters<typeof umacProvider>[0]);
  }
}
