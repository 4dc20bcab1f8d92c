// A load-generator process: runs many simulated clients (bench/loadgen/load-client.ts) against one
// server and carries out the capacity suite's commands (bench/loadgen/protocol.ts) over the IPC
// channel of child_process.fork. Started by bench/loadgen/workers.ts; never run by hand.
import { performance } from 'node:perf_hooks';
import { EngineDriver } from '../../src/udp/engine-driver.ts';
import { quantile } from '../lib/stats.ts';
import { sessionAddress } from './addresses.ts';
import { LoadClient } from './load-client.ts';
import { ENGINE_COUNTERS, type EngineCounter, type EngineTotals, type Quantiles, type SessionPlan, type WorkerAnswer, type WorkerCommand, type WorkerUsage } from './protocol.ts';
import { UdpMux } from './udp-mux.ts';

/** How often the chat schedule is checked: well under the 1 s between one chatter's messages. */
const CHAT_TICK_MS = 5;
/** After the last message of a chat phase, how long late deliveries are still counted. */
const CHAT_DRAIN_MS = 2_000;
/**
 * Past the drain, deliveries still missing are waited for this much longer (checked every
 * LATE_CHECK_MS, ending as soon as none is missing): what arrives then was late, what never does was lost.
 */
const CHAT_LATE_WAIT_MS = 20_000;
const LATE_CHECK_MS = 100;
/** Latency samples kept (beyond it every further sample replaces a random kept one: a reservoir). */
const MAX_SAMPLES = 2_000_000;
/** After the server closed every TCP connection, how long its UDP close datagrams may still take. */
const UDP_CLOSE_GRACE_MS = 2_000;
/** Failure reasons reported per phase. */
const MAX_REPORTED_ERRORS = 10;

interface Setup {
  host: string;
  tcpPort: number;
  plan: SessionPlan;
  mux: UdpMux;
  driver: EngineDriver;
}

interface ChatRun {
  timer: NodeJS.Timeout;
  sent: number;
  received: number;
  receivedViaTcp: number;
  expected: number;
  samples: number[];
  seen: number;
  /** Deliveries per receiving client. */
  receivedBy: Map<LoadClient, number>;
  /** Clients that should receive (not a chatter themselves, a chatter in their room). */
  listeners: LoadClient[];
}

let setup: Setup | undefined;
let clients: LoadClient[] = [];
/** Send time (performance.now()) of every chat message, by id; ids index this array. */
let sentAt: number[] = [];
let chat: ChatRun | undefined;

function usage(): WorkerUsage {
  const cpu = process.cpuUsage();
  return { cpuMs: Math.round((cpu.user + cpu.system) / 1000), rssBytes: process.memoryUsage().rss };
}

function quantiles(samples: number[]): Quantiles {
  return {
    count: samples.length,
    p50: quantile(samples, 0.5),
    p90: quantile(samples, 0.9),
    p99: quantile(samples, 0.99),
    max: samples.length === 0 ? undefined : samples.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

function roomOf(plan: SessionPlan, i: number): string {
  return `r${Math.floor(i / plan.roomSize)}`;
}

function onMessage(client: LoadClient, _from: string, text: string, viaUdp: boolean): void {
  const run = chat;
  if (run === undefined) return;
  const colon = text.indexOf(':');
  const id = colon > 0 ? Number(text.slice(0, colon)) : Number.NaN;
  const at = Number.isInteger(id) ? sentAt[id] : undefined;
  if (at === undefined) return;
  run.received++;
  run.receivedBy.set(client, (run.receivedBy.get(client) ?? 0) + 1);
  if (!viaUdp) run.receivedViaTcp++;
  const sample = performance.now() - at;
  run.seen++;
  if (run.samples.length < MAX_SAMPLES) run.samples.push(sample);
  else {
    const slot = Math.floor(Math.random() * run.seen);
    if (slot < MAX_SAMPLES) run.samples[slot] = sample;
  }
}

async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  });
  await Promise.all(lanes);
}

async function connectAll(concurrency: number, timeoutMs: number, udp: boolean): Promise<WorkerAnswer> {
  const s = requireSetup();
  const plan = s.plan;
  for (const c of clients) c.release();
  clients = [];
  for (let k = 0; k < plan.count; k++) {
    const i = plan.first + k;
    clients.push(
      new LoadClient({
        name: `${plan.namePrefix}${i}`,
        room: roomOf(plan, i),
        host: s.host,
        tcpPort: s.tcpPort,
        localAddress: sessionAddress(i, plan.perAddress),
        udp,
        slot: k,
        mux: s.mux,
        driver: s.driver,
        hooks: { message: onMessage },
      }),
    );
  }
  const errors: string[] = [];
  let failed = 0;
  const started = performance.now();
  await pool(clients.length, concurrency, async (k) => {
    try {
      await clients[k]!.connect(timeoutMs);
    } catch (e) {
      failed++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push((e as Error).message);
    }
  });
  const wallMs = performance.now() - started;
  const ready = clients.filter((c) => c.state === 'ready');
  return {
    type: 'connected',
    ok: ready.length,
    failed,
    errors,
    wallMs,
    handshakeMs: quantiles(ready.map((c) => c.readyAt - c.startedAt)),
    tcpConnectMs: quantiles(ready.map((c) => c.tcpAt - c.startedAt)),
    welcomeMs: quantiles(ready.map((c) => c.welcomedAt - c.tcpAt)),
    bindMs: quantiles(ready.filter((c) => c.offeredAt > 0).map((c) => c.readyAt - c.offeredAt)),
    usage: usage(),
  };
}

