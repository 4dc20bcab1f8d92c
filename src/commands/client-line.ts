// One entry for a client line: the verb is read once and the line goes to its family's argument parser —
// chat command, file-transfer line, `<transport>`, `<udp>` — or comes back as a refusal. Pure and total.
import { kindOfVerb } from './aliases.ts';
import { parseArguments, unknownVerb } from './command-syntax.ts';
import { isTransferVerb, parseTransferArguments } from './transfer-syntax.ts';
import { parseTransportArguments, parseUdpRequestArguments, TRANSPORT_VERB, UDP_VERB } from './transport-syntax.ts';
import type { ClientLine, ParseError, ParseResult } from './types.ts';
import { splitVerb } from './verb.ts';

/** A client line (without its terminator) → what it asks for. Never throws. */
export function parseClientLine(line: string): ClientLine {
  const split = splitVerb(line);
  if (!split.ok) return refused(split.error);
  const { verb, rest } = split;
  const kind = kindOfVerb(verb);
  if (kind !== undefined) {
    const parsed = parseArguments(kind, verb, rest);
    return parsed.ok ? { type: 'command', command: parsed.value } : refused(parsed.error);
  }
  if (isTransferVerb(verb)) return routed(parseTransferArguments(verb, rest), (command) => ({ type: 'transfer', command }));
  if (verb === TRANSPORT_VERB) return routed(parseTransportArguments(rest), (command) => ({ type: 'transport', command }));
  if (verb === UDP_VERB) return routed(parseUdpRequestArguments(rest), (command) => ({ type: 'udp-request', command }));
  return refused(unknownVerb(split.written).error);
}

function refused(error: ParseError): ClientLine {
  return { type: 'refused', error };
}

function routed<T>(parsed: ParseResult<T>, as: (value: T) => ClientLine): ClientLine {
  return parsed.ok ? as(parsed.value) : refused(parsed.error);
}
