// Worker: the clients of the chat-latency suite — pairs of a sender and a receiver, every line relayed
// by a server in another process: sender → server → receiver. Pair 0 is dense (`denseLines` at
// `denseRate` lines/s, e.g. 2000 at 100/s); pairs 1…sparsePairs are sparse (`sparseLines` each at
// `sparseRate`, e.g. 2/s: each line alone on the wire), staggered so their lines do not coincide. All
// pairs run at once; each line's latency is its arrival at the receiver minus its hand-over to the
// sender, on this process's clock.
//
// Modes: `dualchat-udp` and `dualchat-tcp` are the real client (ChatLink), private messages
// `<set_msg>RECEIVER TEXT`, chat over the UDP data plane or with UDP disabled (`--no-udp`); `udx`
// is a udx-native stream per hop through bench/lib/workers/udx-relay.ts (lines of `bytes` bytes
// ending in "\n").
//
// Through impairment proxies (chat-wan): `udpViaPort` sends the dualchat clients' datagrams to a proxy
// on `host` (ChatLink's `udp.via`); with `udxBasePort` 0 the udx sockets bind any free port and the
// ready message tells them, pair by pair: {"type":"ready","udxPorts":[[senderPort,receiverPort],…]},
// and `port` is where they send (a proxy in front of the relay). `openBatch` (default 1) signs that many
// pairs in at a time.
//
//   args: {"mode":"dualchat-udp","host":"127.0.0.1","port":…,"udxBasePort":7200,"denseLines":2000,
//          "denseRate":100,"sparsePairs":8,"sparseLines":40,"sparseRate":2,"bytes":100,"drainMs":30000}
//   out:  {"type":"ready"}   in: {"type":"go"}   out: {"type":"result", …ChatPairsResult}
import { performance } from 'node:perf_hooks';
import UDX, { type UdxSocket, type UdxStream } from 'udx-native';
import { ChatLink } from '../../../src/client/link.ts';
import type { Shown } from '../../../src/client/render.ts';
import { DeliveryLog } from '../delivery.ts';
import { evenly, mergeSchedules, pace, type Scheduled } from '../pace.ts';
import { markLine, readMark } from '../payload.ts';
import { CHAT_PAIR_MODES, type ChatPairsParams, type ChatPairsResult } from '../pairs-protocol.ts';
import { MAX_UDX_PAIRS, udxPairEnds, udxPairIds } from '../udx-pairs.ts';
import { workerArgs, workerIo } from '../worker-io.ts';

/** Connecting, signing in and binding UDP, per client. */
const SETUP_TIMEOUT_MS = 15_000;
/** Disconnecting at the end, per client. */
const GOODBYE_TIMEOUT_MS = 2_000;

/** One pair's two ends, whatever carries them. */
interface PairEnds {
  send(text: string): void;
}

let cleanup: () => Promise<void> = async () => undefined;
/** Set while waiting for the last arrivals: called once every line handed over has arrived. */
let whenComplete: (() => void) | undefined;
/** Whether every line handed over has arrived (at the receivers, and the echoes at the senders). */
let allArrived: () => boolean = () => false;

function arrive(into: DeliveryLog, stream: number, seq: number, at: number): void {
  into.arrived(stream, seq, at);
  if (whenComplete !== undefined && allArrived()) {
    const wake = whenComplete;
    whenComplete = undefined;
    wake();
  }
}
const io = workerIo(() => cleanup());

type Params = ChatPairsParams & { openBatch: number };

function params(): Params {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  return {
    mode: p.oneOf('mode', CHAT_PAIR_MODES),
    host: p.str('host'),
    port: p.int('port', 1, 65_535),
    udxBasePort: p.int('udxBasePort', 0, 65_535),
    denseLines: p.int('denseLines', 0, 1_000_000),
    denseRate: p.num('denseRate', 0.01, 100_000),
    sparsePairs: p.int('sparsePairs', 0, MAX_UDX_PAIRS - 1),
    sparseLines: p.int('sparseLines', 0, 1_000_000),
    sparseRate: p.num('sparseRate', 0.01, 100_000),
    bytes: p.int('bytes', 24, 4_000),
    drainMs: p.int('drainMs', 0, 600_000),
    udpViaPort: p.optInt('udpViaPort', 1, 65_535),
    openBatch: p.optInt('openBatch', 1, 1_000) ?? 1,
  };
}

