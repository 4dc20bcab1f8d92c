// chat-wan: chat latency over a wide-area path — one-way delay 20 ms ± 5 ms jitter and 0, 5, 10 %
// loss on every datagram, both directions, both hops — made by dualchat's own impairment proxy
// (src/udp/proxy.ts: the simulator's Link model on real datagrams) in this process, on 127.0.0.1: no
// root, no namespace. Only UDP contenders can go through a datagram proxy: dualchat's UDP data plane
// (its clients' `udp.via`) and udx-native (a proxy per direction: bench/lib/wan-path.ts). TCP cannot
// (the kernel's loss for it is chat-latency's namespace, which has no delay: no netem in this kernel).
//
// Jitter without reordering: the Link keeps jittered datagrams in FIFO order (each leaves no earlier
// than the one before), and its `reorder` knob stays 0 — a path whose delay varies, not one that
// reorders.
//
// Workloads as in chat-latency, at once on separate connections: a dense pair at 100 lines/s and 50
// sparse pairs at 2 lines/s each; 10 s runs, 1,000 lines per class. To fit the 10-minute plan, each
// round runs both contenders and the three loss rates at the same time (six relays, each with its own
// server or relay process and client process; a line costs well under a millisecond of CPU, so they
// barely compete), rather than one contender after the other: 3 rounds, medians over them.
import type { TopLevelSpec } from 'vega-lite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkSettings } from '../../src/sim/link.ts';
import { loadNow } from '../lib/machine.ts';
import { CHAT_CLASSES, DENSE_RATE, FACET_SIZE, FACETS, HOST, LINE_BYTES, MIN_ROUNDS, SETUP_TIMEOUT_MS, SPARSE_RATE, UDP_CONTENDERS, cell, chatServerParams, chatWorkloads, closingNotes, completeRun, contenderLabel, detailTable, integrityOf, integrityText, medianText, ms, p99Pair, pairsWorkParams, runClients, runsForJson, udxLoads, workloadFor, workloadName, type ChatClass, type ChatRun, type ChatWorkload, type RunFigures, type UdpChatMode } from '../lib/chat-figures.ts';
import type { ChatPairsParams } from '../lib/pairs-protocol.ts';
import { formatRatio, ratio } from '../lib/stats.ts';
import { defineSuite, type Verdict } from '../lib/suite.ts';
import type { ResultTable } from '../lib/table.ts';
import { dualchatPath, udxPath, type PathCounters, type WanPath } from '../lib/wan-path.ts';
import { stopAll, Worker } from '../lib/worker.ts';

/** Loss rates of the brief, in %, on every datagram of every hop, both ways. */
const LOSSES = [0, 5, 10] as const;
type Loss = (typeof LOSSES)[number];
/** One-way delay and its jitter (uniform ±), ms, on every link: a continental path's order of magnitude. */
const DELAY_MS = 20;
const JITTER_MS = 5;
/** No reordering beyond what jitter does — and the Link's jitter keeps FIFO order (src/sim/link.ts). */
const REORDER = 0;

type WanMode = UdpChatMode;
const CONTENDERS = UDP_CONTENDERS;
const label = contenderLabel(CONTENDERS);

/**
 * 10 s runs, 1,000 lines per class (bench/lib/chat-figures.ts); `--full`: 20 s runs and 5 rounds.
 * The drain (15 s) is never reached when nothing is lost. `--quick`: 3 s, 8 sparse pairs: a look, not a p99.
 */
const WORK = chatWorkloads(15_000, { denseLines: 300, sparsePairs: 8, sparseLines: 6, drainMs: 10_000 });
/** Pairs signing in at a time: each UDP binding waits a round trip of the path (~45 ms) or a retry. */
const OPEN_BATCH = 10;

interface Run extends ChatRun<WanMode, Loss> {
  /** What the proxies of the run saw during the measured part (after setup). */
  path?: PathCounters;
}

