// What `<stats>` and RunningServer.stats() report: the counters a person on call looks at first, and the
// UDP links with the worst loss — collected from the parts that keep them, and put into words.
import type { StoreStatus } from '../store/sqlite-store.ts';
import type { SessionId } from '../chat/ids.ts';
import type { EngineStats } from '../reliability/types.ts';
import { STATS_TOP_SESSIONS } from './constants.ts';
import type { DataPlaneStats } from './udp-plane.ts';

/** A snapshot of the server's counters (what `<stats>` summarises). */
export interface ServerStats {
  /** Open TCP sessions, named or not. */
  sessions: number;
  users: number;
  rooms: number;
  uptimeMs: number;
  udp: DataPlaneStats;
  /** File transfers in progress (downloads, uploads waiting or running, files sent to users). */
  fileTransfers: number;
  /** Named sessions by the way their chat travels now. */
  transports: {
    /** Chat over the session's UDP engine. */
    udp: number;
    /** Chat over TCP: never offered, not bound (yet: `udp.offered` of them), or fallen back. */
    tcp: number;
    /** Between a fallback's `<transport>` and the client's count. */
    movingToTcp: number;
  };
  /** Open TCP connections, per-address refusals. */
  connections: { open: number; sourceAddresses: number; refusedPerAddress: number };
  /** This process (process.memoryUsage(), process.cpuUsage()). */
  process: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; cpuUserMs: number; cpuSystemMs: number };
}

/** One UDP-bound session's link, as its server-side engine sees it. */
export interface UdpSessionStats {
  session: SessionId;
  name: string | undefined;
  /** Smoothed RTT, undefined before the first sample. */
  srttMs: number | undefined;
  packetsSent: number;
  /** Packets the engine declared lost (RFC 9002 §6.1). */
  packetsLost: number;
  /** packetsLost / packetsSent (0 when nothing was sent). */
  lossRate: number;
  /** Retransmissions by timeout and fast retransmit. */
  retransmits: number;
}

/** The counters the parts keep; collectStats adds the derived ones and the process's. */
export type StatsSources = Omit<ServerStats, 'transports' | 'process'>;

export function collectStats(from: StatsSources): ServerStats {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const { udp, users } = from;
  return {
    ...from,
    transports: { udp: udp.bound, tcp: Math.max(0, users - udp.bound - udp.syncing), movingToTcp: udp.syncing },
    process: {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
    },
  };
}

/** UDP-bound sessions' links, worst loss first (then most retransmits), at most `limit`. */
export function worstLinks(engines: ReadonlyArray<{ session: SessionId; name: string | undefined; stats: EngineStats }>, limit = Infinity): UdpSessionStats[] {
  const all = engines.map(({ session, name, stats }) => linkStats(session, name, stats));
  all.sort((a, b) => b.lossRate - a.lossRate || b.retransmits - a.retransmits || a.session - b.session);
  return all.length > limit ? all.slice(0, Math.max(0, limit)) : all;
}

/** The `<stats>` answer: a summary line, transports, the process, then the worst UDP links (at most STATS_TOP_SESSIONS). */
export function statsLines(s: ServerStats, worst: readonly UdpSessionStats[]): string[] {
  const u = s.udp;
  const rejected = Object.values(u.rejected).reduce((a, b) => a + b, 0);
  const b = u.binding;
  const refused = b.refusedUnknownConnection + b.refusedMalformed + b.refusedBadMac + b.refusedReplayed;
  const dropped = b.droppedUnknownConnection + b.droppedUnbound + b.droppedWrongAddress + u.unexpected;
  const fallbacks = Object.values(u.fallbacks).reduce((x, y) => x + y, 0);
  const t = s.transports;
  const c = s.connections;
  const p = s.process;
  const lines = [
    `stats: sessions=${s.sessions} users=${s.users} rooms=${s.rooms} uptime=${Math.floor(s.uptimeMs / 1000)}s ` +
      `udp: bound=${u.bound} datagrams-in=${u.datagramsReceived} datagrams-out=${u.datagramsSent} ` +
      `rejected=${rejected} hellos-refused=${refused} dropped=${dropped} rebinds=${b.rebound} fallbacks=${fallbacks} ` +
      `sealed=${u.sealed} auth-failed=${u.rejected['auth-failed']} replayed=${u.rejected.replayed}`,
    `transports: chat-over-udp=${t.udp} chat-over-tcp=${t.tcp} (udp-offered-not-bound=${u.offered}) moving-to-tcp=${t.movingToTcp} ` +
      `unnamed=${s.sessions - s.users} tcp-connections=${c.open} addresses=${c.sourceAddresses} refused-per-address=${c.refusedPerAddress}`,
    `process: rss=${mebibytes(p.rssBytes)} heap-used=${mebibytes(p.heapUsedBytes)} heap-total=${mebibytes(p.heapTotalBytes)} ` +
      `external=${mebibytes(p.externalBytes)} cpu-user=${(p.cpuUserMs / 1000).toFixed(1)}s cpu-system=${(p.cpuSystemMs / 1000).toFixed(1)}s`,
  ];
  const shown = worst.slice(0, STATS_TOP_SESSIONS);
  if (shown.length > 0) {
    lines.push(`udp links, worst loss first (${shown.length} of ${u.bound}):`);
    for (const w of shown) lines.push(`  ${w.name ?? `#${w.session}`}: ${linkFigures(w)}`);
  }
  return lines;
}

/** One link's figures: `rtt=38.20ms loss=4.1% (37 of 902 packets) retransmits=35`. */
function linkFigures(w: UdpSessionStats): string {
  const rtt = w.srttMs === undefined ? 'rtt=-' : `rtt=${w.srttMs.toFixed(2)}ms`;
  return `${rtt} loss=${(w.lossRate * 100).toFixed(1)}% (${w.packetsLost} of ${w.packetsSent} packets) retransmits=${w.retransmits}`;
}

/**
 * The `<stats>` answer for a user who is not an operator: their own link only (other users' links and the
 * server's memory and CPU are the operator's). `engine`: the session's UDP engine, undefined when its
 * chat travels over TCP.
 */
export function ownLinkLines(session: SessionId, name: string | undefined, engine: EngineStats | undefined): string[] {
  const link = engine === undefined ? 'your link: transport=tcp (round trips and losses are measured on UDP links only)' : `your link: transport=udp ${linkFigures(linkStats(session, name, engine))}`;
  return [link, "the server's figures are for operators (<oper>PASSWORD)"];
}

function linkStats(session: SessionId, name: string | undefined, e: EngineStats): UdpSessionStats {
  return {
    session,
    name,
    srttMs: e.srtt,
    packetsSent: e.packetsSent,
    packetsLost: e.packetsLost,
    lossRate: e.packetsSent > 0 ? e.packetsLost / e.packetsSent : 0,
    retransmits: e.retransmitsTimeout + e.retransmitsFast,
  };
}

/** Bytes as "12.3MiB". */
function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}MiB`;
}

/** What `<stats>` adds about the store: nothing while it is healthy, one loud line once it runs in memory. */
export function storeLines(status: StoreStatus): string[] {
  if (!status.degraded) return [];
  return [`store: DEGRADED: writes to ${status.path} failed; running in memory, what is written now is lost at restart (see the log)`];
}