// ---- dualchat: two ChatLinks per pair ------------------------------------------------------------

async function openDualchat(prm: Params, pairs: number, log: DeliveryLog, echoes: DeliveryLog, fellBack: { count: number }): Promise<{ ends: PairEnds[]; links: ChatLink[] }> {
  const udp = prm.mode === 'dualchat-udp';
  const links: ChatLink[] = [];
  const open = async (name: string, onShow: (item: Shown) => void): Promise<ChatLink> => {
    const r = await ChatLink.open({
      host: prm.host,
      port: prm.port,
      connectTimeoutMs: SETUP_TIMEOUT_MS,
      show: onShow,
      closed: () => undefined,
      clock: () => Date.now(),
      udp: { enabled: udp, ...(prm.udpViaPort === undefined ? {} : { via: { host: prm.host, port: prm.udpViaPort } }) },
    });
    if (!r.ok) throw new Error(`${name}: ${r.message}`);
    links.push(r.link);
    const signed = await r.link.signIn(name, SETUP_TIMEOUT_MS);
    if (!signed.ok) throw new Error(`${name}: ${signed.message}`);
    if (udp && !(await r.link.waitUntil(() => r.link.transport === 'udp', SETUP_TIMEOUT_MS))) {
      throw new Error(`${name}: chat did not move to UDP within ${SETUP_TIMEOUT_MS} ms`);
    }
    return r.link;
  };
  const watchTransport = (item: Shown): void => {
    if (item.kind === 'transport' && item.transport === 'tcp') fellBack.count++;
  };
  const ends: PairEnds[] = [];
  // Pairs sign in one after the other (or `openBatch` pairs at a time, where each sign-in waits on a
  // delayed path): a burst of sign-ins is not what is measured.
  const openPair = async (pair: number): Promise<void> => {
    const receiverName = `p${pair}rx`;
    await open(receiverName, (item) => {
      watchTransport(item);
      if (item.kind !== 'reply' || item.reply.kind !== 'private' || item.reply.self) return;
      const mark = readMark(item.reply.text);
      if (mark !== undefined) arrive(log, mark.stream, mark.seq, performance.now());
    });
    const sender = await open(`p${pair}tx`, (item) => {
      watchTransport(item);
      // The sender's own copy (the server echoes private messages): sender → server → sender.
      if (item.kind !== 'reply' || item.reply.kind !== 'private' || !item.reply.self) return;
      const mark = readMark(item.reply.text);
      if (mark !== undefined) arrive(echoes, mark.stream, mark.seq, performance.now());
    });
    ends[pair] = { send: (text) => void sender.send({ kind: 'private', to: receiverName, text }) };
  };
  for (let first = 0; first < pairs; first += prm.openBatch) {
    await Promise.all(Array.from({ length: Math.min(prm.openBatch, pairs - first) }, (_, i) => openPair(first + i)));
  }
  return { ends, links };
}

function engineTotals(links: readonly ChatLink[]): ChatPairsResult['engine'] {
  const t = { packetsSent: 0, packetsLost: 0, retransmissions: 0 };
  for (const l of links) {
    const u = l.status().udp;
    t.packetsSent += u.packetsSent;
    t.packetsLost += u.packetsLost;
    t.retransmissions += u.retransmissions;
  }
  return t;
}

// ---- udx-native: a stream per hop through the relay ----------------------------------------------

function openUdx(prm: Params, pairs: number, log: DeliveryLog): { ends: PairEnds[]; sockets: UdxSocket[]; streams: UdxStream[]; ports: Array<[number, number]> } {
  const udx = new UDX();
  const sockets: UdxSocket[] = [];
  const streams: UdxStream[] = [];
  const ends: PairEnds[] = [];
  const ports: Array<[number, number]> = [];
  for (let pair = 0; pair < pairs; pair++) {
    // udxBasePort 0: any free ports, told in the ready message.
    const e = prm.udxBasePort === 0 ? { ...udxPairIds(pair), senderPort: 0, receiverPort: 0 } : udxPairEnds(prm.udxBasePort, pair);
    const senderSocket = udx.createSocket();
    const receiverSocket = udx.createSocket();
    senderSocket.bind(e.senderPort, prm.host);
    receiverSocket.bind(e.receiverPort, prm.host);
    ports.push([senderSocket.address().port, receiverSocket.address().port]);
    const sender = udx.createStream(e.senderId);
    const receiver = udx.createStream(e.receiverId);
    sender.connect(senderSocket, e.relayToSenderId, prm.port, prm.host);
    receiver.connect(receiverSocket, e.relayToReceiverId, prm.port, prm.host);
    sender.resume();
    let partial = '';
    receiver.setEncoding('utf8');
    receiver.on('data', (chunk: string) => {
      const now = performance.now();
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const mark = readMark(line);
        if (mark !== undefined) arrive(log, mark.stream, mark.seq, now);
      }
    });
    for (const s of [sender, receiver]) s.on('error', (err: Error) => io.fail(err));
    sockets.push(senderSocket, receiverSocket);
    streams.push(sender, receiver);
    ends.push({ send: (text) => void sender.write(`${text}\n`) });
  }
  return { ends, sockets, streams, ports };
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