function linkFor(loss: Loss): Partial<LinkSettings> {
  return { loss: loss / 100, delayMs: DELAY_MS, jitterMs: JITTER_MS, reorder: REORDER };
}

function minus(a: PathCounters, b: PathCounters): PathCounters {
  return { proxies: a.proxies, datagrams: a.datagrams - b.datagrams, dropped: a.dropped - b.dropped, delivered: a.delivered - b.delivered };
}

async function runOne(mode: WanMode, loss: Loss, round: number, work: ChatWorkload, filesDir: string): Promise<Run> {
  const run: Run = { mode, loss, round, ok: false, figures: { dense: undefined, sparse: undefined } };
  const workers: Worker[] = [];
  let path: WanPath | undefined;
  const seed = `chat-wan:${round}:${mode}:${loss}`;
  const base = pairsWorkParams(work);
  try {
    let clients: Worker;
    if (mode === 'udx') {
      const relay = Worker.start('udx-relay', [JSON.stringify({ host: HOST, port: 0, basePort: 0, pairs: 1 + work.sparsePairs })]);
      workers.push(relay);
      const ready = await relay.next((m) => m.type === 'ready', 'the relay ready', SETUP_TIMEOUT_MS);
      // The clients' sockets bind any ports; the proxy in front of the relay is started first, for
      // them to send to, then one in front of each of their sockets, for the relay to send to.
      const relayPort = Number(ready['port']);
      const udxp = await udxPath(relayPort, linkFor(loss), seed);
      path = udxp;
      clients = Worker.start('chat-pairs', [JSON.stringify({ ...base, mode: 'udx', port: udxp.relayViaPort, udxBasePort: 0 } satisfies ChatPairsParams)]);
      workers.push(clients);
      const cready = await clients.next((m) => m.type === 'ready', 'the clients ready', SETUP_TIMEOUT_MS);
      const ends = await udxp.addClients(clientPorts(cready['udxPorts'], 1 + work.sparsePairs));
      relay.send({ type: 'connect', ends });
      await relay.next((m) => m.type === 'connected', 'the relay connected', SETUP_TIMEOUT_MS);
    } else {
      const server = Worker.start('chat-server', [JSON.stringify(chatServerParams(work, filesDir))]);
      workers.push(server);
      const ready = await server.next((m) => m.type === 'ready', 'the server ready', SETUP_TIMEOUT_MS);
      const dc = await dualchatPath(Number(ready['udpPort']), linkFor(loss), seed);
      path = dc;
      clients = Worker.start('chat-pairs', [JSON.stringify({ ...base, mode: 'dualchat-udp', port: Number(ready['tcpPort']), udxBasePort: 0, udpViaPort: dc.viaPort, openBatch: OPEN_BATCH } satisfies ChatPairsParams)]);
      workers.push(clients);
      await clients.next((m) => m.type === 'ready', 'the clients ready', SETUP_TIMEOUT_MS);
    }
    const before = path.counters();
    const result = await runClients(clients, work);
    run.path = minus(path.counters(), before);
    completeRun(run, result);
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
  } finally {
    await stopAll(workers.reverse());
    await path?.close();
  }
  return run;
}

/** The udx clients' ports from their ready message: one [senderPort, receiverPort] per pair. */
function clientPorts(value: unknown, pairs: number): Array<[number, number]> {
  const port = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 65_535;
  if (!Array.isArray(value) || value.length !== pairs) throw new Error(`the udx clients told ${JSON.stringify(value)?.slice(0, 200)}, not ${pairs} pairs of ports`);
  return value.map((e: unknown) => {
    if (!Array.isArray(e) || e.length !== 2 || !port(e[0]) || !port(e[1])) throw new Error(`the udx clients told a bad pair of ports: ${JSON.stringify(e)}`);
    return [e[0], e[1]];
  });
}

