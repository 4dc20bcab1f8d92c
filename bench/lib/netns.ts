// A throw-away Linux network namespace for benchmarks that need real kernel loss: its own loopback
// (optionally with a 1500-byte MTU, so TCP segments like on Ethernet instead of in 64 KiB loopback
// chunks), and an nftables input-hook rule that drops a given percentage of the UDP and/or TCP
// packets of given ports at random (`numgen random`), so UDP and TCP see the same kind of loss.
//
//   const reason = await netnsUnavailable({ needNft: true });   // a suite's unavailable()
//   await withNetns({ mtu: 1500, drop: [{ protocol: 'udp', ports: [7000], percent: 10 }] }, async (ns) => {
//     const server = ns.spawn(process.execPath, ['--import', 'tsx', 'bench/workers/server.ts']);
//     const r = await ns.run(process.execPath, ['client.js'], { timeoutMs: 30_000 });
//   });
//
// Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN), iproute2's `ip` and, for drop rules, nftables' `nft`;
// netnsUnavailable() says which is missing so a suite can be skipped with a clear reason. Namespaces
// are deleted by destroy(), by withNetns() whatever happens, and at process exit as a last resort.
import { execFile, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

export type Protocol = 'udp' | 'tcp';

export interface DropRule {
  protocol: Protocol;
  /**
   * Ports whose packets are dropped, whichever end uses them (destination or source port), so both
   * directions of a connection to a listed port see the loss. Absent or empty: every port.
   */
  ports?: readonly number[];
  /** Percentage of the matching packets dropped, 0–100, in steps of 0.01. */
  percent: number;
}

export interface NetnsOptions {
  /** Namespace name (letters, digits, dashes); default `dcbench-<pid>-<n>`. */
  name?: string;
  /** MTU of the namespace's loopback (the kernel's default is 65,536). */
  mtu?: number;
  drop?: readonly DropRule[];
}

/** The nftables table the drop rules live in (inside the namespace only). */
export const NFT_TABLE = 'dualchat_bench';
/** numgen draws in [0, NUMGEN_MODULUS): a percentage p drops when the draw is below p·100. */
export const NUMGEN_MODULUS = 10_000;
/** Longest a setup command (`ip`, `nft`) may take before it is treated as failed. */
export const SETUP_TIMEOUT_MS = 10_000;
/** Ports per rule: nft sets take many more, but a benchmark listing more is a bug. */
export const MAX_PORTS = 64;

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/i;

/** Problems with drop rules, each naming the rule; empty when valid. */
export function checkDropRules(rules: readonly DropRule[]): string[] {
  const errors: string[] = [];
  rules.forEach((r, i) => {
    const at = `drop[${i}]`;
    if (r.protocol !== 'udp' && r.protocol !== 'tcp') errors.push(`${at}.protocol must be "udp" or "tcp" (got ${String(r.protocol)})`);
    if (!(typeof r.percent === 'number' && r.percent >= 0 && r.percent <= 100)) errors.push(`${at}.percent must be a number from 0 to 100 (got ${String(r.percent)})`);
    const ports = r.ports ?? [];
    if (ports.length > MAX_PORTS) errors.push(`${at}.ports: at most ${MAX_PORTS} ports (got ${ports.length})`);
    for (const p of ports) if (!Number.isSafeInteger(p) || p < 1 || p > 65_535) errors.push(`${at}.ports: ${String(p)} is not a port (1–65535)`);
  });
  return errors;
}

/** The draw threshold for a percentage: packets with numgen < threshold are dropped. */
export function dropThreshold(percent: number): number {
  return Math.round((percent * NUMGEN_MODULUS) / 100);
}

/**
 * The nft script that (re)creates the drop table: creating then deleting the table first makes the
 * whole script replace any previous rules atomically (`nft -f` applies a script as one transaction).
 * A rule with ports drops packets *to* a listed port, then packets *from* one that are not also to
 * one, so a packet between two listed ports is subject to one draw, not two.
 */
export function nftRuleset(rules: readonly DropRule[]): string {
  const errors = checkDropRules(rules);
  if (errors.length > 0) throw new RangeError(errors.join('; '));
  const lines = [`table inet ${NFT_TABLE}`, `delete table inet ${NFT_TABLE}`, `table inet ${NFT_TABLE} {`, '  chain input {', '    type filter hook input priority filter; policy accept;'];
  for (const r of rules) {
    const threshold = dropThreshold(r.percent);
    if (threshold === 0) continue;
    const draw = `numgen random mod ${NUMGEN_MODULUS} < ${threshold} counter drop`;
    const ports = [...new Set(r.ports ?? [])].sort((a, b) => a - b);
    if (ports.length === 0) {
      lines.push(`    meta l4proto ${r.protocol} ${draw}`);
    } else {
      const set = `{ ${ports.join(', ')} }`;
      lines.push(`    meta l4proto ${r.protocol} th dport ${set} ${draw}`);
      lines.push(`    meta l4proto ${r.protocol} th sport ${set} th dport != ${set} ${draw}`);
    }
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}

export interface CommandResult {
  /** Exit code, or null when killed (then `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the command was killed for running past its timeout. */
  timedOut: boolean;
}

/** Runs a command to completion (bounded by timeoutMs), never throwing for a non-zero exit. */
function runCommand(cmd: string, args: readonly string[], opts: { timeoutMs: number; input?: string }): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, [...args], { timeout: opts.timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: NodeJS.Signals | null; code?: number | string }) | null;
      if (e !== null && typeof e.code === 'string') {
        // Could not start it at all (ENOENT…).
        resolve({ code: null, signal: null, stdout, stderr: `${stderr}${e.message}`, timedOut: false });
        return;
      }
      resolve({
        code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
        signal: e?.signal ?? null,
        stdout,
        stderr,
        timedOut: e?.killed === true && e.signal === 'SIGTERM',
      });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function mustRun(cmd: string, args: readonly string[], input?: string): Promise<void> {
  const r = await runCommand(cmd, args, { timeoutMs: SETUP_TIMEOUT_MS, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${SETUP_TIMEOUT_MS} ms` : `exit ${String(r.code ?? r.signal)}`;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}: ${r.stderr.trim()}`);
  }
}

function hasCommand(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: SETUP_TIMEOUT_MS });
  return r.error === undefined;
}

