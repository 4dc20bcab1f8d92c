// How the udx-native contender of chat-latency is wired: udx streams have no handshake, so both ends
// must know each other's stream id and port in advance. Inside the suite's own network namespace the
// ports are fixed by convention: the relay listens on one port, and pair p's sender and receiver
// sockets use basePort + 2p and basePort + 2p + 1. Each end of a hop has its own stream id.
// Outside a namespace (chat-wan, through impairment proxies) basePort is 0: every socket binds any free
// port, and the ports are told around at setup (workers/udx-relay.ts, workers/chat-pairs.ts).
//
//   sender (id 2p+1, port base+2p) ⇄ relay (id RELAY_ID_BASE+2p+1) ─forwards→ relay (id RELAY_ID_BASE+2p+2) ⇄ receiver (id 2p+2, port base+2p+1)

/** Relay-side stream ids start here, far from the clients' (which are 2p+1 and 2p+2). */
export const RELAY_ID_BASE = 1_000_000;
/** Pairs one relay serves at most (the ports of a pair must fit under 65536). */
export const MAX_UDX_PAIRS = 1_000;

export interface UdxPairEnds {
  senderPort: number;
  receiverPort: number;
  senderId: number;
  receiverId: number;
  relayToSenderId: number;
  relayToReceiverId: number;
}

/** Pair p's stream ids alone (when the ports are not fixed but bound to any free port and told). */
export function udxPairIds(pair: number): Pick<UdxPairEnds, 'senderId' | 'receiverId' | 'relayToSenderId' | 'relayToReceiverId'> {
  if (!Number.isSafeInteger(pair) || pair < 0 || pair >= MAX_UDX_PAIRS) throw new RangeError(`pair must be 0–${MAX_UDX_PAIRS - 1} (got ${pair})`);
  return {
    senderId: 2 * pair + 1,
    receiverId: 2 * pair + 2,
    relayToSenderId: RELAY_ID_BASE + 2 * pair + 1,
    relayToReceiverId: RELAY_ID_BASE + 2 * pair + 2,
  };
}

export function udxPairEnds(basePort: number, pair: number): UdxPairEnds {
  if (!Number.isSafeInteger(pair) || pair < 0 || pair >= MAX_UDX_PAIRS) throw new RangeError(`pair must be 0–${MAX_UDX_PAIRS - 1} (got ${pair})`);
  if (!Number.isSafeInteger(basePort) || basePort < 1 || basePort + 2 * pair + 1 > 65_535) {
    throw new RangeError(`basePort ${basePort} leaves no room for pair ${pair}'s ports`);
  }
  return { senderPort: basePort + 2 * pair, receiverPort: basePort + 2 * pair + 1, ...udxPairIds(pair) };
}
