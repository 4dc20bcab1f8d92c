// What one idle reliable engine costs the server in memory: creates N pairs of engines (a server's
// and a client's, each with its socket configuration), lets each pair do what a freshly bound session
// does — the opening PINGs and their ACKs, one chat line each way, one keepalive round — then drops the
// client engines and measures the process after a full garbage collection, divided by N. Run with
// --expose-gc:
//
//   node --expose-gc --import tsx bench/loadgen/engine-memory.ts [N]      (default N = 10,000)
//
// Prints one JSON line: bytes per server engine of heap used, of array buffers (external memory), and
// of RSS (coarse: the heap grows in pages).
import { createConnection, resolveEngineConfig } from '../../src/reliability/index.ts';
import { Channel, type ReliableConnection } from '../../src/reliability/types.ts';
import { CLIENT_ENGINE_CONFIG, SOCKET_ENGINE_CONFIG } from '../../src/udp/engine-driver.ts';

/** Bounded exchange: packets moved between the two ends per step, steps per phase. */
const MAX_PACKETS_PER_STEP = 64;
const MAX_STEPS = 64;

interface Usage {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

function measure(): Usage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (see the header of this file)');
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** Move packets both ways at virtual time `now` until neither end has anything to send. */
function exchange(a: ReliableConnection, b: ReliableConnection, now: number): void {
  for (let step = 0; step < MAX_STEPS; step++) {
    let moved = 0;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let i = 0; i < MAX_PACKETS_PER_STEP; i++) {
        const packet = from.pollTransmit(now);
        if (packet === undefined) break;
        to.handlePacket(packet, now + 0.1);
        moved++;
      }
    }
    for (const end of [a, b]) {
      while (end.pollEvent() !== undefined) {
        // drained
      }
    }
    if (moved === 0) return;
  }
}

/** Fire every timer due by `now` on both ends, then exchange. */
function tick(a: ReliableConnection, b: ReliableConnection, now: number): void {
  for (const end of [a, b]) {
    const t = end.pollTimeout();
    if (t !== undefined && t <= now) end.handleTimeout(now);
  }
  exchange(a, b, now);
}

function main(): void {
  const n = Number(process.argv[2] ?? 10_000);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`N must be a whole number ≥ 1, got ${process.argv[2]}`);
  const resolved = resolveEngineConfig(CLIENT_ENGINE_CONFIG);
  const line = new TextEncoder().encode(`<set_msg_all>${'x'.repeat(64)}`);
  const before = measure();
  const pairs: Array<[ReliableConnection, ReliableConnection]> = [];
  for (let i = 0; i < n; i++) {
    const server = createConnection(SOCKET_ENGINE_CONFIG, 0);
    const client = createConnection(CLIENT_ENGINE_CONFIG, 0);
    pairs.push([server, client]);
    exchange(client, server, 0); // opening PINGs and their ACKs
    client.send(Channel.chat, line, 1);
    server.send(Channel.chat, line, 1);
    exchange(client, server, 1);
    for (let t = 2; t <= 12; t += 5) tick(client, server, t); // delayed ACKs settle
  }
  // One keepalive round, as soon as it is due.
  const later = 20 + (resolved.ok ? resolved.config.keepaliveIntervalMs : 0);
  for (const [server, client] of pairs) tick(client, server, later);
  for (const [server, client] of pairs) tick(client, server, later + 10);
  const open = pairs.filter(([s, c]) => s.state === 'open' && c.state === 'open').length;
  const servers = pairs.map(([s]) => s);
  pairs.length = 0;
  const after = measure();
  const engines = servers.length;
  const per = (k: keyof Usage): number => Math.round((after[k] - before[k]) / engines);
  console.log(
    JSON.stringify({
      engines,
      keepaliveMs: later - 20,
      heapUsedPerEngine: per('heapUsed'),
      externalPerEngine: per('external'),
      arrayBuffersPerEngine: per('arrayBuffers'),
      rssPerEngine: per('rss'),
      open,
    }),
  );
}

main();
