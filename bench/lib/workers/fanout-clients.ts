// Worker: some of the fanout suite's clients (a few processes host them all, the server runs in its
// own). Each client signs in, joins the room, and on `go` sends `lines` chat lines in a closed loop:
// at most `window` of its own lines in flight (sent, its own echo not yet back), so the offered load
// follows what the server can carry and queues stay bounded. Every line reaches every member, its
// sender included. Checked per receiver and sender: each line exactly once, in order. Latency is
// measured for deliveries whose sender lives in this process (one clock).
//
//   args: FanoutParams as JSON     out: {"type":"ready"}   in: {"type":"go"}   out: {"type":"result", …FanoutResult}
import { performance } from 'node:perf_hooks';
import { FANOUT_MODES, type FanoutParams, type FanoutResult } from '../fanout-protocol.ts';
import { LatencyHistogram } from '../histogram.ts';
import { markLine, readMark } from '../payload.ts';
import { ScriptedClient } from '../scripted-client.ts';
import { workerArgs, workerIo } from '../worker-io.ts';

/** Connecting, signing in, joining, binding: per client. */
const SETUP_TIMEOUT_MS = 30_000;
/** Clients set up at once (a burst of hundreds of sign-ins is not what is measured). */
const SETUP_CONCURRENCY = 10;
/** Gaps and error lines reported in detail (the counts are always complete). */
const MAX_REPORTED = 10;

const clients: ScriptedClient[] = [];
const io = workerIo(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

function params(): FanoutParams {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  const total = p.int('total', 1, 100_000);
  const first = p.int('first', 0, total - 1);
  return {
    mode: p.oneOf('mode', FANOUT_MODES),
    host: p.str('host'),
    port: p.int('port', 1, 65_535),
    first,
    count: p.int('count', 1, total - first),
    total,
    lines: p.int('lines', 1, 1_000_000),
    window: p.int('window', 1, 10_000),
    bytes: p.int('bytes', 24, 4_000),
    room: p.str('room'),
    stallMs: p.int('stallMs', 100, 600_000),
  };
}

async function main(): Promise<void> {
  const prm = params();
  const { first, count, total, lines, window } = prm;
  /** When each local sender handed over each of its lines: [local sender × lines]. */
  const sentAt = new Float64Array(count * lines).fill(Number.NaN);
  /** The next line expected by each local receiver from each sender: [local receiver × total]. */
  const nextSeq = new Int32Array(count * total);
  const sentCount = new Int32Array(count);
  const inFlight = new Int32Array(count);
  const histogram = new LatencyHistogram();
  let deliveries = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let lastDelivery = 0;
  const expected = count * total * lines;
  let running = false;
  const gaps: FanoutResult['gaps'] = [];
  const errors: string[] = [];
  let finish: (() => void) | undefined;

  const sendMore = (local: number): void => {
    const client = clients[local];
    if (client === undefined) return;
    while ((inFlight[local] as number) < window && (sentCount[local] as number) < lines) {
      const seq = sentCount[local] as number;
      sentAt[local * lines + seq] = performance.now();
      if (!client.sendChat(markLine(first + local, seq, prm.bytes))) {
        io.fail(new Error(`client ${first + local} could not send line ${seq}`));
        return;
      }
      sentCount[local] = seq + 1;
      inFlight[local] = (inFlight[local] as number) + 1;
    }
  };

  const onChat = (local: number, line: string): void => {
    const mark = readMark(line);
    if (mark === undefined || !running) return;
    const now = performance.now();
    const sender = mark.stream;
    if (sender >= total || mark.seq >= lines) return;
    const slot = local * total + sender;
    const want = nextSeq[slot] as number;
    if (mark.seq < want) {
      duplicates++;
      return;
    }
    if (mark.seq > want) {
      outOfOrder++;
      if (gaps.length < MAX_REPORTED) gaps.push({ receiver: first + local, sender, expected: want, got: mark.seq });
    }
    nextSeq[slot] = mark.seq + 1;
    deliveries++;
    lastDelivery = now;
    const senderLocal = sender - first;
    if (senderLocal >= 0 && senderLocal < count) {
      histogram.record(now - (sentAt[senderLocal * lines + mark.seq] as number));
      if (senderLocal === local) {
        inFlight[local] = (inFlight[local] as number) - 1;
        sendMore(local);
      }
    }
    if (deliveries === expected) finish?.();
  };

  // Set up in batches of SETUP_CONCURRENCY.
  for (let batch = 0; batch < count; batch += SETUP_CONCURRENCY) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(SETUP_CONCURRENCY, count - batch) }, (_, i) => {
        const local = batch + i;
        return ScriptedClient.open({
          mode: prm.mode,
          host: prm.host,
          port: prm.port,
          name: `c${first + local}`,
          room: prm.room,
          onChat: (line) => onChat(local, line),
          onError: (line) => {
            if (errors.length < MAX_REPORTED) errors.push(`c${first + local}: ${line}`);
          },
          timeoutMs: SETUP_TIMEOUT_MS,
        });
      }),
    );
    clients.push(...opened);
  }
  // Count from now: another process may get its `go` first, and its lines reach our clients before
  // our own `go` arrives; dropping them would leave our count short for good.
  running = true;
  io.emit({ type: 'ready', clients: clients.length });
  await io.command('go');

  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  lastDelivery = start;
  let stalled = false;
  await new Promise<void>((resolve) => {
    // The stall watch re-arms itself while lines keep arriving; bounded by the run itself.
    let watch: NodeJS.Timeout | undefined;
    const arm = (): void => {
      watch = setTimeout(() => {
        if (performance.now() - lastDelivery >= prm.stallMs) {
          stalled = true;
          resolve();
        } else arm();
      }, prm.stallMs);
    };
    finish = () => {
      if (watch !== undefined) clearTimeout(watch);
      resolve();
    };
    arm();
    for (let local = 0; local < count; local++) sendMore(local);
  });
  running = false;
  const cpu = process.cpuUsage(cpuBefore);
  const result: FanoutResult = {
    deliveries,
    expected,
    duplicates,
    outOfOrder,
    elapsedMs: (stalled ? performance.now() : lastDelivery) - start,
    latency: histogram.toJSON(),
    fellBack: clients.filter((c) => c.fellBack).length,
    stalled,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gaps,
    errors,
  };
  io.emit({ type: 'result', ...result });
}

main().catch((e: unknown) => io.fail(e));
