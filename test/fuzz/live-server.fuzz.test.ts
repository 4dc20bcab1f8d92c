// A live server fed random bytes on TCP and random datagrams on UDP from several connections while two
// real clients (`dualchat client`, bound over UDP) chat. Bounded in time (~6 s of fuzz) and in every loop. The
// chat must complete in order, the server must stay up and answer, and its live heap (after a full
// GC, sampled during the fuzz and after it) must stay bounded: random input may cost a connection its
// session, never the server its memory.
//
// The fuzz is seeded (printed; FUZZ_SEED=N reproduces the byte streams — timing still varies).
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import CRC32 from 'crc-32';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReply } from '../../src/commands/grammar.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { encodeHello } from '../../src/udp/binding.ts';
import { encodeDatagram } from '../../src/wire/codec.ts';
import { spawnClient, type ClientProcess } from '../e2e/client-helpers.ts';
import { connectedClient, isKind } from '../e2e/helpers.ts';
import { withDeadline } from '../e2e/hardening-helpers.ts';
import { is } from '../e2e/udp-helpers.ts';

const FUZZ_MS = 6_000;
const TCP_FUZZERS = 8;
const CHAT_LINES = 40;
/** Live heap allowed above the starting point, during and after the fuzz. */
const HEAP_BUDGET_BYTES = 48 * 1024 * 1024;
/** Live heap allowed above the starting point once every fuzzer has gone. */
const RETAINED_BUDGET_BYTES = 12 * 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** xorshift32: a reproducible byte source for the fuzzers. */
function prng(seed: number): { next(): number; bytes(n: number): Buffer; below(n: number): number } {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return {
    next,
    below: (n) => next() % n,
    bytes: (n) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}

const SEED = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

let server: RunningServer | undefined;
let filesDir = '';
const children: ClientProcess[] = [];
afterAll(async () => {
  for (const c of children) c.kill();
  await server?.close();
  if (filesDir !== '') await rm(filesDir, { recursive: true, force: true });
});

/** Offers the TCP fuzzers received (when their garbage happened to include a valid <connect>). */
const offers: Array<{ connectionId: number; token: Buffer }> = [];

interface FuzzCounters {
  tcpBytes: number;
  tcpConnections: number;
  closedByServer: number;
  datagrams: number;
}

/** One TCP fuzzer: connect from its own address, send random chunks (sometimes a real command), reconnect when closed. */
async function tcpFuzzer(port: number, index: number, until: number, counters: FuzzCounters): Promise<void> {
  const rnd = prng(SEED + index * 7919);
  for (let connection = 0; connection < 200 && performance.now() < until; connection++) {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: `127.0.0.${60 + index}` });
    counters.tcpConnections++;
    let closed = false;
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        const r = parseReply(line);
        if (r.ok && r.value.kind === 'udp') offers.push({ connectionId: r.value.connectionId, token: Buffer.from(r.value.token, 'hex') });
      }
    });
    socket.on('error', () => {});
    const gone = new Promise<void>((resolve) =>
      socket.on('close', () => {
        closed = true;
        resolve();
      }),
    );
    // Sometimes a name first, so the garbage reaches a connected session (and, asking, a <udp> offer).
    if (rnd.below(2) === 0) socket.write(`<connect>fz${index}x${connection}\n<udp>\n`);
    for (let chunk = 0; chunk < 2_000 && !closed && performance.now() < until; chunk++) {
      const kind = rnd.below(10);
      const data =
        kind < 6
          ? rnd.bytes(1 + rnd.below(2_048))
          : kind < 8
            ? Buffer.from(`<set_msg_all>${rnd.bytes(40).toString('latin1')}\n`, 'latin1')
            : kind < 9
              ? Buffer.from(['<join>r', '<leave>', '<get_users>', '<stats>', '<upload>99 00000000 a.txt', '<transport>tcp 1 lost', '<chunk>@@'][rnd.below(7)] + '\n')
              : Buffer.alloc(1 + rnd.below(70_000), 0x41); // a runaway line now and then
      counters.tcpBytes += data.length;
      if (!socket.write(data)) await Promise.race([new Promise((r) => socket.once('drain', r)), gone]);
      // Let the server and the other fuzzers run between chunks.
      await new Promise((r) => setImmediate(r));
    }
    if (closed) counters.closedByServer++;
    socket.destroy();
    await gone;
  }
}

