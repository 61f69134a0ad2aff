// Debian's fastd judges the configuration corpus (corpus.test.ts): it must accept all we
// accept and reject all we reject, except for the listed, explained cases.
import { execFileSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_FASTD, haveDebianFastd, requireSystem } from '../helpers/prereq.ts';
import { corpusFiles, ourError } from './helpers.ts';

/** Files Debian's fastd v22 rejects although fastd-ts accepts them. */
const DEBIAN_REJECTS: Record<string, string> = {
  'method-cipher-test.conf': "Debian builds fastd without the `cipher-test' method provider",
  'io-backend.conf': '`io backend` is a fastd-ts extension (the datapath I/O backend); fastd has no such statement',
};

/** Files `fastd --verify-config` passes, but fastd refuses them when it starts. */
const FAILS_AT_START_UP: Record<string, string> = {
  'no-secret.conf': "protocol_init: 'no secret key configured'",
  'secret-too-short.conf': "protocol_init: 'invalid secret key'",
  'secret-not-multiple-of-8.conf': "protocol_init/divide_key: 'invalid secret key'",
  'no-peers.conf': "fastd_config_check: 'neither fixed peers nor peer dirs have been configured'",
  'only-missing-peer-dir.conf': 'the peer directory cannot be entered, so there is no peer source at start-up',
  'tap-interface-pattern.conf': "fastd_iface_open: '%n' and '%k' patterns can't be used in TAP mode",
  'tun-duplicate-interface.conf': 'the second TUNSETIFF on the same name fails with EBUSY',
  'unknown-user.conf': "configure_user: 'unable to find user'",
  'unknown-group.conf': "configure_user: 'unable to find group'",
};

/** Rejects where fastd names a different position than we do, on purpose. */
const POSITION_DIFFERS: Record<string, string> = {
  'peer-key-not-a-point.conf': 'we point at the bad key, fastd at the end of the peer',
  'peer-key-not-hex.conf': 'we point at the bad key, fastd at the end of the peer',
  'peer-key-replaced-by-bad.conf': 'we point at the bad key, fastd at the end of the peer',
  'peer-key-too-short.conf': 'we point at the bad key, fastd at the end of the peer',
  'include-directory.conf': "we point at the include, fastd reports an I/O error at the directory's 1:0",
  'io-backend-unknown.conf': 'fastd knows no `io backend` statement at all; we point at the unknown backend name',
};

const withFastd = requireSystem("comparing the corpus with Debian's fastd", { fastd: haveDebianFastd });

/** Exit status and error position of `fastd --verify-config -c <path>`. */
function debianVerdict(path: string): { status: number; position?: string } {
  try {
    execFileSync(DEBIAN_FASTD, ['--verify-config', '-c', path], { stdio: 'pipe' });
    return { status: 0 };
  } catch (error) {
    const { status, stderr } = error as { status?: number; stderr?: Buffer };
    const position = /config error: .* at (.+:\d+:\d+)$/m.exec(stderr?.toString() ?? '')?.[1];
    return { status: status ?? -1, position };
  }
}

describe.runIf(withFastd)("Debian's fastd --verify-config on the corpus", () => {
  it.each(corpusFiles('accept'))('agrees with accepting %s', (path) => {
    const { status } = debianVerdict(path);
    if (DEBIAN_REJECTS[basename(path)]) expect(status).not.toBe(0);
    else expect(status).toBe(0);
  });

  it.each(corpusFiles('reject'))('agrees with rejecting %s', (path) => {
    const { status, position } = debianVerdict(path);
    if (FAILS_AT_START_UP[basename(path)]) expect(status).toBe(0);
    else expect(status).not.toBe(0);
    if (position === undefined || POSITION_DIFFERS[basename(path)]) return;
    // fastd names files as written in the include statement, the top file as given on its command line.
    const ours = ourError(path);
    const ourFile = ours?.file === path ? basename(path) : ours?.file;
    expect(`${ourFile}:${ours?.line}:${ours?.column}`).toBe(position.replace(`${dirname(path)}/`, ''));
  });
});