// ---- the run -------------------------------------------------------------------------------------

interface Item {
  pair: number;
  seq: number;
}

async function main(): Promise<void> {
  const prm = params();
  const pairs = 1 + prm.sparsePairs;
  const lines = [prm.denseLines, ...Array.from({ length: prm.sparsePairs }, () => prm.sparseLines)];
  const log = new DeliveryLog(lines);
  const echoes = new DeliveryLog(lines);
  allArrived = () => log.complete && (prm.mode === 'udx' || echoes.complete);
  const fellBack = { count: 0 };

  let ends: PairEnds[];
  let links: ChatLink[] = [];
  let udxPorts: Array<[number, number]> | undefined;
  if (prm.mode === 'udx') {
    const u = openUdx(prm, pairs, log);
    ends = u.ends;
    if (prm.udxBasePort === 0) udxPorts = u.ports;
    cleanup = async () => {
      for (const s of u.streams) s.destroy();
      await Promise.all(u.sockets.map((s) => s.close()));
    };
  } else {
    cleanup = async () => {
      await Promise.all(links.map((l) => l.disconnect(GOODBYE_TIMEOUT_MS)));
    };
    const d = await openDualchat(prm, pairs, log, echoes, fellBack);
    ends = d.ends;
    links = d.links;
  }

  io.emit({ type: 'ready', ...(udxPorts === undefined ? {} : { udxPorts }) });
  await io.command('go');

  // The dense pair from t = 0; sparse pair k (1…K) offset by k/K of the sparse gap.
  const sparseGap = 1000 / prm.sparseRate;
  const schedules: Scheduled<Item>[][] = [evenly(prm.denseLines, prm.denseRate, 0, (seq) => ({ pair: 0, seq }))];
  for (let k = 1; k <= prm.sparsePairs; k++) {
    schedules.push(evenly(prm.sparseLines, prm.sparseRate, ((k - 1) * sparseGap) / prm.sparsePairs, (seq) => ({ pair: k, seq })));
  }
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await pace(
    mergeSchedules(...schedules),
    (item, now) => {
      log.sent(item.pair, item.seq, now);
      echoes.sent(item.pair, item.seq, now);
      ends[item.pair]?.send(prm.mode === 'udx' ? markLine(item.pair, item.seq, prm.bytes - 1) : markLine(item.pair, item.seq, prm.bytes));
    },
    { now: () => performance.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  );

  // Wait for the stragglers: until the last line arrives (the arrival wakes us) or the drain ends.
  if (!allArrived()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, prm.drainMs);
      whenComplete = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  const denseStreams = [0];
  const sparseStreams = Array.from({ length: prm.sparsePairs }, (_, i) => i + 1);
  const result: ChatPairsResult = {
    dense: { ...log.summary(denseStreams), latencies: log.latencies(denseStreams) },
    sparse: { ...log.summary(sparseStreams), latencies: log.latencies(sparseStreams) },
    elapsedMs: (log.complete ? log.lastArrival : performance.now()) - start,
    denseEcho: prm.mode === 'udx' ? null : { ...echoes.summary(denseStreams), latencies: echoes.latencies(denseStreams) },
    fellBack: fellBack.count,
    cpuMs: cpuMs(process.cpuUsage(cpuBefore)),
    engine: prm.mode === 'dualchat-udp' ? engineTotals(links) : null,
  };
  io.emit({ type: 'result', ...result });
}

main().catch((e: unknown) => io.fail(e));
