// The two ways an operator installs fastd-ts, each built from this checkout and installed on this
// machine as root: the Debian package (npm run package:deb), installed with dpkg beside Debian's
// fastd and removed again, and the npm tarball (npm pack), installed with `npm install -g`
// under a throw-away prefix. Each installed copy runs --version, --generate-key and
// --verify-config on the shipped example configurations.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEBIAN_FASTD, haveDebianFastd, isRoot, requireSystem } from '../helpers/prereq.js';
import { ROOT, runCli, runCommand } from '../cli/run-cli.js';

const haveDpkg = existsSync('/usr/bin/dpkg-deb');
const ok = requireSystem('packaging: the Debian package and the npm tarball', { root: isRoot, 'dpkg-deb': haveDpkg, fastd: haveDebianFastd });
const work = mkdtempSync(join(tmpdir(), 'fastd-ts-packages-'));
/** Building copies and compiles the tree; installing from the registry takes a while too. */
const BUILD_TIMEOUT_MS = 600_000;

async function expectInstalledCopyWorks(program: string, examples: string): Promise<void> {
  const version = await runCommand(program, ['--version']);
  expect(version.stdout).toBe((await runCli(['--version'])).stdout);
  expect((await runCommand(program, ['--generate-key', '--machine-readable'])).stdout).toMatch(/^[0-9a-f]{64}\n$/);
  for (const name of ['supernode.conf', 'gluon-client.conf']) {
    const verified = await runCommand(program, ['--verify-config', '--config', join(examples, name)]);
    expect(verified.status, `${name}: ${verified.stderr}`).toBe(0);
  }
}

function run(command: string, args: readonly string[], cwd = ROOT): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(ok)('the Debian package', () => {
  const deb = join(work, 'fastd-ts.deb');

  // whatever a failed test left installed
  afterAll(() => {
    if (existsSync('/usr/lib/fastd-ts')) execFileSync('dpkg', ['--purge', 'fastd-ts'], { stdio: 'ignore' });
  });

  it('is built by one script, without clashing with fastd', () => {
    run('bash', ['scripts/build-deb.sh', deb]);
    const control = run('dpkg-deb', ['--field', deb, 'Package', 'Depends']);
    expect(control).toMatch(/^Package: fastd-ts\nDepends: nodejs \(>= 20\)/);
    const ours = run('dpkg-deb', ['--contents', deb])
      .split('\n')
      .filter((line) => !line.startsWith('d'))
      .map((line) => line.split(/\s+/)[5]?.replace(/^\./, ''));
    expect(ours).toContain('/usr/bin/fastd-ts');
    expect(ours).toContain('/lib/systemd/system/fastd-ts@.service');
    const fastds = new Set(run('dpkg', ['-L', 'fastd']).split('\n'));
    expect(ours.filter((path) => path !== undefined && fastds.has(path))).toEqual([]);
  }, BUILD_TIMEOUT_MS);

  it('installs beside fastd and runs from there', async () => {
    run('dpkg', ['--install', deb]);
    expect(existsSync(DEBIAN_FASTD)).toBe(true);
    await expectInstalledCopyWorks('/usr/bin/fastd-ts', '/usr/share/doc/fastd-ts/examples');
    const unit = readFileSync('/lib/systemd/system/fastd-ts@.service', 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/fastd-ts .*--config \/etc\/fastd\/%I\/fastd\.conf$/m);
    expect(existsSync('/usr/share/man/man1/fastd-ts.1.gz')).toBe(true);
  }, BUILD_TIMEOUT_MS);

  it('goes away without a trace when removed', () => {
    run('dpkg', ['--purge', 'fastd-ts']);
    expect(existsSync('/usr/bin/fastd-ts')).toBe(false);
    expect(existsSync('/usr/lib/fastd-ts')).toBe(false);
    expect(existsSync(DEBIAN_FASTD)).toBe(true);
  });
});

describe.runIf(ok)('the npm tarball', () => {
  it('installs with npm install -g and runs', async () => {
    // a copy of the tracked files, so that prepack's build leaves this checkout's dist/ alone
    const source = join(work, 'source');
    run('bash', ['-c', `mkdir -p "${source}" && git ls-files -z | xargs -0 cp --parents -t "${source}" && ln -s "${join(ROOT, 'node_modules')}" "${source}/node_modules"`]);
    run('npm', ['pack', '--silent', '--pack-destination', work], source);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    const prefix = join(work, 'prefix');
    run('npm', ['install', '--global', '--prefix', prefix, '--allow-scripts=koffi', '--no-audit', '--no-fund', join(work, tarball!)]);
    const installed = join(prefix, 'lib', 'node_modules', 'fastd-ts');
    expect(existsSync(join(installed, 'dist', 'bench'))).toBe(false);
    await expectInstalledCopyWorks(join(prefix, 'bin', 'fastd-ts'), join(installed, 'conf'));
  }, BUILD_TIMEOUT_MS);
});
