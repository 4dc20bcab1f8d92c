import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand, formatTransferCommand, parseClientLine, parseCommand, parseTransferCommand } from '../../src/commands/grammar.ts';
import { formatTransportCommand, parseTransportCommand, parseUdpRequest } from '../../src/commands/transport-syntax.ts';
import type { ClientLine } from '../../src/commands/types.ts';
import { command, grammarSoup, hostileString, transferCommand, transportReason } from './arbitraries.ts';

/** What the family parsers, tried one after another, make of a line (the server's old four passes). */
function byFamilies(line: string): ClientLine {
  const transfer = parseTransferCommand(line);
  if (transfer !== undefined) return transfer.ok ? { type: 'transfer', command: transfer.value } : { type: 'refused', error: transfer.error };
  const transport = parseTransportCommand(line);
  if (transport !== undefined) return transport.ok ? { type: 'transport', command: transport.value } : { type: 'refused', error: transport.error };
  const udp = parseUdpRequest(line);
  if (udp !== undefined) return udp.ok ? { type: 'udp-request', command: udp.value } : { type: 'refused', error: udp.error };
  const parsed = parseCommand(line);
  return parsed.ok ? { type: 'command', command: parsed.value } : { type: 'refused', error: parsed.error };
}

describe('parseClientLine', () => {
  it('routes each family by its verb', () => {
    expect(parseClientLine('<set_msg_all>hi')).toEqual({ type: 'command', command: { kind: 'broadcast', text: 'hi' } });
    expect(parseClientLine(' <ACCEPT>7 ')).toEqual({ type: 'transfer', command: { kind: 'accept', id: 7 } });
    expect(parseClientLine('<transport>tcp 3 lost')).toEqual({
      type: 'transport',
      command: { kind: 'transport', transport: 'tcp', received: 3, reason: 'lost' },
    });
    expect(parseClientLine('<Udp>')).toEqual({ type: 'udp-request', command: { kind: 'udp-request' } });
  });

  it('refuses with the same code and message as the family parser', () => {
    expect(parseClientLine('<nope>x')).toMatchObject({ type: 'refused', error: { code: 'unknown-command' } });
    expect(parseClientLine('<udp>5')).toMatchObject({ type: 'refused', error: { code: 'bad-argument' } });
    expect(parseClientLine('<accept>zero')).toMatchObject({ type: 'refused', error: { code: 'bad-argument' } });
    expect(parseClientLine('hello')).toMatchObject({ type: 'refused', error: { code: 'bad-command' } });
    expect(parseClientLine('<accept>1\rx')).toMatchObject({ type: 'refused', error: { code: 'bad-command' } });
  });

  it('reads every line exactly as the family parsers tried in turn do', () => {
    const line = fc.oneof(
      command.map(formatCommand),
      transferCommand.map(formatTransferCommand),
      fc.tuple(fc.nat(), transportReason).map(([received, reason]) => formatTransportCommand({ kind: 'transport', transport: 'tcp', received, reason })),
      fc.constantFrom('<udp>', '<UDP> ', '<udp>x', '<transport>', '<transport>udp 1 lost', '<>', '<', ''),
      grammarSoup,
      hostileString,
    );
    fc.assert(fc.property(line, (l) => {
        expect(parseClientLine(l)).toStrictEqual(byFamilies(l));
      }), { numRuns: 2000 });
  });
});
