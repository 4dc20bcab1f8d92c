// The chat-wan suite's paths (bench/lib/wan-path.ts) end to end on 127.0.0.1 with port 0, no root: the
// chat-pairs clients through dualchat's impairment proxy for dualchat UDP, and through a proxy per
// direction for udx-native (ports bound anywhere and told around), with delay, jitter and loss — every
// line arrives once, in order, no sooner than the path's two-hop floor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asChatPairsResult, type ChatPairsParams } from '../../bench/lib/pairs-protocol.ts';
import { udxPairEnds, udxPairIds } from '../../bench/lib/udx-pairs.ts';
import { dualchatPath, udxPath, type WanPath } from '../../bench/lib/wan-path.ts';
import { stopAll, Worker } from '../../bench/lib/worker.ts';

const WAIT_MS = 20_000;
const HOST = '127.0.0.1';
const DELAY_MS = 20;
const JITTER_MS = 5;
/** High enough that some of the run's ~100+ datagrams are dropped (all survive with p ≈ 0.8^100). */
const LINK = { loss: 0.2, delayMs: DELAY_MS, jitterMs: JITTER_MS };
const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-wan-test-'));
const started: Worker[] = [];
const paths: WanPath[] = [];
const work = { denseLines: 20, denseRate: 100, sparsePairs: 2, sparseLines: 3, sparseRate: 10, bytes: 100, drainMs: 15_000 };

function start(script: string, params: object): Worker {
  const w = Worker.start(script, [JSON.stringify(params)]);
  started.push(w);
  return w;
}

afterAll(async () => {
  await stopAll(started);
  await Promise.all(paths.map((p) => p.close()));
  rmSync(filesDir, { recursive: true, force: true });
});

async function run(clients: Worker): Promise<ReturnType<typeof asChatPairsResult>> {
  clients.send({ type: 'go' });
  return asChatPairsResult(await clients.next((m) => m.type === 'result', 'result', WAIT_MS));
}

function check(r: ReturnType<typeof asChatPairsResult>): void {
  expect(r.dense).toMatchObject({ sent: 20, delivered: 20, lost: 0, duplicates: 0, outOfOrder: 0, unknown: 0 });
  expect(r.sparse).toMatchObject({ sent: 6, delivered: 6, lost: 0, duplicates: 0, outOfOrder: 0 });
  // Two hops, each at least delay − jitter: no line can beat the path.
  for (const l of [...r.dense.latencies, ...r.sparse.latencies]) expect(l).toBeGreaterThanOrEqual(2 * (DELAY_MS - JITTER_MS));
}

describe('chat-wan paths', () => {
  it('dualchat UDP through the proxy (udp.via): every line once, in order, after the delay; the proxy dropped some', { timeout: 60_000 }, async () => {
    const server = start('chat-server', { host: HOST, tcpPort: 0, udpPort: 0, roomCapacity: 15, rateLimit: 0, maxConnectionsPerAddress: 32, filesDir });
    const ready = await server.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    const path = await dualchatPath(Number(ready['udpPort']), LINK, 'test');
    paths.push(path);
    const params: ChatPairsParams = { mode: 'dualchat-udp', host: HOST, port: Number(ready['tcpPort']), udxBasePort: 0, udpViaPort: path.viaPort, openBatch: 2, ...work };
    const clients = start('chat-pairs', params);
    await clients.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    const before = path.counters();
    const r = await run(clients);
    check(r);
    expect(r.fellBack).toBe(0);
    const after = path.counters();
    expect(after.proxies).toBe(1);
    expect(after.datagrams - before.datagrams).toBeGreaterThan(2 * (20 + 6));
    expect(after.dropped - before.dropped).toBeGreaterThan(0);
  });

  it('udx-native through a proxy per direction, ports bound anywhere and told: every line once, in order, after the delay', { timeout: 60_000 }, async () => {
    const pairs = 1 + work.sparsePairs;
    const relay = start('udx-relay', { host: HOST, port: 0, basePort: 0, pairs });
    const ready = await relay.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    const relayPort = Number(ready['port']);
    expect(relayPort).toBeGreaterThan(0);
    const path = await udxPath(relayPort, LINK, 'test');
    paths.push(path);
    const params: ChatPairsParams = { mode: 'udx', host: HOST, port: path.relayViaPort, udxBasePort: 0, ...work };
    const clients = start('chat-pairs', params);
    const cready = await clients.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    const ports = cready['udxPorts'] as Array<[number, number]>;
    expect(ports).toHaveLength(pairs);
    const ends = await path.addClients(ports);
    await expect(path.addClients(ports)).rejects.toThrow(/already/);
    relay.send({ type: 'connect', ends });
    await relay.next((m) => m.type === 'connected', 'connected', WAIT_MS);
    const r = await run(clients);
    check(r);
    const c = path.counters();
    expect(c.proxies).toBe(1 + 2 * pairs);
    expect(c.dropped).toBeGreaterThan(0);
  });

  it('the udx relay refuses a connect command that does not list every pair', { timeout: 30_000 }, async () => {
    const relay = start('udx-relay', { host: HOST, port: 0, basePort: 0, pairs: 2 });
    await relay.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    relay.send({ type: 'connect', ends: [[1000, 1001]] });
    await expect(relay.next((m) => m.type === 'connected', 'connected', WAIT_MS)).rejects.toThrow(/ends must list 2 pairs/);
  });

  it('bad link settings are refused with the field named, and no proxy is left open', async () => {
    await expect(dualchatPath(9, { delayMs: -1 }, 'x')).rejects.toThrow(/delayMs must be a non-negative number/);
    await expect(udxPath(9, { loss: 2 }, 'x')).rejects.toThrow(/loss must be a number between 0 and 1/);
  });

  it('pair ids are the same with fixed ports and with ports told', () => {
    for (const pair of [0, 1, 7, 999]) expect(udxPairEnds(1, pair)).toMatchObject(udxPairIds(pair));
    expect(() => udxPairIds(-1)).toThrow(RangeError);
    expect(() => udxPairIds(1000)).toThrow(RangeError);
  });
});
