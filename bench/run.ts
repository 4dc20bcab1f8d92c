// `npm run bench` — runs the benchmark suites of bench/suites/ (each file's default export is a
// suite, see bench/lib/suite.ts) and prints, per suite, the machine line and tables of medians with
// ratios to the reference; writes bench/results/<suite>.json and the suite's charts as SVG.
//
//   npm run bench                      every suite, each in its own Node process (the plan: ≤ ~10 min)
//   npm run bench -- sim-speed         one suite (several: list them)
//   npm run bench -- --runs 7          rounds per suite (default: each suite's own)
//   npm run bench -- --full            more rounds (and the longer workloads) where a suite has them
//   npm run bench -- --quick           smaller workloads, where a suite has them (a fast look)
//   npm run bench -- --list            names, titles, rounds and budgets, and the plan's total
//   npm run bench -- --markdown        tables as Markdown (for docs/benchmarks.md)
//
// It ends with a summary: per suite ran/skipped/failed, wall time against budget, goals met or not;
// and the total wall time against the plan (bench/lib/plan.ts). Exit status: 0 when every suite ran
// or was skipped with a reason, 1 when one failed, 2 for bad arguments. Several suites run one child
// process each, so one suite's JIT state, heap and any crash never touch another's figures.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { describeMachine, loadNow, machineLine } from './lib/machine.ts';
import { budgetFor, DEFAULT_PLAN_MS, formatDuration, PLAN, plannedMs, runsFor } from './lib/plan.ts';
import { renderSvg } from './lib/render.ts';
import { parseOutcome, summaryTable, verdictLine, type SuiteOutcome } from './lib/summary.ts';
import { isSuite, suiteContext, type Scale, type Suite } from './lib/suite.ts';
import { formatTable, markdownTable } from './lib/table.ts';

const SUITES_DIR = new URL('./suites/', import.meta.url);
const DEFAULT_OUT_DIR = fileURLToPath(new URL('./results', import.meta.url));
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

interface Options {
  runs?: number;
  list?: boolean;
  markdown?: boolean;
  quick?: boolean;
  full?: boolean;
  plots: boolean;
  out: string;
  /** Internal: run the named suites here instead of one child process each. */
  inProcess?: boolean;
  /** Internal: where a child process writes its suite's outcome (JSON) for the parent's summary. */
  outcomeFile?: string;
}

function scaleOf(opts: Options): Scale {
  return opts.quick === true ? 'quick' : opts.full === true ? 'full' : 'default';
}

/** Every suite file's default export, by name; a file that exports no suite is an error. */
async function loadSuites(): Promise<Suite[]> {
  const files = readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.endsWith('.test.ts'))
    .sort();
  const suites: Suite[] = [];
  for (const file of files) {
    const mod = (await import(new URL(file, SUITES_DIR).href)) as { default?: unknown };
    if (!isSuite(mod.default)) throw new Error(`bench/suites/${file}: the default export must be defineSuite({...})`);
    if (`${mod.default.name}.ts` !== file) throw new Error(`bench/suites/${file}: the suite is named "${mod.default.name}"; name the file after it`);
    suites.push(mod.default);
  }
  return suites;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs one suite here; its outcome (for the summary) whatever happens. */
