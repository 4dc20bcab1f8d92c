import { describe, expect, it } from 'vitest';
import { parseHostFlag, parseNameFlag, parsePortFlag, parseUdpViaFlag } from '../../src/client/flags.ts';

describe('client flags', () => {
  it('accepts ports 1–65535 only', () => {
    expect(parsePortFlag('5000')).toEqual({ ok: true, value: 5000 });
    expect(parsePortFlag(' 65535 ')).toEqual({ ok: true, value: 65535 });
    for (const bad of ['0', '65536', '-1', '50a', '', '1e3', '3.5']) {
      const r = parsePortFlag(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/^a port is a whole number from 1 to 65535, got /);
    }
  });

  it('accepts a non-empty host without blanks', () => {
    expect(parseHostFlag('localhost')).toEqual({ ok: true, value: 'localhost' });
    expect(parseHostFlag('::1')).toEqual({ ok: true, value: '::1' });
    expect(parseHostFlag('  ').ok).toBe(false);
    expect(parseHostFlag('a b').ok).toBe(false);
  });

  it('refuses names that could not be sent as one <connect> line', () => {
    expect(parseNameFlag('alice')).toEqual({ ok: true, value: 'alice' });
    for (const bad of ['', 'a b', 'a<b', 'a>b', 'a,b', 'a\nb']) expect(parseNameFlag(bad).ok, bad).toBe(false);
  });

  it('reads --udp-via [HOST:]PORT, IPv6 in brackets', () => {
    expect(parseUdpViaFlag('7000')).toEqual({ ok: true, value: { host: undefined, port: 7000 } });
    expect(parseUdpViaFlag('127.0.0.1:7000')).toEqual({ ok: true, value: { host: '127.0.0.1', port: 7000 } });
    expect(parseUdpViaFlag('proxy.lan:7000')).toEqual({ ok: true, value: { host: 'proxy.lan', port: 7000 } });
    expect(parseUdpViaFlag('[::1]:7000')).toEqual({ ok: true, value: { host: '::1', port: 7000 } });
    for (const bad of ['', 'host:', 'host:0', 'host:70000', ':7000', 'a b:7000']) {
      const r = parseUdpViaFlag(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/^--udp-via /);
    }
  });
});
