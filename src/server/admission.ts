// Who gets in: a source address (an IPv6 /64) holds at most so many connections, and the process at most
// so many in all (the cap every listener shares); the next is told why in one line, given a moment to
// read it and closed, and the log says so — throttled, so that a host hammering the port cannot turn the
// log into the attack's amplifier (`<stats>` still counts every refusal).
import type { Logger } from 'pino';
import { formatReply } from '../commands/grammar.ts';
import type { AddressLimit, ConnectionCap, RefusedConnection } from '../tcp/listener.ts';
import { REFUSAL_LOGS_PER_SECOND, REFUSED_CONNECTION_LINGER_MS } from './constants.ts';
import { throttled } from './throttle.ts';

/** Why a connection is refused, in the words every door uses (the IRC door wraps them in its ERROR). */
export function refusalReason({ reason, group, limit }: RefusedConnection): string {
  return reason === 'full' ? `the server is full (${limit} connections); try again later` : `too many connections from ${group} (at most ${limit})`;
}

export function addressLimit(maxPerAddress: number, cap: ConnectionCap, logger: Logger): AddressLimit {
  // One throttle per kind: a flood from one address must not hide that the server is full.
  const logged = {
    address: throttled(REFUSAL_LOGS_PER_SECOND, (who: RefusedConnection, suppressed: number) => logRefusal(logger, who, suppressed)),
    full: throttled(REFUSAL_LOGS_PER_SECOND, (who: RefusedConnection, suppressed: number) => logRefusal(logger, who, suppressed)),
  };
  return {
    maxPerAddress,
    cap,
    lingerMs: REFUSED_CONNECTION_LINGER_MS,
    refusal: (who) => `${formatReply({ kind: 'error', code: 'refused', message: `${refusalReason(who)}; closing` })}\n`,
    onRefused: (who) => logged[who.reason](who),
  };
}

function logRefusal(logger: Logger, { reason, address, group, port, limit }: RefusedConnection, suppressed: number): void {
  const fields = { remote: `${address}:${port ?? '?'}`, ...(group !== address ? { group } : {}), limit, ...(suppressed > 0 ? { suppressed } : {}) };
  logger.info(fields, reason === 'full' ? 'connection refused: the server is full' : 'connection refused: too many from this address');
}
