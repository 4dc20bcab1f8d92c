// fanout: one room of 100 clients; every line goes to every member. dualchat's TCP path (the issue's
// goals), its UDP path, its IRC door (IRC clients, as for ngircd), ngircd (the C IRC server of Debian's package, as shipped, flood penalties off:
// the reference) and the smallest Node TCP forwarder (bench/lib/workers/tcp-forwarder.ts: the ceiling
// for a Node server), side by side in one run. Three workloads on each server, one after the other on
// the same signed-in clients: a closed loop with 8 lines in flight per client, one with 32, and a
// paced run (20 lines/s per client, whatever arrives). The server runs in a process of its own, the
// clients in two others (bench/lib/workers/fanout-clients.ts). Figures: bench/lib/fanout-figures.ts.
// For looking into one server: FANOUT_SERVERS (the modes to run, e.g. `irc,dualchat-irc`: ngircd and the
// IRC door side by side), FANOUT_WORKLOADS (e.g. `window-8,window-32`), FANOUT_LINES (lines per
// closed-loop run, e.g. 300 for runs long enough to compare in a few rounds) and FANOUT_SERVER_NODE_ARGS (node flags for the dualchat server's process, e.g.
// `--cpu-prof --cpu-prof-dir=/tmp/prof`: the profile is written when the server stops).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuUsPerDelivery,
  fanoutChart,
  fanoutTables,
  fanoutVerdicts,
  ircDoorVerdicts,
  KEEP_UP_LAG_MS,
  keptUp,
  lagMs,
  pendingRun,
  perSecond,
  REFERENCE,
  WORKLOADS,
  type Contender,
  type FanoutRun,
  type RunMeasures,
  type WorkloadName,
} from '../lib/fanout-figures.ts';
import type { FanoutMode, FanoutPhase } from '../lib/fanout-protocol.ts';
import { CLIENTS, LINE_BYTES, PROCESSES, Session, WARMUP } from '../lib/fanout-session.ts';
import { loadNow } from '../lib/machine.ts';
import { ngircdVersion } from '../lib/ngircd.ts';
import { formatMs, formatSi } from '../lib/stats.ts';
import { defineSuite } from '../lib/suite.ts';

/** The issue's windows: lines a client keeps in flight (sent, not yet at its witness). */
const WINDOWS = { 'window-8': 8, 'window-32': 32 } as const;
/** The issue's paced run: 20 lines/s from each client (CLIENTS × (CLIENTS − 1) × 20 ≈ 198k deliveries/s). */
const PACED_RATE = 20;
/**
 * Lines per client at each scale. `--full` is the issue's: 1,000 per closed-loop run (9.9M
 * deliveries) and 20 s paced (400 lines, 3.96M). The default fits the ten minutes of `npm run bench`
 * (bench/lib/plan.ts gives fanout 60 s): 50 lines per closed-loop run (495k deliveries: 0.3–7 s at the
 * rates measured here) and 3 s paced (60 lines, 594k), one round. Measured at load 7–8 (16:51 UTC):
 * 100 lines and 5 s paced took 95 s, 58 s of it dualchat UDP's (74k deliveries/s, and 20 s for its
 * paced run, which it could not keep up with) and ~20 s starting the servers and signing in
 * 4 × 100 clients. `--quick`: 30 lines, 2 s paced.
 */
const SIZES = {
  quick: { closed: 30, paced: 40 },
  default: { closed: 50, paced: 60 },
  full: { closed: 1000, paced: 400 },
} as const;

const ALL_CONTENDERS: readonly Contender[] = [
  { mode: 'irc', label: 'ngircd' },
  { mode: 'dualchat-tcp', label: 'dualchat TCP' },
  { mode: 'dualchat-irc', label: 'dualchat IRC door' },
  { mode: 'dualchat-udp', label: 'dualchat UDP' },
  { mode: 'forwarder', label: 'Node TCP forwarder' },
];