/**
 * Why a namespace cannot be made here (not Linux, not root, a tool missing, or the kernel refused a
 * probe namespace), or undefined when it can. For a suite's `unavailable()` and tests' skipIf.
 */
export async function netnsUnavailable(opts: { needNft?: boolean } = {}): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'needs root: it creates a network namespace and nftables rules (run `sudo npm run bench -- NAME`)';
  }
  if (!hasCommand('ip', ['-V'])) return "iproute2's `ip` is not installed (apt-get install iproute2)";
  if (opts.needNft === true && !hasCommand('nft', ['--version'])) return "nftables' `nft` is not installed (apt-get install nftables)";
  const probe = `dcbench-probe-${process.pid}`;
  const made = await runCommand('ip', ['netns', 'add', probe], { timeoutMs: SETUP_TIMEOUT_MS });
  if (made.code !== 0) return `cannot create a network namespace here: ${made.stderr.trim() || `exit ${String(made.code)}`}`;
  let why: string | undefined;
  if (opts.needNft === true) {
    const table = await runCommand('ip', ['netns', 'exec', probe, 'nft', 'add', 'table', 'inet', 'probe'], { timeoutMs: SETUP_TIMEOUT_MS });
    if (table.code !== 0) why = `nftables does not work in a network namespace here: ${table.stderr.trim() || `exit ${String(table.code)}`}`;
  }
  await runCommand('ip', ['netns', 'del', probe], { timeoutMs: SETUP_TIMEOUT_MS });
  return why;
}

/** Namespaces not yet destroyed, deleted at exit if their owner forgot (or crashed). */
const live = new Set<string>();
let exitHooked = false;
let counter = 0;

