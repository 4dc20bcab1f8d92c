// The data-plane lines between a dualchat client and the server (docs/protocol.md, "Datagrams,
// binding and fallback"): the `<udp>` offer and the `<transport>` exchange that moves chat from UDP
// back to TCP. `<transport>tcp RECEIVED REASON` is written the same way in both directions; as a
// client command it is a TransportCommand, handled by the server shell and never by the hub, so it
// is parsed here rather than by parseCommand. Pure and total.
import { asciiLower } from './aliases.ts';
import { parseDecimal } from './numbers.ts';
import { quote } from './quoting.ts';
import type { ParseResult, TransportCommand, TransportReason, UdpRequestCommand } from './types.ts';
import { parseFailure as fail, splitVerb, verbOf } from './verb.ts';

export const TRANSPORT_VERB = 'transport';
export const TRANSPORT_USAGE = 'tcp RECEIVED REASON';
export const UDP_USAGE = 'PORT CONNID TOKEN';
export const UDP_VERB = 'udp';

/** Every TransportReason and its meaning. */
export const TRANSPORT_REASON_MEANINGS: Readonly<Record<TransportReason, string>> = {
  timeout: 'the UDP binding did not complete in time',
  refused: 'the server refused the binding hello',
  lost: 'the reliable engine declared the peer lost',
  closed: 'the peer closed its end of the data plane',
  requested: 'answering the other side’s <transport>',
};

export function isTransportReason(s: string): s is TransportReason {
  return Object.hasOwn(TRANSPORT_REASON_MEANINGS, s);
}

/** Longest token accepted in `<udp>` (hex digits): 512 bits, far above the 128 the server uses. */
export const MAX_TOKEN_HEX_DIGITS = 128;
const TOKEN_HEX = /^(?:[0-9a-fA-F]{2})+$/;
const MAX_CONNECTION_ID = 0xffff_ffff;
const MAX_PORT = 65_535;

export interface TransportFields {
  transport: 'tcp';
  received: number;
  reason: TransportReason;
}

/** `tcp RECEIVED REASON` → its fields, or why not (a phrase for an error message). */
export function parseTransportBody(body: string): { ok: true; value: TransportFields } | { ok: false; why: string } {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 3) return { ok: false, why: `expected 3 fields, got ${body.trim() === '' ? 0 : parts.length}` };
  const [mode = '', count = '', reason = ''] = parts;
  if (asciiLower(mode) !== 'tcp') return { ok: false, why: `chat can only move to tcp, not ${quote(mode)}` };
  const received = parseDecimal(count);
  if (received === undefined) return { ok: false, why: `RECEIVED must be a decimal count, got ${quote(count)}` };
  if (!isTransportReason(reason)) return { ok: false, why: `unknown reason ${quote(reason)}` };
  return { ok: true, value: { transport: 'tcp', received, reason } };
}

export function formatTransportBody(fields: TransportFields): string {
  return `tcp ${fields.received} ${fields.reason}`;
}

/** `PORT CONNID TOKEN` → the offer's fields, or why not. The token comes back in lower case. */
export function parseUdpBody(
  body: string,
): { ok: true; value: { port: number; connectionId: number; token: string } } | { ok: false; why: string } {
  const parts = body.split(' ');
  if (parts.length !== 3) return { ok: false, why: `expected 3 fields, got ${parts.length}` };
  const [portText = '', idText = '', token = ''] = parts;
  const port = parseDecimal(portText);
  if (port === undefined || port < 1 || port > MAX_PORT) return { ok: false, why: `PORT must be 1–65535, got ${quote(portText)}` };
  const connectionId = parseDecimal(idText);
  if (connectionId === undefined || connectionId < 1 || connectionId > MAX_CONNECTION_ID) {
    return { ok: false, why: `CONNID must be 1–4294967295, got ${quote(idText)}` };
  }
  if (!TOKEN_HEX.test(token) || token.length > MAX_TOKEN_HEX_DIGITS) {
    return { ok: false, why: `TOKEN must be an even number (2–${MAX_TOKEN_HEX_DIGITS}) of hex digits, got ${quote(token)}` };
  }
  return { ok: true, value: { port, connectionId, token: token.toLowerCase() } };
}

/**
 * A client line → TransportCommand if its verb is `transport` (any case), else undefined (the line
 * is for parseCommand). Never throws.
 */
export function parseTransportCommand(line: string): ParseResult<TransportCommand> | undefined {
  if (verbOf(line) !== TRANSPORT_VERB) return undefined;
  const split = splitVerb(line);
  return split.ok ? parseTransportArguments(split.rest) : split;
}

/** The arguments of `<transport>`. */
export function parseTransportArguments(rest: string): ParseResult<TransportCommand> {
  const body = parseTransportBody(rest);
  if (!body.ok) return fail('bad-argument', `${body.why}; usage: <${TRANSPORT_VERB}>${TRANSPORT_USAGE}`);
  return { ok: true, value: { kind: 'transport', ...body.value } };
}

/** TransportCommand → its line (no terminator); parseTransportCommand gives it back exactly. */
export function formatTransportCommand(c: TransportCommand): string {
  return `<${TRANSPORT_VERB}>${formatTransportBody(c)}`;
}

/**
 * A client line → UdpRequestCommand if its verb is `udp` (any case), else undefined (the line is for
 * the other parsers). The request takes no argument. Never throws.
 */
export function parseUdpRequest(line: string): ParseResult<UdpRequestCommand> | undefined {
  if (verbOf(line) !== UDP_VERB) return undefined;
  const split = splitVerb(line);
  return split.ok ? parseUdpRequestArguments(split.rest) : split;
}

/** What follows `<udp>` in a request: nothing. */
export function parseUdpRequestArguments(rest: string): ParseResult<UdpRequestCommand> {
  const extra = rest.trim();
  if (extra !== '') return fail('bad-argument', `<${UDP_VERB}> takes no argument (it asks the server for a UDP binding), got ${quote(extra)}`);
  return { ok: true, value: { kind: 'udp-request' } };
}

/** The request's line (no terminator); parseUdpRequest gives it back. */
export function formatUdpRequest(): string {
  return `<${UDP_VERB}>`;
}