/** FANOUT_SERVERS: the servers to run (every one when unset); a name not in the list is an error, not a silent skip. */
function chosenContenders(): readonly Contender[] {
  const wanted = process.env['FANOUT_SERVERS'];
  if (wanted === undefined || wanted.trim() === '') return ALL_CONTENDERS;
  const modes = wanted.split(',').map((m) => m.trim());
  const unknown = modes.filter((m) => !ALL_CONTENDERS.some((c) => c.mode === m));
  if (unknown.length > 0) throw new RangeError(`FANOUT_SERVERS: unknown server ${unknown.join(', ')} (known: ${ALL_CONTENDERS.map((c) => c.mode).join(', ')})`);
  return ALL_CONTENDERS.filter((c) => modes.includes(c.mode));
}

/** FANOUT_WORKLOADS: the workloads to run (every one when unset); an unknown name is an error. */
function chosenWorkloads(): readonly WorkloadName[] {
  const wanted = process.env['FANOUT_WORKLOADS'];
  if (wanted === undefined || wanted.trim() === '') return WORKLOADS;
  const names = wanted.split(',').map((w) => w.trim());
  const unknown = names.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
  if (unknown.length > 0) throw new RangeError(`FANOUT_WORKLOADS: unknown workload ${unknown.join(', ')} (known: ${WORKLOADS.join(', ')})`);
  return WORKLOADS.filter((w) => names.includes(w));
}

/** FANOUT_LINES: lines per closed-loop run instead of the scale's. */
function closedLines(scale: number): number {
  const text = process.env['FANOUT_LINES'];
  if (text === undefined || text.trim() === '') return scale;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > SIZES.full.closed) throw new RangeError(`FANOUT_LINES must be a whole number from 1 to ${SIZES.full.closed} (got ${JSON.stringify(text)})`);
  return n;
}

