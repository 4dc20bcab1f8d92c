// Who gets in: a source address holds at most so many connections; the next is told why in one line,
// given a moment to read it and closed, and the log says so — throttled, so that a host hammering the
// port cannot turn the log into the attack's amplifier (`<stats>` still counts every refusal).
import type { Logger } from 'pino';
import { formatReply } from '../commands/grammar.ts';
import type { AddressLimit } from '../tcp/listener.ts';
import { REFUSED_CONNECTION_LINGER_MS } from './constants.ts';
import { inputLogOf } from './throttle.ts';

export function addressLimit(maxPerAddress: number, logger: Logger): AddressLimit {
  return {
    maxPerAddress,
    lingerMs: REFUSED_CONNECTION_LINGER_MS,
    refusal: ({ address, limit }) =>
      `${formatReply({ kind: 'error', code: 'refused', message: `too many connections from ${address} (at most ${limit}); closing` })}\n`,
    onRefused: ({ address, port, limit }) => inputLogOf(logger).info({ remote: `${address}:${port ?? '?'}`, limit }, 'connection refused: too many from this address'),
  };
}