/** Random datagrams: bytes, valid frames of any type for random or offered ids, hellos, engine garbage. */
async function udpFuzzer(udpPort: number, until: number, counters: FuzzCounters): Promise<void> {
  const rnd = prng(SEED ^ 0x5eed);
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('error', () => {});
  socket.on('message', () => {});
  for (let i = 0; i < 50_000 && performance.now() < until; i++) {
    const kind = rnd.below(6);
    const offer = offers.length > 0 ? offers[rnd.below(offers.length)]! : undefined;
    let bytes: Uint8Array;
    if (kind === 0 || offer === undefined) bytes = rnd.bytes(rnd.below(1_400));
    else if (kind === 1) bytes = framed(1 + rnd.below(3), rnd.below(256), rnd.next(), rnd.bytes(rnd.below(300)));
    else if (kind === 2) bytes = encodeDatagram({ type: 'hello', connectionId: offer.connectionId, body: rnd.bytes(24) });
    else if (kind === 3) {
      bytes = encodeDatagram({ type: 'hello', connectionId: offer.connectionId, body: encodeHello(offer.token, offer.connectionId, BigInt(1 + rnd.below(1000))) });
    } else bytes = encodeDatagram({ type: 'data', connectionId: offer.connectionId, body: rnd.bytes(rnd.below(1_200)) });
    socket.send(bytes, udpPort, '127.0.0.1');
    counters.datagrams++;
    if (i % 16 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

/** Header + body + a CRC that is right for the bytes, whatever version and type they claim. */
function framed(version: number, type: number, connectionId: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(10 + body.length);
  const view = new DataView(out.buffer);
  out[0] = version;
  out[1] = type;
  view.setUint32(2, connectionId >>> 0);
  out.set(body, 6);
  view.setUint32(6 + body.length, CRC32.buf(out.subarray(0, 6 + body.length)) >>> 0);
  return out;
}

function liveHeap(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

describe('a live server under random input', () => {
  it(`keeps two clients chatting, stays up and keeps its memory (seed ${SEED})`, { timeout: 90_000 }, async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-fuzz-'));
    let logBytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logBytes += chunk.length;
        done();
      },
    });
    server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, filesDir, logger: pino({ level: 'info' }, sink) });
    const port = server.tcpPort;
    const [alice, bob] = ['alice', 'bob'].map((name) => {
      const c = spawnClient(['--tcp', String(port), '--name', name, '--json']);
      children.push(c);
      return c;
    }) as [ClientProcess, ClientProcess];
    await Promise.all([alice, bob].map((c) => c.waitFor(is('transport', { transport: 'udp' }), 'bound over udp')));
    const ops = await connectedClient(port, 'ops');

    const base = liveHeap();
    let peak = base;
    const counters: FuzzCounters = { tcpBytes: 0, tcpConnections: 0, closedByServer: 0, datagrams: 0 };
    const until = performance.now() + FUZZ_MS;
    const fuzzing = Promise.all([
      ...Array.from({ length: TCP_FUZZERS }, (_, i) => tcpFuzzer(port, i, until, counters)),
      udpFuzzer(server.udpPort, until, counters),
    ]);
    // The chat goes on meanwhile: one line each every 100 ms; live heap sampled every 0.7 s.
    const said = { alice: [] as string[], bob: [] as string[] };
    for (let i = 0; i < CHAT_LINES; i++) {
      said.alice.push(`alice line ${i}`);
      said.bob.push(`bob line ${i}`);
      alice.send(said.alice[i]!);
      bob.send(said.bob[i]!);
      await new Promise((r) => setTimeout(r, 100));
      if (i % 7 === 0) peak = Math.max(peak, liveHeap());
    }
    await fuzzing;
    peak = Math.max(peak, liveHeap());

    // The chat completed, in order, both ways.
    const texts = (c: ClientProcess, from: string): string[] =>
      c.events.filter((e) => e.type === 'message' && e.from === from).map((e) => String(e.text));
    await bob.waitFor(is('message', { from: 'alice', text: said.alice.at(-1) }), "alice's last line", 20_000);
    await alice.waitFor(is('message', { from: 'bob', text: said.bob.at(-1) }), "bob's last line", 20_000);
    expect(texts(bob, 'alice')).toEqual(said.alice);
    expect(texts(alice, 'bob')).toEqual(said.bob);

    // The server is up and answers; the fuzzers' sessions are gone. A connection closed after a fatal
    // framing error lingers up to CLOSE_LINGER_MS (5 s) before its socket is destroyed: wait for the
    // count, checking every 100 ms, 8 s at most.
    const running = server;
    await withDeadline(
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (running.stats().sessions > 3) return;
          clearInterval(check);
          resolve();
        }, 100);
      }),
      8_000,
      `the fuzzers' sessions to close (${running.stats().sessions} open)`,
    );
    ops.send('<get_users>\n');
    const users = await ops.expectReply(isKind('users'), 'users');
    expect(users).toEqual({ kind: 'users', users: [{ name: 'alice', room: 'lobby' }, { name: 'bob', room: 'lobby' }, { name: 'ops', room: 'lobby' }] });
    const stats = server.stats();
    expect(stats.sessions).toBe(3);

    // The fuzz really happened and was refused where it should be.
    expect(counters.tcpBytes).toBeGreaterThan(1_000_000);
    expect(counters.datagrams).toBeGreaterThan(1_000);
    expect(Object.values(stats.udp.rejected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(logBytes).toBeGreaterThan(0);

    const retained = liveHeap() - base;
    const context = `seed ${SEED}; fuzz ${JSON.stringify(counters)}; live heap base ${(base / 2 ** 20).toFixed(1)} MiB, peak +${((peak - base) / 2 ** 20).toFixed(1)} MiB, retained +${(retained / 2 ** 20).toFixed(1)} MiB`;
    expect(peak - base, context).toBeLessThan(HEAP_BUDGET_BYTES);
    expect(retained, context).toBeLessThan(RETAINED_BUDGET_BYTES);
    ops.destroy();
  });
});