function p99Table(title: string, cls: ChatClass, runs: readonly Run[], modes: readonly WanMode[]): ResultTable {
  const has = (m: WanMode): boolean => modes.includes(m);
  return {
    title,
    columns: [{ label: 'loss' }, { label: 'dualchat UDP p50' }, { label: 'dualchat UDP p99' }, ...(has('udx') ? [{ label: 'udx-native p50' }, { label: 'udx-native p99' }, { label: 'UDP/udx p99' }] : [])],
    rows: LOSSES.map((loss) => {
      const udp = cell(runs, 'dualchat-udp', loss, cls, (f) => f.p99);
      const udx = cell(runs, 'udx', loss, cls, (f) => f.p99);
      return [
        `${loss}%`,
        ms(cell(runs, 'dualchat-udp', loss, cls, (f) => f.p50)),
        ms(udp),
        ...(has('udx') ? [ms(cell(runs, 'udx', loss, cls, (f) => f.p50)), ms(udx), formatRatio(ratio(udp, udx))] : []),
      ];
    }),
    notes: [`Path: ${DELAY_MS} ms ± ${JITTER_MS} ms one way on each link, so a line's floor is two hops: ~${2 * DELAY_MS} ms. No goal given; the verdict is "no line lost".`],
  };
}

/** What the proxies dropped, of what they carried: the "every figure" table's per-run measure. */
const PROXY_DROPS = {
  label: 'proxy drops',
  note: 'proxy drops: datagrams the proxies\' links dropped of those they carried in one run (median; all pairs, both hops, both ways, ACKs included).',
  value: (ok: readonly Run[]) => `${medianText(ok.map((r) => r.path?.dropped ?? 0))} of ${medianText(ok.map((r) => r.path?.datagrams ?? 0))}`,
};

function integrityVerdicts(runs: readonly Run[], modes: readonly WanMode[]): Verdict[] {
  return modes.map((mode) => {
    const i = integrityOf(runs.filter((r) => r.mode === mode));
    return {
      goal: `no line lost (${label(mode)}, ${DELAY_MS} ± ${JITTER_MS} ms, 0–10 % loss)`,
      met: i.ok === 0 ? undefined : i.ok === i.runs && i.lost === 0 && i.disorder === 0 && i.fellBack === 0,
      measured: integrityText(i, mode === 'dualchat-udp' ? `, ${i.fellBack} fell back to TCP` : ''),
    };
  });
}

function chart(runs: readonly Run[], modes: readonly WanMode[]): TopLevelSpec {
  const values: Array<{ loss: number; workload: string; transport: string; quantile: string; ms: number }> = [];
  for (const cls of CHAT_CLASSES) {
    const workload = workloadName(cls);
    for (const loss of LOSSES) {
      for (const mode of modes) {
        for (const [quantile, pick] of [['p50', (f: RunFigures) => f.p50], ['p99', (f: RunFigures) => f.p99]] as const) {
          const v = cell(runs, mode, loss, cls, pick);
          if (v !== undefined && Number.isFinite(v)) values.push({ loss: loss / 100, workload, transport: label(mode), quantile, ms: v });
        }
      }
    }
  }
  return {
    ...FACETS,
    title: {
      text: `Chat latency over a ${DELAY_MS} ± ${JITTER_MS} ms path with loss`,
      subtitle: ['sender → server → receiver through dualchat\'s impairment proxy (every hop, both ways); medians over rounds', `dashed: p50; solid: p99; the floor is two hops, ~${2 * DELAY_MS} ms`],
    },
    data: { values },
    spec: {
      ...FACET_SIZE,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'loss', type: 'quantitative', axis: { format: '.0~%', values: LOSSES.map((l) => l / 100) }, title: 'datagram loss (each link)' },
        y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { zero: false } },
        color: { field: 'transport', type: 'nominal', sort: modes.map(label) },
        strokeDash: { field: 'quantile', type: 'nominal', sort: ['p99', 'p50'] },
      },
    },
  };
}

