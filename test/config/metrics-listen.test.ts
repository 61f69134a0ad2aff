// `metrics listen "ADDRESS:PORT";` and --metrics-listen: the fastd-ts extension that opens the
// Prometheus endpoint (status/metrics-server.ts); none unless configured.
import { describe, expect, it } from 'vitest';
import { UsageError, usageText } from '../../src/cli/options.ts';
import { parseListenAddress } from '../../src/config/addresses.ts';
import { commandLineWith, configErrorOf, loadWithBasics } from './helpers.ts';

const load = loadWithBasics;

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:9281', { host: '127.0.0.1', port: 9281 }],
    ['[::1]:9281', { host: '::1', port: 9281 }],
    ['[2001:DB8:0::1]:80', { host: '2001:db8::1', port: 80 }],
    ['any:9281', { host: '::', port: 9281 }],
  ])('reads %s', (text, address) => expect(parseListenAddress(text)).toEqual(address));

  it.each(['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '::1:9281', '[::1]', '256.0.0.1:1', 'localhost:9281', ':9281', '[::1]:x'])(
    'refuses %s',
    (text) => expect(parseListenAddress(text)).toBeUndefined(),
  );
});

describe('metrics listen statement', () => {
  it('is off by default', () => {
    expect(load('').metricsListen).toBeUndefined();
  });

  it('takes an address and port, the last statement winning', () => {
    expect(load('metrics listen "[::1]:9281";\nmetrics listen "192.0.2.1:9000";').metricsListen).toEqual({ host: '192.0.2.1', port: 9000 });
  });

  it('says where a bad address is', () => {
    expect(configErrorOf(() => load('metrics listen "localhost:9281";'))!.message).toMatch(/invalid metrics address `localhost:9281' .* at .*:3:16$/);
    expect(configErrorOf(() => load('metrics "any:1";'))!.message).toMatch(/syntax error/);
  });
});

describe('--metrics-listen', () => {
  it('sets the address', () => {
    expect(commandLineWith(['--metrics-listen', 'any:9281']).config.metricsListen).toEqual({ host: '::', port: 9281 });
  });

  it('refuses what is not ADDRESS:PORT', () => {
    expect(() => commandLineWith(['--metrics-listen', '9281'])).toThrow(UsageError);
  });

  it('is listed among the extensions', () => {
    expect(usageText(false)).not.toContain('--metrics-listen');
    expect(usageText(true)).toMatch(/fastd-ts extensions:[^]*--metrics-listen ADDRESS:PORT/);
  });
});
