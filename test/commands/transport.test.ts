// The data-plane lines: the `<udp>` offer and the `<transport>` exchange, both directions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatReply, parseCommand, parseReply } from '../../src/commands/grammar.ts';
import {
  formatTransportCommand,
  formatUdpRequest,
  parseTransportCommand,
  parseUdpRequest,
  TRANSPORT_REASON_MEANINGS,
} from '../../src/commands/transport-syntax.ts';
import type { TransportCommand, TransportReason } from '../../src/commands/types.ts';
import { hostileString, transportReason } from './arbitraries.ts';

const transportCommand: fc.Arbitrary<TransportCommand> = fc
  .record({ received: fc.maxSafeNat(), reason: transportReason })
  .map((r) => ({ kind: 'transport', transport: 'tcp', ...r }));

describe('<udp> offer', () => {
  it('has one wire form, token in lower case', () => {
    const offer = { kind: 'udp', port: 5001, connectionId: 3_000_000_000, token: '00ff'.repeat(8) } as const;
    expect(formatReply(offer)).toBe(`<udp>5001 3000000000 ${'00ff'.repeat(8)}`);
    expect(parseReply(`<UDP>5001 3000000000 ${'00FF'.repeat(8)}`)).toStrictEqual({ ok: true, value: offer });
  });

  it.each([
    ['<udp>0 1 00', /PORT must be 1–65535/],
    ['<udp>65536 1 00', /PORT/],
    ['<udp>5001 0 00', /CONNID must be 1–4294967295/],
    ['<udp>5001 4294967296 00', /CONNID/],
    ['<udp>5001 1 0', /TOKEN must be an even number/],
    ['<udp>5001 1 zz', /TOKEN/],
    [`<udp>5001 1 ${'a'.repeat(130)}`, /TOKEN/],
    ['<udp>5001 1', /expected 3 fields/],
    ['<udp>5001  1 00', /expected 3 fields/],
  ])('refuses %s', (line, why) => {
    const r = parseReply(line);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-argument');
      expect(r.error.message).toMatch(why);
      expect(r.error.message).toMatch(/expected <udp>PORT CONNID TOKEN$/);
    }
  });
});

describe('<transport> exchange', () => {
  it('the reply and the command share one wire form', () => {
    for (const reason of Object.keys(TRANSPORT_REASON_MEANINGS) as TransportReason[]) {
      const line = `<transport>tcp 42 ${reason}`;
      expect(formatReply({ kind: 'transport', transport: 'tcp', received: 42, reason })).toBe(line);
      expect(formatTransportCommand({ kind: 'transport', transport: 'tcp', received: 42, reason })).toBe(line);
      expect(parseTransportCommand(line)).toStrictEqual({
        ok: true,
        value: { kind: 'transport', transport: 'tcp', received: 42, reason },
      });
    }
  });

  it('parseTransportCommand ∘ formatTransportCommand is the identity', () => {
    fc.assert(
      fc.property(transportCommand, (c) => {
        expect(parseTransportCommand(formatTransportCommand(c))).toStrictEqual({ ok: true, value: c });
      }),
    );
  });

  it('leaves every other line to parseCommand, which does not know the verb', () => {
    expect(parseTransportCommand('<set_msg_all>hello')).toBeUndefined();
    expect(parseTransportCommand('hello <transport>tcp 1 lost')).toBeUndefined();
    expect(parseTransportCommand('<transportx>tcp 1 lost')).toBeUndefined();
    expect(parseCommand('<transport>tcp 1 lost')).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
  });

  it.each([
    ['<transport>', /expected 3 fields, got 0/],
    ['<transport>udp 1 lost', /only move to tcp/],
    ['<transport>tcp -1 lost', /RECEIVED must be a decimal count/],
    ['<transport>tcp 99999999999999999999 lost', /RECEIVED/],
    ['<transport>tcp 1 bored', /unknown reason "bored"/],
    ['<transport>tcp 1 lost extra', /expected 3 fields, got 4/],
  ])('refuses %s with its usage', (line, why) => {
    const r = parseTransportCommand(line);
    expect(r?.ok).toBe(false);
    if (r !== undefined && !r.ok) {
      expect(r.error.code).toBe('bad-argument');
      expect(r.error.message).toMatch(why);
      expect(r.error.message).toMatch(/usage: <transport>tcp RECEIVED REASON$/);
    }
  });

  it('is lenient with case and blanks, and never throws', () => {
    expect(parseTransportCommand('  <TRANSPORT>  TCP   7   lost  ')).toStrictEqual({
      ok: true,
      value: { kind: 'transport', transport: 'tcp', received: 7, reason: 'lost' },
    });
    fc.assert(
      fc.property(hostileString, (s) => {
        parseTransportCommand(s);
        parseTransportCommand(`<transport>${s}`);
        parseReply(`<udp>${s}`);
        parseReply(`<transport>${s}`);
      }),
    );
  });
});

describe('<udp> request (client → server)', () => {
  it('is the verb alone, in any case, with blanks around; formats back', () => {
    expect(formatUdpRequest()).toBe('<udp>');
    for (const line of ['<udp>', '<UDP>', '  <Udp>  ', '<udp>\t']) {
      expect(parseUdpRequest(line)).toStrictEqual({ ok: true, value: { kind: 'udp-request' } });
    }
    expect(parseUdpRequest(formatUdpRequest())).toStrictEqual({ ok: true, value: { kind: 'udp-request' } });
  });

  it('is not claimed for other verbs or plain text', () => {
    for (const line of ['udp', '<udpx>', '<transport>tcp 1 lost', '<connect>udp', 'hello <udp>', '<udp']) {
      expect(parseUdpRequest(line)).toBeUndefined();
    }
  });

  it('refuses an argument, saying what the request is', () => {
    const r = parseUdpRequest('<udp>5001 1 00ff');
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    if (r !== undefined && !r.ok) expect(r.error.message).toBe('<udp> takes no argument (it asks the server for a UDP binding), got "5001 1 00ff"');
  });

  it('never throws', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        parseUdpRequest(s);
        parseUdpRequest(`<udp>${s}`);
      }),
    );
  });
});