export default defineSuite({
  name: 'chat-wan',
  title: 'Chat latency over a 20 ± 5 ms path with loss (impairment proxy): dualchat UDP vs udx-native',
  description:
    'Chat lines relayed sender → server → receiver with every datagram (both hops, both ways) through dualchat\'s own impairment proxy on 127.0.0.1: one-way delay 20 ms ± 5 ms jitter (no reordering), 0/5/10 % loss; per run 1,000 lines at 100/s and 50 sparse pairs × 20 lines at 2/s (10 s); p50/p99/max latency and lines lost, medians of 3 rounds. No root needed. Goal: no line lost.',
  defaultRuns: MIN_ROUNDS,
  fullRuns: 5,
  /** 3 rounds × (~7 s of setup + 10 s of lines + the last ones' ~0.1 s), both contenders and the loss rates at once. */
  budgetMs: 90_000,
  fullBudgetMs: 240_000,
  async run(ctx) {
    const work = workloadFor(WORK, ctx);
    const udxProblem = await udxLoads();
    const modes = CONTENDERS.map((c) => c.mode).filter((m) => m !== 'udx' || udxProblem === undefined);
    if (udxProblem !== undefined) ctx.log(`udx-native does not load here (${udxProblem}): running without it`);
    const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-files-'));
    const runs: Run[] = [];
    try {
      // One "contender" per round: both transports and the three loss rates at once (see the header).
      const r = await ctx.alternate(
        [
          {
            name: 'all',
            run: async (round: number) => {
              const mine = await Promise.all(modes.flatMap((mode) => LOSSES.map((loss) => runOne(mode, loss, round, work, filesDir))));
              runs.push(...mine);
              return { load: loadNow(), failed: mine.filter((x) => !x.ok).map((x) => `${x.mode} ${x.loss}%: ${x.error ?? ''}`) };
            },
          },
        ],
        {
          minRounds: MIN_ROUNDS,
          onSample: (_name, round, s) => {
            const mine = runs.filter((x) => x.round === round);
            const p99s = mine.map((x) => `${label(x.mode)} ${x.loss}% ${p99Pair(x)}`).join(', ');
            ctx.log(`round ${round + 1}: p99 dense/sparse ${p99s}; load ${s.load}${s.failed.length > 0 ? `; FAILED ${s.failed.join('; ')}` : ''}`);
          },
        },
      );
      return {
        tables: [
          p99Table(`Latency, ${work.denseLines} lines at ${DENSE_RATE}/s over ${DELAY_MS} ± ${JITTER_MS} ms (medians of ${r.rounds} rounds)`, 'dense', runs, modes),
          p99Table(`Latency, sparse: ${work.sparsePairs} pairs × ${work.sparseLines} lines at ${SPARSE_RATE}/s each (medians of ${r.rounds} rounds)`, 'sparse', runs, modes),
          detailTable({ runs, modes, losses: LOSSES, work, label, drops: PROXY_DROPS }),
        ],
        plots: [{ spec: chart(runs, modes) }],
        verdicts: integrityVerdicts(runs, modes),
        notes: [
          'TCP is not a contender here: a datagram proxy cannot carry it (its loss is chat-latency\'s, in a namespace, without delay: no netem in this kernel).',
          ...closingNotes({ udxProblem, runs, work, defaultWork: WORK.default, quick: ctx.quick, rounds: r.rounds, roundsAsked: ctx.runs, cutShort: r.cutShort }),
        ],
        data: {
          params: { losses: LOSSES, delayMs: DELAY_MS, jitterMs: JITTER_MS, reorder: REORDER, denseRate: DENSE_RATE, sparseRate: SPARSE_RATE, bytes: LINE_BYTES, ...work, quick: ctx.quick, full: ctx.full },
          rounds: r.rounds,
          cutShort: r.cutShort,
          runs: runsForJson(runs),
        },
      };
    } finally {
      rmSync(filesDir, { recursive: true, force: true });
    }
  },
});