async function runOne(suite: Suite, opts: Options): Promise<SuiteOutcome> {
  const machine = describeMachine();
  const out = process.stdout;
  const scale = scaleOf(opts);
  const runs = runsFor(suite, scale, opts.runs);
  const budgetMs = budgetFor(suite, scale);
  const outcome = (status: SuiteOutcome['status'], wallMs: number, extra: Partial<SuiteOutcome> = {}): SuiteOutcome => ({
    suite: suite.name,
    status,
    wallMs: Math.round(wallMs),
    budgetMs,
    runs,
    verdicts: [],
    ...extra,
  });
  out.write(`\n=== ${suite.name}: ${suite.title}\n${suite.description}\n${machineLine(machine)}\n`);
  const started = performance.now();
  let reason: string | undefined;
  try {
    reason = await suite.unavailable?.();
  } catch (e) {
    out.write(`FAILED: could not tell whether it can run here: ${e instanceof Error ? e.message : String(e)}\n`);
    return outcome('failed', performance.now() - started, { reason: e instanceof Error ? e.message : String(e) });
  }
  if (reason !== undefined) {
    out.write(`SKIPPED: ${reason}\n`);
    return outcome('skipped', performance.now() - started, { reason });
  }
  const ctx = suiteContext({
    runs,
    budgetMs,
    machine,
    quick: scale === 'quick',
    full: scale === 'full',
    now: () => performance.now(),
    log: (m) => process.stderr.write(`  [${suite.name} ${seconds(performance.now() - started)}] ${m}\n`),
  });
  let result;
  try {
    result = await suite.run(ctx);
  } catch (e) {
    out.write(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return outcome('failed', performance.now() - started, { reason: e instanceof Error ? e.message : String(e) });
  }
  const wallMs = performance.now() - started;
  const loadAtEnd = loadNow();
  out.write('\n');
  for (const table of result.tables) out.write(`${opts.markdown === true ? markdownTable(table) : formatTable(table)}\n\n`);
  for (const note of result.notes ?? []) out.write(`${note}\n`);
  const verdicts = result.verdicts ?? [];
  out.write(`Goals: ${verdictLine(verdicts)}\n`);
  out.write(`${runs} round${runs === 1 ? '' : 's'} asked (${scale} scale); took ${formatDuration(wallMs)} of a ${formatDuration(budgetMs)} budget; load ${loadAtEnd.toFixed(2)} at the end\n`);

  mkdirSync(opts.out, { recursive: true });
  const json = {
    suite: suite.name,
    title: suite.title,
    description: suite.description,
    machine,
    machineLine: machineLine(machine),
    runs,
    scale,
    quick: scale === 'quick',
    wallMs: Math.round(wallMs),
    budgetMs,
    loadAtEnd,
    tables: result.tables,
    notes: result.notes ?? [],
    verdicts,
    data: result.data,
  };
  const jsonPath = join(opts.out, `${suite.name}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  out.write(`wrote ${jsonPath}\n`);
  if (opts.plots) {
    for (const plot of result.plots ?? []) {
      const path = join(opts.out, `${suite.name}${plot.name === undefined ? '' : `-${plot.name}`}.svg`);
      try {
        writeFileSync(path, await renderSvg(plot.spec));
        out.write(`wrote ${path}\n`);
      } catch (e) {
        out.write(`could not render ${path}: ${(e as Error).message}\n`);
        return outcome('failed', performance.now() - started, { reason: `could not render ${path}: ${(e as Error).message}`, verdicts });
      }
    }
  }
  return outcome('ran', wallMs, { verdicts });
}

/** Runs one suite in a child process (same flags); its outcome, read back from the file it writes. */
async function runChild(suite: Suite, opts: Options, outcomeDir: string): Promise<SuiteOutcome> {
  const outcomeFile = join(outcomeDir, `${suite.name}.json`);
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), suite.name, '--in-process', '--out', opts.out, '--outcome-file', outcomeFile];
  if (opts.runs !== undefined) args.push('--runs', String(opts.runs));
  if (opts.markdown === true) args.push('--markdown');
  if (opts.quick === true) args.push('--quick');
  if (opts.full === true) args.push('--full');
  if (!opts.plots) args.push('--no-plots');
  const started = performance.now();
  const code = await new Promise<number | string>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('error', (e) => resolve(`could not start: ${e.message}`));
    child.on('exit', (c, signal) => resolve(c ?? `killed by ${signal ?? 'a signal'}`));
  });
  const wallMs = performance.now() - started;
  const failed = (reason: string): SuiteOutcome => ({
    suite: suite.name,
    status: 'failed',
    wallMs: Math.round(wallMs),
    budgetMs: budgetFor(suite, scaleOf(opts)),
    runs: runsFor(suite, scaleOf(opts), opts.runs),
    reason,
    verdicts: [],
  });
  let text: string;
  try {
    text = readFileSync(outcomeFile, 'utf8');
  } catch {
    return failed(typeof code === 'string' ? code : `exited with status ${code} and no outcome`);
  }
  const parsed = parseOutcome(text);
  if (typeof parsed === 'string') return failed(`its outcome file is broken: ${parsed}`);
  if (code !== EXIT_OK && parsed.status !== 'failed') return { ...parsed, status: 'failed', reason: typeof code === 'string' ? code : `exited with status ${code}` };
  // The child's wall time counts its own start-up (tsx, imports) too.
  return { ...parsed, wallMs: Math.round(wallMs) };
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .description('Run the dualchat benchmark suites (bench/suites/) and write bench/results/')
    .argument('[suites...]', 'suites to run (default: all)')
    .option('--runs <n>', 'rounds per suite (default: each suite chooses, 3–5)', positiveInt)
    .option('--list', 'list the suites and exit')
    .option('--markdown', 'print tables as Markdown')
    .option('--quick', 'smaller workloads where a suite has them (fewer lines, clients)')
    .option('--full', 'more rounds (each suite\'s fullRuns) and the longer workloads, where a suite has them')
    .option('--no-plots', 'do not render the SVG charts')
    .option('--out <dir>', 'where results go', DEFAULT_OUT_DIR)
    .option('--in-process', 'run the suites in this process (used for the child processes)')
    .option('--outcome-file <file>', 'write the suite\'s outcome here as JSON (used for the child processes)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? EXIT_OK : EXIT_USAGE;
  }
  const opts = program.opts<Options>();
  const names = program.args;
  if (opts.quick === true && opts.full === true) {
    process.stderr.write('bench: --quick and --full exclude each other\n');
    return EXIT_USAGE;
  }
  const scale = scaleOf(opts);

  let suites: Suite[];
  try {
    suites = await loadSuites();
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  if (opts.list === true) {
    const w = Math.max(0, ...suites.map((s) => s.name.length));
    const planned = (s: Suite): number | undefined => (scale === 'default' && opts.runs === undefined ? PLAN[s.name]?.plannedMs : undefined);
    for (const s of suites) {
      const runs = runsFor(s, scale, opts.runs);
      const p = planned(s);
      process.stdout.write(
        `${s.name.padEnd(w)}  ${s.title} (${runs} round${runs === 1 ? '' : 's'}${p === undefined ? '' : `, planned ${formatDuration(p)}`}, budget ${formatDuration(budgetFor(s, scale))})\n`,
      );
    }
    const total = suites.reduce((ms, s) => ms + (planned(s) ?? 0), 0);
    process.stdout.write(
      `${scale} scale: ${scale === 'default' && opts.runs === undefined ? `planned ${formatDuration(total)} (target ≤ ${formatDuration(DEFAULT_PLAN_MS)}); ` : ''}budgets add up to ${formatDuration(plannedMs(suites, scale))}\n`,
    );
    return EXIT_OK;
  }
  const unknown = names.filter((n) => !suites.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no suite named ${unknown.join(', ')} (suites: ${suites.map((s) => s.name).join(', ')})\n`);
    return EXIT_USAGE;
  }
  const chosen = names.length === 0 ? suites : suites.filter((s) => names.includes(s.name));

  const started = performance.now();
  const outcomes: SuiteOutcome[] = [];
  if (opts.inProcess === true || chosen.length === 1) {
    for (const suite of chosen) {
      const o = await runOne(suite, opts);
      outcomes.push(o);
      if (opts.outcomeFile !== undefined) writeFileSync(opts.outcomeFile, `${JSON.stringify(o)}\n`);
    }
  } else {
    process.stdout.write(`${chosen.length} suites at the ${scale} scale, budgets adding up to ${formatDuration(plannedMs(chosen, scale))}\n`);
    const outcomeDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-outcomes-'));
    try {
      for (const suite of chosen) outcomes.push(await runChild(suite, opts, outcomeDir));
    } finally {
      rmSync(outcomeDir, { recursive: true, force: true });
    }
  }
  if (opts.outcomeFile === undefined) {
    const whole = scale === 'default' && opts.runs === undefined && chosen.length === suites.length;
    const table = summaryTable(outcomes, performance.now() - started, {
      plannedMs: scale === 'default' && opts.runs === undefined ? chosen.reduce((ms, s) => ms + (PLAN[s.name]?.plannedMs ?? budgetFor(s, scale)), 0) : plannedMs(chosen, scale),
      budgetsMs: plannedMs(chosen, scale),
      ...(whole ? { targetMs: DEFAULT_PLAN_MS } : {}),
    });
    process.stdout.write(`\n${opts.markdown === true ? markdownTable(table) : formatTable(table)}\n`);
  }
  return outcomes.every((o) => o.status !== 'failed') ? EXIT_OK : EXIT_FAILED;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