/** FANOUT_SERVER_NODE_ARGS: node flags for the dualchat server's process (e.g. --cpu-prof). */
const SERVER_NODE_ARGS = (process.env['FANOUT_SERVER_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');

function phaseOf(workload: WorkloadName, sizes: { closed: number; paced: number }): FanoutPhase {
  return workload === 'paced' ? { lines: sizes.paced, load: { kind: 'paced', linesPerSecond: PACED_RATE } } : { lines: sizes.closed, load: { kind: 'closed', window: WINDOWS[workload] } };
}

/** When the last paced line is due, ms after go: its sender starts (CLIENTS − 1)/CLIENTS of a period late. */
function scheduleMs(work: FanoutPhase): number | undefined {
  if (work.load.kind !== 'paced') return undefined;
  const period = 1000 / work.load.linesPerSecond;
  return (work.lines - 1) * period + ((CLIENTS - 1) * period) / CLIENTS;
}

/** One round of one server: fresh processes, the warm-up, then each workload (fresh processes again after a failure). */
async function runRound(mode: FanoutMode, round: number, sizes: { closed: number; paced: number }, filesDir: string, log: (m: string) => void): Promise<FanoutRun[]> {
  const runs: FanoutRun[] = [];
  let session: Session | undefined;
  try {
    for (const workload of chosenWorkloads()) {
      const work = phaseOf(workload, sizes);
      const run = pendingRun({
        mode,
        workload,
        round,
        lines: work.lines,
        window: work.load.kind === 'closed' ? work.load.window : undefined,
        linesPerSecond: work.load.kind === 'paced' ? work.load.linesPerSecond : undefined,
        expected: CLIENTS * (CLIENTS - 1) * work.lines,
        scheduleMs: scheduleMs(work),
        load: loadNow(),
      });
      try {
        if (session === undefined) {
          session = await Session.open(mode, filesDir, { nodeFlags: SERVER_NODE_ARGS });
          await session.phase(WARMUP);
        }
        run.load = loadNow();
        Object.assign(run, await session.phase(work));
        run.ok = !run.stalled && run.deliveries === run.expected && run.fellBack === 0;
        if (!run.ok) run.error = `${run.expected - run.deliveries} of ${run.expected} deliveries missing${run.stalled ? ' (stalled)' : ''}${run.fellBack > 0 ? `; ${run.fellBack} clients left UDP` : ''}`;
      } catch (e) {
        run.error = e instanceof Error ? e.message : String(e);
      }
      if (!run.ok) {
        await session?.close();
        session = undefined;
      }
      runs.push(run);
      log(describe(run));
    }
  } finally {
    await session?.close();
  }
  return runs;
}

function labelOf(mode: FanoutMode): string {
  return ALL_CONTENDERS.find((c) => c.mode === mode)?.label ?? mode;
}

function describe(r: FanoutRun): string {
  const label = labelOf(r.mode);
  if (!r.ok) return `round ${r.round + 1} ${label} ${r.workload}: FAILED: ${r.error ?? ''}; load ${r.load}`;
  const lag = lagMs(r);
  return `round ${r.round + 1} ${label} ${r.workload}: ${formatSi(perSecond(r))}/s, ${formatSi(cpuUsPerDelivery(r))} µs server CPU/delivery, p99 ${formatMs(r.p99)}${lag === undefined ? '' : `, lag ${formatMs(lag)}`}; load ${r.load}`;
}

export default defineSuite({
  name: 'fanout',
  title: 'Room fanout: 100 clients in one room — dualchat TCP, UDP and IRC door vs ngircd and a minimal Node TCP forwarder',
  description:
    'Every client sends its lines to the room; every line reaches every other member. Closed loops with 8 and 32 lines in flight per client, and a paced run (20 lines/s per client): delivered/s, server CPU per delivery, latency, against ngircd; each server in its own process.',
  defaultRuns: 1,
  fullRuns: 3,
  /** One round: 5 servers × (warm-up, 2 × 495k deliveries, 3 s paced); see SIZES. */
  budgetMs: 120_000,
  /** 3 rounds of the issue's workloads (2 × 9.9M deliveries and 20 s paced per server). */
  fullBudgetMs: 1_800_000,
  async run(ctx) {
    const scale = ctx.quick ? SIZES.quick : ctx.full ? SIZES.full : SIZES.default;
    const sizes = { closed: closedLines(scale.closed), paced: scale.paced };
    const irc = ngircdVersion();
    const ngircdMissing = 'unavailable' in irc ? irc.unavailable : undefined;
    const contenders = chosenContenders().filter((c) => c.mode !== REFERENCE || ngircdMissing === undefined).map((c) =>
      c.mode === REFERENCE && 'version' in irc ? { ...c, label: irc.version.replace(/^ngIRCd/, 'ngircd') } : c,
    );
    if (ngircdMissing !== undefined) ctx.log(`ngircd not measured: ${ngircdMissing}`);
    const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-files-'));
    const runs: FanoutRun[] = [];
    try {
      const r = await ctx.alternate(
        contenders.map((c) => ({
          name: c.mode,
          run: async (round: number) => {
            const mine = await runRound(c.mode, round, sizes, filesDir, ctx.log);
            runs.push(...mine);
            return mine;
          },
        })),
      );
      const offered = CLIENTS * (CLIENTS - 1) * PACED_RATE;
      const rounds = `medians of ${r.rounds} round${r.rounds === 1 ? '' : 's'}`;
      const tables = fanoutTables(runs, contenders, {
        closed: `${CLIENTS} clients × ${sizes.closed} lines (${formatSi(CLIENTS * (CLIENTS - 1) * sizes.closed)} deliveries per run; ${rounds})`,
        paced: `${CLIENTS} clients × ${PACED_RATE} lines/s for ${formatMs((sizes.paced / PACED_RATE) * 1000)} (${formatSi(offered)} deliveries/s offered, ${formatSi(CLIENTS * (CLIENTS - 1) * sizes.paced)} per run; ${rounds})`,
        offeredPerSecond: offered,
      });
      const notes = [
        `A delivery is one ${LINE_BYTES}-byte line reaching one member other than its sender (dualchat TCP and UDP and the forwarder also echo each line to its sender; ngircd and the IRC door do not, without echo-message — the echo is not counted for any server). Closed loop: a sender keeps at most 8 (or 32) of its lines in flight; a line leaves the window when it reaches the sender's witness, the next client hosted in the same client process — one rule for every server.`,
        `delivered/s: deliveries ÷ the run's wall time (go to the last delivery). server CPU/delivery: the server process's CPU time over the run (user + system, from /proc, the same for every server) ÷ deliveries. ÷ ngircd: ratio to ngircd's median.`,
        `Latency: hand-over by the sender to arrival at a member in the sender's client process (one clock; ${PROCESSES} processes host the clients), to 1 %. Closed loops measure queueing (≈ ${CLIENTS} × window lines in flight × ${CLIENTS - 1} members ÷ the rate); the paced run measures the server at a fixed load.`,
        `Paced: each client sends ${PACED_RATE} lines/s on a fixed schedule (the ${CLIENTS} senders spread evenly over 50 ms). kept up: every line arrived and the last arrived ≤ ${formatMs(KEEP_UP_LAG_MS)} after the last line was due (lag, in parentheses: what the server left queued when the senders stopped — a standing queue stays the same whatever the run's length, a server that cannot carry the rate falls further behind). pacing late: the most a line left its client after its time (the client processes share the 2 cores).`,
        'ngircd as Debian ships it, with a generated config: flood penalties off (MaxPenaltyTime = 0), no connection or join limits, no DNS/ident/PAM. It does not set TCP_NODELAY on its sockets: at the paced load its replies wait on delayed ACKs (~40 ms stalls); measured as shipped.',
        'missing, dup, disorder: summed over all runs (must be 0). clients CPU: the client processes’ CPU time per run — they share the 2 cores with the server.',
      ];
      const failures = runs.filter((x) => !x.ok);
      return {
        verdicts: [...fanoutVerdicts(runs, ngircdMissing), ...ircDoorVerdicts(runs, ngircdMissing)],
        tables,
        plots: [{ spec: fanoutChart(runs, contenders, { clients: CLIENTS, pacedRate: PACED_RATE }) }],
        notes: [
          ...notes,
          ...(ngircdMissing === undefined ? [] : [`ngircd NOT MEASURED: ${ngircdMissing}; the goals against it are not judged.`]),
          ...failures.map((f) => `FAILED run: ${labelOf(f.mode)} ${f.workload} round ${f.round + 1}: ${f.error ?? ''}${f.gaps.length > 0 ? `; first gaps ${JSON.stringify(f.gaps.slice(0, 3))}` : ''}${f.errors.length > 0 ? `; errors ${f.errors.slice(0, 3).join(' | ')}` : ''}`),
          ...runs.filter((x) => keptUp(x) === false && x.ok).map((x) => `${labelOf(x.mode)} (round ${x.round + 1}) did not keep up with the paced load: lag ${formatMs(lagMs(x))}.`),
          ctx.full ? '' : `${ctx.quick ? '--quick' : 'The default run'}: ${sizes.closed} lines per closed-loop run, ${sizes.paced / PACED_RATE} s paced, ${r.rounds} round(s) (the issue's ${SIZES.full.closed} lines and ${SIZES.full.paced / PACED_RATE} s paced: \`npm run bench -- fanout --full\`).`,
        ].filter((n) => n !== ''),
        data: {
          params: { clients: CLIENTS, processes: PROCESSES, bytes: LINE_BYTES, windows: WINDOWS, pacedRate: PACED_RATE, sizes, warmup: WARMUP, keepUpLagMs: KEEP_UP_LAG_MS, quick: ctx.quick, full: ctx.full },
          ngircd: 'version' in irc ? irc.version : null,
          ngircdMissing: ngircdMissing ?? null,
          rounds: r.rounds,
          cutShort: r.cutShort,
          order: r.order,
          runs,
        },
      };
    } finally {
      rmSync(filesDir, { recursive: true, force: true });
    }
  },
});
