// Who gets in: a source address (an IPv6 /64) holds at most so many connections, and the process at most
// so many in all (the cap every listener shares); the next is told why in one line, given a moment to
// read it and closed, and the log says so — throttled, so that a host hammering the port cannot turn the
// log into the attack's amplifier (`<stats>` still counts every refusal).
import type { Logger } from 'pino';
import { formatReply } from '../commands/grammar.ts';
import type { AddressLimit, ConnectionCap, RefusedConnection } from '../tcp/listener.ts';
import { REFUSED_CONNECTION_LINGER_MS } from './constants.ts';
import { inputLogOf } from './throttle.ts';

/** Why a connection is refused, in the words every door uses (the IRC door wraps them in its ERROR). */
export function refusalReason({ reason, group, limit }: RefusedConnection): string {
  return reason === 'full' ? `the server is full (${limit} connections); try again later` : `too many connections from ${group} (at most ${limit})`;
}

export function addressLimit(maxPerAddress: number, cap: ConnectionCap, logger: Logger): AddressLimit {
  return {
    maxPerAddress,
    cap,
    lingerMs: REFUSED_CONNECTION_LINGER_MS,
    refusal: (who) => `${formatReply({ kind: 'error', code: 'refused', message: `${refusalReason(who)}; closing` })}\n`,
    // Throttled per message: a flood from one address does not hide that the server is full.
    onRefused: ({ reason, address, group, port, limit }) =>
      inputLogOf(logger).info(
        { remote: `${address}:${port ?? '?'}`, ...(group !== address ? { group } : {}), limit },
        reason === 'full' ? 'connection refused: the server is full' : 'connection refused: too many from this address',
      ),
  };
}