function startChat(chattersPerRoom: number, rate: number, textBytes: number): ChatRun {
  const plan = requireSetup().plan;
  if (chat !== undefined) clearInterval(chat.timer);
  sentAt = [];
  const interval = 1000 / rate;
  const now = performance.now();
  const chatters: Array<{ client: LoadClient; next: number; others: number }> = [];
  const listeners: LoadClient[] = [];
  const chattingRooms = new Set<string>();
  const readyPerRoom = new Map<string, number>();
  clients.forEach((c, k) => {
    if (c.state !== 'ready') return;
    const room = roomOf(plan, plan.first + k);
    readyPerRoom.set(room, (readyPerRoom.get(room) ?? 0) + 1);
  });
  clients.forEach((c, k) => {
    const i = plan.first + k;
    if (c.state !== 'ready' || i % plan.roomSize >= chattersPerRoom) return;
    chattingRooms.add(roomOf(plan, i));
    const others = (readyPerRoom.get(roomOf(plan, i)) ?? 1) - 1;
    // A random phase so the chatters do not all send in the same tick.
    chatters.push({ client: c, next: now + Math.random() * interval, others });
  });
  clients.forEach((c, k) => {
    const i = plan.first + k;
    if (c.state === 'ready' && i % plan.roomSize >= chattersPerRoom && chattingRooms.has(roomOf(plan, i))) listeners.push(c);
  });
  const padding = 'x'.repeat(Math.max(0, textBytes - 8));
  const run: ChatRun = {
    timer: setInterval(() => {
      const t = performance.now();
      for (const ch of chatters) {
        // Bounded: at most a few messages per chatter per tick even after a stall.
        for (let burst = 0; burst < 4 && ch.next <= t; burst++) {
          ch.next += interval;
          const id = sentAt.length;
          sentAt.push(performance.now());
          if (ch.client.sendChat(`${id}:${padding}`)) {
            run.sent++;
            run.expected += ch.others;
          }
        }
        if (ch.next <= t) ch.next = t + interval; // fell far behind: skip rather than flood
      }
    }, CHAT_TICK_MS),
    sent: 0,
    received: 0,
    receivedViaTcp: 0,
    expected: 0,
    samples: [],
    seen: 0,
    receivedBy: new Map(),
    listeners,
  };
  chat = run;
  return run;
}

async function chatFor(chattersPerRoom: number, rate: number, durationMs: number, textBytes: number): Promise<WorkerAnswer> {
  const cpu0 = usage();
  const elu0 = performance.eventLoopUtilization();
  const run = startChat(chattersPerRoom, rate, textBytes);
  const started = performance.now();
  await delay(durationMs);
  clearInterval(run.timer);
  await delay(CHAT_DRAIN_MS);
  const cpu1 = usage();
  const chatEventLoopBusy = performance.eventLoopUtilization(elu0).utilization;
  const received = run.received;
  const receivedViaTcp = run.receivedViaTcp;
  const samples = run.samples.slice();
  const missing = Math.max(0, run.expected - received);
  // Late or lost: keep counting (the latency figures above stay those of the window).
  const lateStart = performance.now();
  for (let check = 0; check < CHAT_LATE_WAIT_MS / LATE_CHECK_MS && run.received < run.expected; check++) await delay(LATE_CHECK_MS);
  const lateWaitMs = performance.now() - lateStart;
  chat = undefined;
  return {
    type: 'chatted',
    sent: run.sent,
    received,
    receivedViaTcp,
    missing,
    lateArrivals: run.received - received,
    lateWaitMs,
    starvedMembers: run.listeners.filter((c) => (run.receivedBy.get(c) ?? 0) === 0).length,
    latencyMs: quantiles(samples),
    durationMs: lateStart - started - CHAT_DRAIN_MS,
    fallbacks: clients.reduce((n, c) => n + c.fallbacks, 0),
    usage: usage(),
    chatUsage: { cpuMs: cpu1.cpuMs - cpu0.cpuMs, rssBytes: cpu1.rssBytes },
    chatEventLoopBusy,
  };
}

async function disconnectAll(concurrency: number, timeoutMs: number): Promise<WorkerAnswer> {
  stopChat();
  const started = performance.now();
  let forced = 0;
  await pool(clients.length, concurrency, async (k) => {
    const c = clients[k]!;
    if (c.state === 'closed') return;
    const t = performance.now();
    await c.disconnect(timeoutMs);
    if (performance.now() - t >= timeoutMs) forced++;
  });
  const closed = clients.filter((c) => c.state === 'closed').length;
  return { type: 'disconnected', closed, forced, wallMs: performance.now() - started, usage: usage() };
}

