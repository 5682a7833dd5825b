/** `ev-sim run --target`: an http URL and one or more OCPP URLs (the chargers' failover order). */
import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../src/cli/run-scenario.ts';

const admin = { email: 'a@b.c', password: 'x' };

describe('--target', () => {
  it('takes a comma-separated list of OCPP URLs after the http URL, in order', () => {
    expect(parseTarget('http://h:3000/, ws://a:9000/ocpp ,wss://b:9443/ocpp/', admin)).toEqual({
      ok: true,
      target: { kind: 'remote', httpUrl: 'http://h:3000', ocppUrl: ['ws://a:9000/ocpp', 'wss://b:9443/ocpp'], admin },
    });
  });

  it('defaults to one OCPP URL on the http host, port 9000', () => {
    expect(parseTarget('https://h:3000', admin)).toMatchObject({ ok: true, target: { ocppUrl: ['wss://h:9000/ocpp'] } });
  });

  it('names the entry that is not a ws(s) URL, and an empty one', () => {
    expect(parseTarget('http://h:3000,ws://a:9000/ocpp,http://b:9000/ocpp', admin)).toEqual({ ok: false, error: '--target: http://b:9000/ocpp is not a ws(s) URL' });
    expect(parseTarget('http://h:3000,ws://a:9000/ocpp,', admin)).toEqual({ ok: false, error: '--target: an empty OCPP URL (two commas, or one at the end)' });
  });
});