function cleanupAtExit(): void {
  for (const name of live) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: SETUP_TIMEOUT_MS });
  live.clear();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', cleanupAtExit);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanupAtExit();
      process.kill(process.pid, signal); // the default action, now that this one-shot handler is gone
    });
  }
}

export class Netns {
  private destroyed = false;

  private constructor(readonly name: string) {}

  /** Creates the namespace, brings lo up (with the MTU), installs the drop rules. */
  static async create(opts: NetnsOptions = {}): Promise<Netns> {
    const name = opts.name ?? `dcbench-${process.pid}-${++counter}`;
    if (!NAME.test(name)) throw new RangeError(`namespace name "${name}" must be 1–32 letters, digits or dashes`);
    if (opts.mtu !== undefined && !(Number.isSafeInteger(opts.mtu) && opts.mtu >= 68 && opts.mtu <= 65_536)) {
      throw new RangeError(`mtu must be a whole number from 68 to 65536 (got ${String(opts.mtu)})`);
    }
    const errors = checkDropRules(opts.drop ?? []);
    if (errors.length > 0) throw new RangeError(errors.join('; '));
    hookExit();
    await mustRun('ip', ['netns', 'add', name]);
    live.add(name);
    const ns = new Netns(name);
    try {
      await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      if (opts.mtu !== undefined) await mustRun('ip', ['-n', name, 'link', 'set', 'lo', 'mtu', String(opts.mtu)]);
      if ((opts.drop ?? []).length > 0) await ns.setDrop(opts.drop ?? []);
    } catch (e) {
      await ns.destroy();
      throw e;
    }
    return ns;
  }

  /** Replaces the drop rules (an empty list removes them all). */
  async setDrop(rules: readonly DropRule[]): Promise<void> {
    this.assertLive();
    await mustRun('ip', ['netns', 'exec', this.name, 'nft', '-f', '-'], nftRuleset(rules));
  }

  /** Packets the drop rules have dropped so far (nft counters), 0 without rules. */
  async droppedPackets(): Promise<number> {
    this.assertLive();
    const r = await runCommand('ip', ['netns', 'exec', this.name, 'nft', 'list', 'table', 'inet', NFT_TABLE], { timeoutMs: SETUP_TIMEOUT_MS });
    if (r.code !== 0) return 0;
    let total = 0;
    for (const m of r.stdout.matchAll(/counter packets (\d+)/g)) total += Number(m[1]);
    return total;
  }

  /** The loopback's MTU as the kernel reports it. */
  async loopbackMtu(): Promise<number> {
    this.assertLive();
    const r = await runCommand('ip', ['-n', this.name, '-o', 'link', 'show', 'lo'], { timeoutMs: SETUP_TIMEOUT_MS });
    const m = /\bmtu (\d+)/.exec(r.stdout);
    if (r.code !== 0 || m === null) throw new Error(`cannot read lo's MTU in ${this.name}: ${r.stderr.trim()}`);
    return Number(m[1]);
  }

  /** Runs a command inside the namespace to completion, killed after timeoutMs. */
  run(cmd: string, args: readonly string[], opts: { timeoutMs: number; input?: string }): Promise<CommandResult> {
    this.assertLive();
    return runCommand('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Starts a command inside the namespace; the caller owns (and must end) the process. */
  spawn(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertLive();
    return spawn('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Deletes the namespace (its processes lose their network); safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this.name);
    await runCommand('ip', ['netns', 'del', this.name], { timeoutMs: SETUP_TIMEOUT_MS });
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error(`network namespace ${this.name} was already destroyed`);
  }
}

/** Creates a namespace, runs fn in it, and destroys it whatever happens. */
export async function withNetns<T>(opts: NetnsOptions, fn: (ns: Netns) => Promise<T>): Promise<T> {
  const ns = await Netns.create(opts);
  try {
    return await fn(ns);
  } finally {
    await ns.destroy();
  }
}
