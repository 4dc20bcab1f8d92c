// What the chat-latency suite and its client worker (workers/chat-pairs.ts) say to each other: the
// modes, the worker's parameters and its result message.
import type { DeliverySummary } from './delivery.ts';

export const CHAT_PAIR_MODES = ['dualchat-udp', 'dualchat-tcp', 'udx'] as const;
export type ChatPairMode = (typeof CHAT_PAIR_MODES)[number];

export interface ChatPairsParams {
  mode: ChatPairMode;
  host: string;
  /** The dualchat server's TCP port, or the udx relay's UDP port. */
  port: number;
  /**
   * udx mode: pair p's sockets use udxBasePort + 2p and + 2p + 1 (bench/lib/udx-pairs.ts); 0: any free
   * ports, told in the ready message as `udxPorts` (chat-wan, through impairment proxies).
   */
  udxBasePort: number;
  /** dualchat-udp: send the datagrams to this port on `host` (an impairment proxy) instead of the server's. */
  udpViaPort?: number;
  /** dualchat: pairs signing in at a time (default 1: one after the other). */
  openBatch?: number;
  denseLines: number;
  denseRate: number;
  sparsePairs: number;
  sparseLines: number;
  sparseRate: number;
  /** Size of each chat text (udx: of each line, its "\n" included). */
  bytes: number;
  /** How long to wait for the last arrivals after the last line was handed over. */
  drainMs: number;
}

/** One class of pairs (dense or sparse) in one run. */
export interface PairClassResult extends DeliverySummary {
  /** Latency of every line sent, ms, in pair then line order; null when it did not arrive. */
  latencies: Array<number | null>;
}

export interface ChatPairsResult {
  dense: PairClassResult;
  sparse: PairClassResult;
  /**
   * dualchat: the dense sender's own copies (the server echoes a private message to its sender):
   * sender → server → sender, to tell which hop a delay is on.
   */
  denseEcho: PairClassResult | null;
  /** ms from the first line handed over to the last arrival (or to the end of the wait). */
  elapsedMs: number;
  /** Clients whose chat left UDP during the run (dualchat-udp; must be 0). */
  fellBack: number;
  /** CPU time the client process used from the first line to the end of the run, ms. */
  cpuMs: number;
  /** The clients' engine counters summed (dualchat-udp): datagrams sent, declared lost, retransmitted. */
  engine: { packetsSent: number; packetsLost: number; retransmissions: number } | null;
}

/** The worker's `result` message as the suite receives it, checked for the fields it reads. */
export function asChatPairsResult(m: Record<string, unknown>): ChatPairsResult {
  const isClass = (v: unknown): v is PairClassResult =>
    typeof v === 'object' && v !== null && Array.isArray((v as { latencies?: unknown }).latencies) && typeof (v as { lost?: unknown }).lost === 'number';
  if (!isClass(m['dense']) || !isClass(m['sparse']) || typeof m['elapsedMs'] !== 'number' || typeof m['fellBack'] !== 'number') {
    throw new Error(`not a chat-pairs result: ${JSON.stringify(m).slice(0, 300)}`);
  }
  return m as unknown as ChatPairsResult;
}
