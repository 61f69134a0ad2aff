// The version line: fastd's protocol generation we implement, then our own release.
import { readFileSync } from 'node:fs';

/** The fastd release whose behaviour (config language, wire protocol, status JSON) we follow. */
export const FASTD_COMPAT_VERSION = 'v23';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

export const VERSION_TEXT = `fastd ${FASTD_COMPAT_VERSION} (fastd-ts ${packageJson.version})`;
