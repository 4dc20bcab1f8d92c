// Worker: some of the fanout suite's clients (a few processes host them all, the server runs in its
// own). Each client signs in and joins the room; then, phase after phase (bench/lib/fanout-protocol.ts),
// sends its lines: in a closed loop (at most `window` of its lines in flight, so the offered load
// follows what the server carries and queues stay bounded) or paced (a fixed rate, whatever arrives).
//
// The same rules for every server, whether it echoes a sender's own line (dualchat, the forwarder)
// or not (ngircd): a delivery is a line reaching a member other than its sender (a sender's own echo
// is ignored); a closed-loop sender's line leaves its window when it reaches the sender's witness,
// the next client hosted in this process. Checked per receiver and sender: each line exactly once,
// in order. Latency is measured for deliveries whose sender lives in this process (one clock).
//
//   args: FanoutParams as JSON     out: {"type":"ready"}
//   per phase: in {"type":"arm",…FanoutPhase} → out {"type":"armed"}; in {"type":"go"} → out {"type":"result", …FanoutResult}
import { performance } from 'node:perf_hooks';
import { asFanoutPhase, FANOUT_MODES, type FanoutParams, type FanoutPhase, type FanoutResult } from '../fanout-protocol.ts';
import { LatencyHistogram } from '../histogram.ts';
import { evenly, mergeSchedules, pace } from '../pace.ts';
import { markLine, readMark } from '../payload.ts';
import { ScriptedClient } from '../scripted-client.ts';
import { workerArgs, workerIo } from '../worker-io.ts';

/** Connecting, signing in, joining, binding: per client. */
const SETUP_TIMEOUT_MS = 30_000;
/** Clients set up at once (a burst of hundreds of sign-ins is not what is measured). */
const SETUP_CONCURRENCY = 10;
/** Gaps and error lines reported in detail (the counts are always complete). */
const MAX_REPORTED = 10;
/** Phases one process runs at most (the suite runs a handful per contender and round). */
const MAX_PHASES = 1_000;

