// `npm run bench` — runs the benchmark suites of bench/suites/ (each file's default export is a
// suite, see bench/lib/suite.ts) and prints, per suite, the machine line and tables of medians with
// ratios to the reference; writes bench/results/<suite>.json and the suite's charts as SVG.
//
//   npm run bench                      every suite, each in its own Node process
//   npm run bench -- sim-speed         one suite (several: list them)
//   npm run bench -- --runs 7          rounds per suite (default: each suite's own)
//   npm run bench -- --list            names and descriptions
//   npm run bench -- --markdown        tables as Markdown (for docs/benchmarks.md)
//   npm run bench -- --quick           smaller workloads, where a suite has them (a fast look)
//
// Exit status: 0 when every suite ran or was skipped with a reason, 1 when one failed, 2 for bad
// arguments. Several suites run one child process each, so one suite's JIT state, heap and any
// crash never touch another's figures.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { describeMachine, loadNow, machineLine } from './lib/machine.ts';
import { renderSvg } from './lib/render.ts';
import { isSuite, suiteContext, type Suite } from './lib/suite.ts';
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
  plots: boolean;
  out: string;
  /** Internal: run the named suites here instead of one child process each. */
  inProcess?: boolean;
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

async function runOne(suite: Suite, opts: Options): Promise<boolean> {
  const machine = describeMachine();
  const out = process.stdout;
  out.write(`\n=== ${suite.name}: ${suite.title}\n${suite.description}\n${machineLine(machine)}\n`);
  const reason = await suite.unavailable?.();
  if (reason !== undefined) {
    out.write(`SKIPPED: ${reason}\n`);
    return true;
  }
  const runs = opts.runs ?? suite.defaultRuns;
  const started = performance.now();
  const ctx = suiteContext({
    runs,
    budgetMs: suite.budgetMs,
    machine,
    quick: opts.quick === true,
    now: () => performance.now(),
    log: (m) => process.stderr.write(`  [${suite.name} ${seconds(performance.now() - started)}] ${m}\n`),
  });
  let result;
  try {
    result = await suite.run(ctx);
  } catch (e) {
    out.write(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return false;
  }
  const wallMs = performance.now() - started;
  const loadAtEnd = loadNow();
  out.write('\n');
  for (const table of result.tables) out.write(`${opts.markdown === true ? markdownTable(table) : formatTable(table)}\n\n`);
  for (const note of result.notes ?? []) out.write(`${note}\n`);
  out.write(`${runs} round${runs === 1 ? '' : 's'} asked; took ${seconds(wallMs)} of a ${seconds(suite.budgetMs)} budget; load ${loadAtEnd.toFixed(2)} at the end\n`);

  mkdirSync(opts.out, { recursive: true });
  const json = {
    suite: suite.name,
    title: suite.title,
    description: suite.description,
    machine,
    machineLine: machineLine(machine),
    runs,
    quick: opts.quick === true,
    wallMs: Math.round(wallMs),
    budgetMs: suite.budgetMs,
    loadAtEnd,
    tables: result.tables,
    notes: result.notes ?? [],
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
        return false;
      }
    }
  }
  return true;
}

/** Runs one suite in a child process (same flags), resolving to its exit status. */
function runChild(name: string, opts: Options): Promise<number> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), name, '--in-process', '--out', opts.out];
  if (opts.runs !== undefined) args.push('--runs', String(opts.runs));
  if (opts.markdown === true) args.push('--markdown');
  if (opts.quick === true) args.push('--quick');
  if (!opts.plots) args.push('--no-plots');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('error', (e) => {
      process.stderr.write(`bench: could not start ${name}: ${e.message}\n`);
      resolve(EXIT_FAILED);
    });
    child.on('exit', (code) => resolve(code ?? EXIT_FAILED));
  });
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .description('Run the dualchat benchmark suites (bench/suites/) and write bench/results/')
    .argument('[suites...]', 'suites to run (default: all)')
    .option('--runs <n>', 'rounds per suite (default: each suite chooses, 3–5)', positiveInt)
    .option('--list', 'list the suites and exit')
    .option('--markdown', 'print tables as Markdown')
    .option('--quick', 'smaller workloads where a suite has them (fewer lines, clients)')
    .option('--no-plots', 'do not render the SVG charts')
    .option('--out <dir>', 'where results go', DEFAULT_OUT_DIR)
    .option('--in-process', 'run the suites in this process (used for the child processes)')
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

  let suites: Suite[];
  try {
    suites = await loadSuites();
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  if (opts.list === true) {
    const w = Math.max(0, ...suites.map((s) => s.name.length));
    for (const s of suites) process.stdout.write(`${s.name.padEnd(w)}  ${s.title} (budget ${seconds(s.budgetMs)})\n`);
    return EXIT_OK;
  }
  const unknown = names.filter((n) => !suites.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no suite named ${unknown.join(', ')} (suites: ${suites.map((s) => s.name).join(', ')})\n`);
    return EXIT_USAGE;
  }
  const chosen = names.length === 0 ? suites : suites.filter((s) => names.includes(s.name));

  let ok = true;
  if (opts.inProcess === true || chosen.length === 1) {
    for (const suite of chosen) ok = (await runOne(suite, opts)) && ok;
  } else {
    const total = chosen.reduce((ms, s) => ms + s.budgetMs, 0);
    process.stdout.write(`${chosen.length} suites, budgets adding up to ${seconds(total)}\n`);
    for (const suite of chosen) ok = (await runChild(suite.name, opts)) === EXIT_OK && ok;
  }
  return ok ? EXIT_OK : EXIT_FAILED;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