async function awaitClose(timeoutMs: number): Promise<WorkerAnswer> {
  const started = performance.now();
  // Only the sessions that were up when the close began count.
  const live = clients.filter((c) => c.state === 'ready');
  const bound = new Set(live.filter((c) => c.isBound));
  const drops0 = setup?.mux.drops();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(live.map((c) => c.whenClosed())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  stopChat();
  // The server's close datagrams leave in batches and may trail the TCP goodbyes: give them until
  // UDP_CLOSE_GRACE_MS after the last TCP close (checked every 50 ms) to arrive.
  const graceEnd = performance.now() + UDP_CLOSE_GRACE_MS;
  while (performance.now() < graceEnd && [...bound].some((c) => !c.heardUdpClose)) await delay(50);
  return {
    type: 'closed',
    sessions: live.length,
    closed: live.filter((c) => c.state === 'closed').length,
    heardShutdownNotice: live.filter((c) => c.heardShutdownNotice).length,
    heardUdpClose: live.filter((c) => bound.has(c) && c.heardUdpClose).length,
    boundAtStart: bound.size,
    generatorDrops: drops0 === undefined ? undefined : (setup?.mux.drops() ?? drops0) - drops0,
    wallMs: performance.now() - started,
  };
}

function stopChat(): WorkerAnswer {
  const run = chat;
  chat = undefined;
  if (run === undefined) return { type: 'chat-stopped', sent: 0, received: 0, latencyMs: quantiles([]) };
  clearInterval(run.timer);
  return { type: 'chat-stopped', sent: run.sent, received: run.received, latencyMs: quantiles(run.samples) };
}

let lastElu = performance.eventLoopUtilization();

function status(): WorkerAnswer {
  const mux = setup?.mux.stats();
  const elu = performance.eventLoopUtilization(lastElu);
  lastElu = performance.eventLoopUtilization();
  return {
    type: 'status',
    ready: clients.filter((c) => c.state === 'ready').length,
    bound: clients.filter((c) => c.isBound).length,
    fallbacks: clients.reduce((n, c) => n + c.fallbacks, 0),
    errors: clients.reduce((n, c) => n + c.errors.length, 0),
    datagramsIn: mux?.datagramsReceived ?? 0,
    datagramsOut: mux?.datagramsSent ?? 0,
    eventLoopBusy: elu.utilization,
    generatorDrops: setup?.mux.drops(),
    usage: usage(),
  };
}

function engineTotals(): EngineTotals {
  const counters = Object.fromEntries(ENGINE_COUNTERS.map((k) => [k, 0])) as Record<EngineCounter, number>;
  const srtts: number[] = [];
  let engines = 0;
  let withoutRttSample = 0;
  for (const c of clients) {
    const s = c.engineStats();
    if (s === undefined) continue;
    engines++;
    for (const k of ENGINE_COUNTERS) counters[k] += s[k];
    if (s.srtt === undefined) withoutRttSample++;
    else srtts.push(s.srtt);
  }
  return { engines, withoutRttSample, srttMs: quantiles(srtts), counters };
}

function requireSetup(): Setup {
  if (setup === undefined) throw new Error('setup first');
  return setup;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function handle(command: WorkerCommand): Promise<WorkerAnswer> {
  switch (command.type) {
    case 'setup': {
      const mux = await UdpMux.open('127.0.0.1', command.plan.udpSockets, { address: '127.0.0.1', port: command.udpPort });
      setup = { host: command.host, tcpPort: command.tcpPort, plan: command.plan, mux, driver: new EngineDriver() };
      return { type: 'setup-done' };
    }
    case 'connect':
      return connectAll(command.concurrency, command.timeoutMs, command.udp ?? requireSetup().plan.udp);
    case 'chat':
      return chatFor(command.chattersPerRoom, command.rate, command.durationMs, command.textBytes);
    case 'start-chat':
      startChat(command.chattersPerRoom, command.rate, command.textBytes);
      return { type: 'chat-started' };
    case 'stop-chat':
      return stopChat();
    case 'disconnect':
      return disconnectAll(command.concurrency, command.timeoutMs);
    case 'await-close':
      return awaitClose(command.timeoutMs);
    case 'status':
      return status();
    case 'engines':
      return { type: 'engines', totals: engineTotals() };
    case 'exit':
      for (const c of clients) c.destroy();
      await setup?.mux.close();
      setImmediate(() => process.exit(0));
      return status();
  }
}

// Commands are handled one at a time, in order (the suite waits for each answer anyway).
let queue: Promise<void> = Promise.resolve();
process.on('message', (message: WorkerCommand) => {
  queue = queue.then(async () => {
    let answer: WorkerAnswer;
    try {
      answer = await handle(message);
    } catch (e) {
      answer = { type: 'failed', command: message.type, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    process.send?.(answer);
  });
});
// The parent going away ends us too (no orphan holding 10,000 sockets).
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', pid: process.pid } satisfies WorkerAnswer);