const clients: ScriptedClient[] = [];
const io = workerIo(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

function params(): FanoutParams {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  const total = p.int('total', 2, 100_000);
  const first = p.int('first', 0, total - 2);
  return {
    mode: p.oneOf('mode', FANOUT_MODES),
    host: p.str('host'),
    port: p.int('port', 1, 65_535),
    first,
    // Two at least: a sender's witness is another client of the same process.
    count: p.int('count', 2, total - first),
    total,
    bytes: p.int('bytes', 24, 4_000),
    room: p.str('room'),
    stallMs: p.int('stallMs', 100, 600_000),
  };
}

/** One phase's counts; lines that arrive while no phase is armed are not counted (there are none but echoes). */
class Phase {
  /** When each local sender handed over each of its lines: [local sender × lines]. */
  readonly sentAt: Float64Array;
  /** The next line expected by each local receiver from each sender: [local receiver × total]. */
  readonly nextSeq: Int32Array;
  readonly sentCount: Int32Array;
  readonly inFlight: Int32Array;
  readonly histogram = new LatencyHistogram();
  readonly gaps: FanoutResult['gaps'] = [];
  readonly errors: string[] = [];
  readonly expected: number;
  deliveries = 0;
  duplicates = 0;
  outOfOrder = 0;
  lastDelivery = 0;
  lastSent = 0;
  paceLateMs = 0;
  /** Called once every expected delivery has arrived. */
  finish: (() => void) | undefined;

  constructor(
    readonly prm: FanoutParams,
    readonly work: FanoutPhase,
  ) {
    const { count, total } = prm;
    this.sentAt = new Float64Array(count * work.lines).fill(Number.NaN);
    this.nextSeq = new Int32Array(count * total);
    this.sentCount = new Int32Array(count);
    this.inFlight = new Int32Array(count);
    this.expected = count * (total - 1) * work.lines;
  }

  /** Hands local client `local`'s next line over; false when it has sent them all. */
  sendOne(local: number): boolean {
    const seq = this.sentCount[local] as number;
    if (seq >= this.work.lines) return false;
    const now = performance.now();
    this.sentAt[local * this.work.lines + seq] = now;
    this.lastSent = now;
    const client = clients[local];
    if (client === undefined || !client.sendChat(markLine(this.prm.first + local, seq, this.prm.bytes))) {
      io.fail(new Error(`client ${this.prm.first + local} could not send line ${seq}`));
      return false;
    }
    this.sentCount[local] = seq + 1;
    this.inFlight[local] = (this.inFlight[local] as number) + 1;
    return true;
  }

  /** Closed loop: fills local sender `local`'s window. */
  fill(local: number): void {
    if (this.work.load.kind !== 'closed') return;
    const window = this.work.load.window;
    // Bounded by the window and by the lines left.
    while ((this.inFlight[local] as number) < window && this.sendOne(local));
  }

  onChat(local: number, line: string): void {
    const mark = readMark(line);
    if (mark === undefined) return;
    const { first, count, total } = this.prm;
    const sender = mark.stream;
    const receiver = first + local;
    // A sender's own line, echoed back (dualchat, the forwarder): not a delivery, for no server.
    if (sender === receiver || sender >= total || mark.seq >= this.work.lines) return;
    const now = performance.now();
    const slot = local * total + sender;
    const want = this.nextSeq[slot] as number;
    if (mark.seq < want) {
      this.duplicates++;
      return;
    }
    if (mark.seq > want) {
      this.outOfOrder++;
      if (this.gaps.length < MAX_REPORTED) this.gaps.push({ receiver, sender, expected: want, got: mark.seq });
    }
    this.nextSeq[slot] = mark.seq + 1;
    this.deliveries++;
    this.lastDelivery = now;
    const senderLocal = sender - first;
    if (senderLocal >= 0 && senderLocal < count) {
      this.histogram.record(now - (this.sentAt[senderLocal * this.work.lines + mark.seq] as number));
      // The witness of each sender is the next client of this process.
      if (local === (senderLocal + 1) % count) {
        this.inFlight[senderLocal] = (this.inFlight[senderLocal] as number) - 1;
        this.fill(senderLocal);
      }
    }
    if (this.deliveries === this.expected) this.finish?.();
  }

  onError(local: number, line: string): void {
    if (this.errors.length < MAX_REPORTED) this.errors.push(`c${this.prm.first + local}: ${line}`);
  }

  /** Sends every line (closed loop or paced) and resolves when all have arrived or the phase stalled. */
  async run(): Promise<FanoutResult> {
    const { count, total, stallMs } = this.prm;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    this.lastDelivery = start;
    this.lastSent = start;
    let stalled = false;
    let ended = false;
    const arrived = new Promise<void>((resolve) => {
      // The stall watch re-arms itself while lines keep arriving; bounded by the phase itself.
      let watch: NodeJS.Timeout | undefined;
      const arm = (): void => {
        watch = setTimeout(() => {
          if (performance.now() - Math.max(this.lastDelivery, this.lastSent) >= stallMs) {
            stalled = true;
            resolve();
          } else arm();
        }, stallMs);
      };
      this.finish = () => {
        if (watch !== undefined) clearTimeout(watch);
        resolve();
      };
      arm();
    });
    const load = this.work.load;
    if (load.kind === 'closed') {
      for (let local = 0; local < count; local++) this.fill(local);
    } else {
      // Senders spread evenly over one period: sender i starts i/total of a period after sender 0.
      const period = 1000 / load.linesPerSecond;
      const schedule = mergeSchedules(
        ...Array.from({ length: count }, (_, local) => {
          const offset = ((this.prm.first + local) * period) / total;
          return evenly(this.work.lines, load.linesPerSecond, offset, (i) => ({ local, dueMs: offset + i * period }));
        }),
      );
      const paceStart = performance.now();
      void pace(
        schedule,
        (item, now) => {
          const late = now - paceStart - item.dueMs;
          if (late > this.paceLateMs) this.paceLateMs = late;
          this.sendOne(item.local);
        },
        { now: () => performance.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), stopped: () => ended },
      );
    }
    await arrived;
    ended = true;
    this.finish = undefined;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      deliveries: this.deliveries,
      expected: this.expected,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      elapsedMs: (stalled ? performance.now() : this.lastDelivery) - start,
      lastSentMs: this.lastSent - start,
      paceLateMs: this.paceLateMs,
      latency: this.histogram.toJSON(),
      fellBack: clients.filter((c) => c.fellBack).length,
      stalled,
      cpuMs: (cpu.user + cpu.system) / 1000,
      gaps: this.gaps,
      errors: this.errors,
    };
  }
}

async function main(): Promise<void> {
  const prm = params();
  let phase: Phase | undefined;
  // Set up in batches of SETUP_CONCURRENCY.
  for (let batch = 0; batch < prm.count; batch += SETUP_CONCURRENCY) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(SETUP_CONCURRENCY, prm.count - batch) }, (_, i) => {
        const local = batch + i;
        return ScriptedClient.open({
          mode: prm.mode,
          host: prm.host,
          port: prm.port,
          name: `c${prm.first + local}`,
          room: prm.room,
          onChat: (line) => phase?.onChat(local, line),
          onError: (line) => phase?.onError(local, line),
          timeoutMs: SETUP_TIMEOUT_MS,
        });
      }),
    );
    clients.push(...opened);
  }
  io.emit({ type: 'ready', clients: clients.length });
  for (let n = 0; n < MAX_PHASES; n++) {
    const work = asFanoutPhase(await io.command('arm'));
    if (typeof work === 'string') throw new Error(`a bad phase: ${work}`);
    // Count from now: another process may get its `go` first, and its lines reach our clients before
    // our own `go` arrives; dropping them would leave our count short for good.
    phase = new Phase(prm, work);
    io.emit({ type: 'armed' });
    await io.command('go');
    const result = await phase.run();
    io.emit({ type: 'result', ...result });
  }
  throw new Error(`more than ${MAX_PHASES} phases`);
}

main().catch((e: unknown) => io.fail(e));
