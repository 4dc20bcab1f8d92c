// download: goodput of a 20 MiB and a 200 MiB `/download` end to end — from the transfer's announcement until the
// client has the file on disk, verified and renamed — over dualchat's UDP bulk channel, against a plain
// TCP transfer of the same file (a tiny Node server that pipes the file into the socket, a client that
// pipes the socket into a file), at 0, 1, 5 and 10 % kernel packet loss; and, at 0 %, Node's raw
// datagram blast (no reliability, no flow control: the ceiling a UDP transport can reach here).
//
// Each loss rate has its own network namespace (bench/lib/netns.ts): loopback with a 1500-byte MTU,
// nftables dropping that share of the UDP and TCP packets to and from the ports used, on the input
// hook. A dualchat server, the TCP file server and the blast receiver run in each namespace for the
// whole suite; every sample starts a fresh client (a fresh engine or TCP connection: slow start
// included). Contenders alternate round after round; figures are medians. The default run: 3 rounds
// of 20 MiB, then 1 round of 200 MiB (~1.5 min of transfers: the time that fits the plan of
// bench/lib/plan.ts); `--full`: every size for every round.
//
// The helper processes are this file itself, started with DUALCHAT_DOWNLOAD_ROLE set (see the end of
// the file): the suite stays one file.
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { metric } from '../lib/alternate.ts';
import { Netns, netnsUnavailable } from '../lib/netns.ts';
import { formatRatio, formatSi, median, ratio, summarise, formatWithSpread } from '../lib/stats.ts';
import { defineSuite, type SuiteResult, type Verdict } from '../lib/suite.ts';
import type { ResultTable } from '../lib/table.ts';

/** Loss rates of the issue, in %, on every packet to or from the ports used. */
const LOSSES = [0, 1, 5, 10] as const;
type Loss = (typeof LOSSES)[number];

/** A file size the suite measures, and how many rounds it gets. */
interface Size {
  label: string;
  bytes: number;
  /** The plain TCP server of this size's file listens here (one per size: no request line to lose). */
  tcpPort: number;
  /** Rounds at the default scale: 'all' = the suite's rounds; a number = at most that many. */
  defaultRounds: 'all' | number;
}

/** The issue's two sizes; 200 MiB gets one round by default (a round of it takes ~80 s here). */
const SIZES: readonly Size[] = [
  { label: '20 MiB', bytes: 20 * 1024 * 1024, tcpPort: 7302, defaultRounds: 'all' },
  { label: '200 MiB', bytes: 200 * 1024 * 1024, tcpPort: 7304, defaultRounds: 1 },
];
/** `--quick`: one small file. */
const QUICK_SIZES: readonly Size[] = [{ label: '5 MiB', bytes: 5 * 1024 * 1024, tcpPort: 7302, defaultRounds: 'all' }];

const HOST = '127.0.0.1';
const CHAT_TCP_PORT = 7300;
const CHAT_UDP_PORT = 7301;
const BLAST_PORT = 7303;
const PORTS = [CHAT_TCP_PORT, CHAT_UDP_PORT, BLAST_PORT, ...new Set([...SIZES, ...QUICK_SIZES].map((s) => s.tcpPort))];
/** Ethernet-sized packets on the namespaces' loopback. */
const MTU = 1500;
/** Payload of a blast datagram: what fits a 1500-byte MTU after IP and UDP headers. */
const BLAST_DATAGRAM_BYTES = 1472;
/** The blast receiver reports once nothing arrived for this long (the blast is over). */
const BLAST_IDLE_MS = 300;
/** One transfer must finish within this, or the sample is recorded as failed. */
const TRANSFER_TIMEOUT_MS = 180_000;
/** Starting a server or a client (the machine may be loaded). */
const START_TIMEOUT_MS = 60_000;

/** Goals of the issue. */
const GOAL_CEILING_RATIO = 0.7;
const GOAL_MBPS: Partial<Record<Loss, number>> = { 5: 20, 10: 10 };

const ROLE_ENV = 'DUALCHAT_DOWNLOAD_ROLE';
const SELF = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

type Contender = 'tcp' | 'dualchat' | 'blast';

/** The file a size is served from (the dualchat server's files directory and the TCP server's). */
function fileName(size: Size): string {
  return `big-${size.bytes}.bin`;
}

/** One sample: goodput in MB/s (10^6 bytes per second) per loss rate (undefined: failed). */
type Sample = Partial<Record<Loss, number>>;

// ---- child processes ----------------------------------------------------------------------------

/** A child speaking JSON lines on stdout; every wait has a deadline. */
class Child {
  private readonly lines: Array<Record<string, unknown>> = [];
  private readonly listeners = new Set<() => void>();
  private partial = '';
  private stderr = '';
  private exit: string | undefined;

  constructor(
    readonly what: string,
    readonly process: ChildProcess,
  ) {
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not JSON (a log line): ignored.
        }
      }
      this.notify();
    });
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4_000);
      this.notify();
    });
    process.stdin?.on('error', () => undefined);
    process.once('exit', (code, signal) => {
      this.exit = signal ?? String(code);
      this.notify();
    });
  }

  /** The first line (from the start) that `match` accepts; or the first stderr text matching `stderr`. */
  waitFor(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs: number, stderr?: RegExp): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.lines.find(match);
        if (found !== undefined || (stderr !== undefined && stderr.test(this.stderr))) {
          done();
          resolve(found ?? {});
          return true;
        }
        if (this.exit !== undefined) {
          done();
          reject(new Error(`${this.what} exited (${this.exit}) before ${what}: ${this.stderr.trim()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.what}: no ${what} within ${timeoutMs} ms: ${this.stderr.trim()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => {
        check();
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  /** Ends the process by its id: stdin closed, SIGTERM, SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (this.exit !== undefined) return;
    const exited = once(this.process, 'exit');
    this.process.stdin?.end();
    this.process.kill('SIGTERM');
    const killer = setTimeout(() => this.process.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(killer);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** One loss rate's namespace and its long-running servers. */
interface Site {
  loss: Loss;
  ns: Netns;
  servers: Child[];
}

function helper(ns: Netns, role: string, args: readonly string[]): Child {
  const child = ns.spawn(process.execPath, ['--import', TSX_LOADER, SELF, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, [ROLE_ENV]: role },
  });
  return new Child(`${role} (${ns.name})`, child);
}

async function openSite(loss: Loss, filesDir: string, sizes: readonly Size[]): Promise<Site> {
  const ns = await Netns.create({ mtu: MTU, drop: [{ protocol: 'udp', ports: PORTS, percent: loss }, { protocol: 'tcp', ports: PORTS, percent: loss }] });
  const servers: Child[] = [];
  try {
    const chat = new Child(
      `dualchat server (${ns.name})`,
      ns.spawn(process.execPath, [BIN, 'server', '--host', HOST, '--tcp', String(CHAT_TCP_PORT), '--udp', String(CHAT_UDP_PORT), '--files', filesDir, '--log-level', 'info'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    servers.push(chat);
    await chat.waitFor(() => false, 'listening', START_TIMEOUT_MS, /"msg":"listening"/);
    for (const size of sizes) {
      const tcp = helper(ns, 'tcp-server', [String(size.tcpPort), join(filesDir, fileName(size))]);
      servers.push(tcp);
      await tcp.waitFor((l) => l.type === 'ready', `the TCP file server of ${size.label}`, START_TIMEOUT_MS);
    }
    return { loss, ns, servers };
  } catch (error) {
    for (const s of servers) await s.stop();
    await ns.destroy();
    throw error;
  }
}

async function closeSite(site: Site): Promise<void> {
  for (const s of site.servers) await s.stop();
  await site.ns.destroy();
}

/** A dualchat client downloads the file: MB/s from the `download` event to `saved`. */
async function dualchatDownload(site: Site, round: number, size: Size): Promise<number | undefined> {
  const name = fileName(size);
  const downloads = mkdtempSync(join(tmpdir(), 'dualchat-bench-dl-'));
  const client = new Child(
    `dualchat client (${site.ns.name})`,
    site.ns.spawn(process.execPath, [BIN, 'client', '--host', HOST, '--tcp', String(CHAT_TCP_PORT), '--name', `dl${round + 2}x${site.loss}s${size.bytes % 1000}`, '--json', '--downloads', downloads, '--received', downloads], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  try {
    await client.waitFor((e) => e.type === 'transport' && e.transport === 'udp', 'the UDP binding', START_TIMEOUT_MS);
    client.send(`/download ${name}`);
    await client.waitFor((e) => e.type === 'download', 'the download announced', START_TIMEOUT_MS);
    const start = performance.now();
    const end = await client.waitFor((e) => (e.type === 'saved' || e.type === 'transfer-error') && e.name === name, 'the download saved', TRANSFER_TIMEOUT_MS);
    if (end.type !== 'saved' || end.size !== size.bytes) return undefined;
    return size.bytes / 1e6 / ((performance.now() - start) / 1000);
  } catch {
    return undefined;
  } finally {
    await client.stop();
    rmSync(downloads, { recursive: true, force: true });
  }
}

/** The plain TCP client fetches the file: MB/s from connecting to the file closed on disk. */
async function tcpDownload(site: Site, size: Size): Promise<number | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'dualchat-bench-tcp-'));
  const client = helper(site.ns, 'tcp-client', [String(size.tcpPort), join(dir, fileName(size))]);
  try {
    const done = await client.waitFor((l) => l.type === 'done', 'the TCP download', TRANSFER_TIMEOUT_MS + START_TIMEOUT_MS);
    if (done.bytes !== size.bytes || typeof done.ms !== 'number') return undefined;
    return size.bytes / 1e6 / (done.ms / 1000);
  } catch {
    return undefined;
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Node's raw datagram blast at 0 % loss: MB/s the receiver got, first to last datagram. */
async function blast(site: Site, bytes: number): Promise<number | undefined> {
  const receiver = helper(site.ns, 'blast-receiver', [String(BLAST_PORT)]);
  let sender: Child | undefined;
  try {
    await receiver.waitFor((l) => l.type === 'ready', 'the blast receiver', START_TIMEOUT_MS);
    sender = helper(site.ns, 'blast-sender', [String(BLAST_PORT), String(bytes)]);
    const report = await receiver.waitFor((l) => l.type === 'done', 'the blast', TRANSFER_TIMEOUT_MS + START_TIMEOUT_MS);
    if (typeof report.bytes !== 'number' || typeof report.ms !== 'number' || report.ms <= 0) return undefined;
    return report.bytes / 1e6 / (report.ms / 1000);
  } catch {
    return undefined;
  } finally {
    await sender?.stop();
    await receiver.stop();
  }
}

// ---- the suite ----------------------------------------------------------------------------------

export default defineSuite({
  name: 'download',
  title: 'Download goodput, dualchat UDP vs plain TCP, under kernel loss',
  description:
    '20 MiB and 200 MiB `/download` end to end (announced → verified on disk) over the UDP bulk channel vs a plain TCP transfer, 0/1/5/10 % nftables loss, and the raw datagram ceiling. Goals: ≥ 0.7× the raw ceiling at 0 %, ≥ 20 MB/s at 5 %.',
  defaultRuns: 3,
  fullRuns: 3,
  /** 3 rounds of 20 MiB (~50 s) and 1 of 200 MiB (~80 s: TCP at 10 % loss is the slow part). */
  budgetMs: 150_000,
  /** 3 rounds of both sizes. */
  fullBudgetMs: 360_000,
  unavailable: () => netnsUnavailable({ needNft: true }),
  async run(ctx) {
    const sizes = ctx.quick ? QUICK_SIZES : SIZES;
    const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-files-'));
    for (const size of sizes) writeFileSync(join(filesDir, fileName(size)), randomBytes(size.bytes));
    const sites: Site[] = [];
    try {
      for (const loss of LOSSES) sites.push(await openSite(loss, filesDir, sizes));
      const atZero = sites[0] as Site;
      const each = async (measure: (site: Site) => Promise<number | undefined>): Promise<Sample> => {
        const sample: Sample = {};
        for (const site of sites) {
          const v = await measure(site);
          if (v !== undefined) sample[site.loss] = v;
        }
        return sample;
      };
      const measured: Measured[] = [];
      for (const size of sizes) {
        const rounds = ctx.full || size.defaultRounds === 'all' ? ctx.runs : Math.min(ctx.runs, size.defaultRounds);
        ctx.log(`${size.label}: ${rounds} round${rounds === 1 ? '' : 's'}`);
        const r = await ctx.alternate<Sample>(
          [
            { name: 'tcp', run: () => each((site) => tcpDownload(site, size)) },
            { name: 'dualchat', run: (round) => each((site) => dualchatDownload(site, round, size)) },
            { name: 'blast', run: async () => ({ 0: await blast(atZero, size.bytes) }) },
          ],
          {
            rounds,
            onSample: (name, round, s) =>
              ctx.log(
                `${size.label} ${name} round ${round + 1}: ${(name === 'blast' ? [0] : LOSSES).map((l) => `${l}%=${s[l as Loss] === undefined ? 'failed' : `${s[l as Loss]?.toFixed(1)} MB/s`}`).join(' ')}`,
              ),
          },
        );
        measured.push({ size, rounds: r.rounds, cutShort: r.cutShort, samples: r.samples as Record<Contender, Sample[]> });
      }
      const drops: Record<string, number> = {};
      for (const site of sites) drops[`${site.loss}%`] = await site.ns.droppedPackets();
      return report(measured, drops, ctx.machine.cores, ctx.quick);
    } finally {
      for (const site of sites) await closeSite(site);
      rmSync(filesDir, { recursive: true, force: true });
    }
  },
});

/** One size's samples. */
interface Measured {
  size: Size;
  rounds: number;
  cutShort: boolean;
  samples: Record<Contender, Sample[]>;
}

const mbps = (v: number | undefined): string => (v === undefined ? '–' : `${formatSi(v)} MB/s`);

function report(measured: readonly Measured[], drops: Record<string, number>, cpus: number, quick: boolean): SuiteResult {
  const tables: ResultTable[] = [];
  const verdicts: Verdict[] = [];
  for (const m of measured) {
    const at = (c: Contender, loss: Loss): number[] => metric(m.samples[c] ?? [], (s) => s[loss] ?? Number.NaN).filter((v) => Number.isFinite(v));
    const failed = (c: Contender, loss: Loss): number => (m.samples[c] ?? []).filter((s) => s[loss] === undefined).length;
    const ceiling = median(at('blast', 0));
    const rows: string[][] = [];
    const goals: string[] = [];
    for (const loss of LOSSES) {
      const tcp = summarise(at('tcp', loss));
      const udp = summarise(at('dualchat', loss));
      const cell = (s: ReturnType<typeof summarise>, c: Contender): string => {
        const f = failed(c, loss);
        return `${formatWithSpread(s, mbps)}${f > 0 ? ` (${f} failed)` : ''}`;
      };
      rows.push([
        `${loss}%`,
        cell(tcp, 'tcp'),
        cell(udp, 'dualchat'),
        formatRatio(ratio(udp.median, tcp.median)),
        loss === 0 ? mbps(ceiling) : '',
        loss === 0 ? formatRatio(ratio(udp.median, ceiling)) : '',
      ]);
      const goal = GOAL_MBPS[loss];
      if (goal !== undefined) {
        const met = udp.median === undefined ? undefined : udp.median >= goal;
        goals.push(`≥ ${goal} MB/s at ${loss} %: ${met === true ? 'MET' : 'NOT MET'} (${mbps(udp.median)}, ${formatRatio(ratio(udp.median, goal))} of the goal)`);
        verdicts.push({ goal: `≥ ${goal} MB/s at ${loss}% (${m.size.label})`, met, measured: `${mbps(udp.median)}, ${formatRatio(ratio(udp.median, goal))}` });
      }
      if (loss === 0) {
        const r = ratio(udp.median, ceiling);
        goals.unshift(`≥ ${GOAL_CEILING_RATIO}× the raw datagram ceiling at 0 %: ${r !== undefined && r >= GOAL_CEILING_RATIO ? 'MET' : 'NOT MET'} (${formatRatio(r)})`);
        verdicts.push({
          goal: `≥ ${GOAL_CEILING_RATIO}× the raw datagram ceiling at 0% (${m.size.label})`,
          met: r === undefined ? undefined : r >= GOAL_CEILING_RATIO,
          measured: `${mbps(udp.median)} of ${mbps(ceiling)}, ${formatRatio(r)}`,
        });
      }
    }
    tables.push({
      title: `Download goodput, ${m.size.label} (median of ${m.rounds} round${m.rounds === 1 ? '' : 's'})`,
      columns: [{ label: 'loss' }, { label: 'plain TCP' }, { label: 'dualchat UDP' }, { label: 'UDP/TCP' }, { label: 'raw UDP blast' }, { label: 'UDP/raw' }],
      rows,
      notes: [
        `${formatSi(m.size.bytes / 1e6)} MB file (${m.size.bytes} bytes), ${m.rounds} round${m.rounds === 1 ? '' : 's'}${m.cutShort ? ' (cut short by the time budget)' : ''}, medians (± half the min–max spread); MB = 10^6 bytes; ${cpus} CPUs.`,
        ...goals.map((g) => `Goal ${g}.`),
      ],
    });
  }
  const notes = [
    'dualchat: from the `download` event (part file open, `<accept>` sent) to `saved` (written, CRC-32 verified, renamed).',
    'TCP: a plain Node client piping the socket into a file, from connect to the file closed; the server pipes the file in.',
    'Raw blast: Node dgram, 1472-byte datagrams as fast as the sender can queue them, no reliability; receiver goodput.',
    `nftables drops per namespace over the suite: ${Object.entries(drops).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    ...(quick ? [`--quick: ${measured.map((m) => m.size.label).join(', ')} only (the default: ${SIZES.map((s) => s.label).join(' and ')}).`] : []),
  ];
  return {
    tables,
    notes,
    verdicts,
    data: { sizes: measured.map((m) => ({ label: m.size.label, bytes: m.size.bytes, rounds: m.rounds, cutShort: m.cutShort, samples: m.samples })), drops },
  };
}

// ---- helper roles (this file run as a child process) ----------------------------------------------

/** `tcp-server PORT FILE`: every connection gets the file, then FIN. */
async function tcpServer(port: number, file: string): Promise<void> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    createReadStream(file).pipe(socket);
  });
  server.listen(port, HOST, () => process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`));
  await once(process.stdin.resume(), 'end');
  server.close();
}

/** `tcp-client PORT OUT`: reads the whole stream into OUT; reports bytes and ms from connect to closed file. */
async function tcpClient(port: number, out: string): Promise<void> {
  const start = performance.now();
  const socket = net.connect({ host: HOST, port });
  const sink = createWriteStream(out);
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  socket.pipe(sink);
  await once(sink, 'close');
  process.stdout.write(`${JSON.stringify({ type: 'done', bytes, ms: performance.now() - start })}\n`);
}

/** `blast-receiver PORT`: counts datagrams; reports once BLAST_IDLE_MS passed without one. */
async function blastReceiver(port: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  let bytes = 0;
  let first = 0;
  let last = 0;
  let idle: NodeJS.Timeout | undefined;
  const finished = new Promise<void>((resolve) => {
    socket.on('message', (msg) => {
      const now = performance.now();
      if (bytes === 0) first = now;
      last = now;
      bytes += msg.length;
      if (idle !== undefined) clearTimeout(idle);
      idle = setTimeout(resolve, BLAST_IDLE_MS);
    });
  });
  await new Promise<void>((resolve) => socket.bind(port, HOST, resolve));
  process.stdout.write(`${JSON.stringify({ type: 'ready' })}\n`);
  await finished;
  process.stdout.write(`${JSON.stringify({ type: 'done', bytes, ms: last - first })}\n`);
  socket.close();
}

/** `blast-sender PORT BYTES`: BYTES in BLAST_DATAGRAM_BYTES datagrams, 64 in flight in Node at a time. */
async function blastSender(port: number, total: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  const payload = randomBytes(BLAST_DATAGRAM_BYTES);
  const count = Math.ceil(total / BLAST_DATAGRAM_BYTES);
  for (let i = 0; i < count; i += 64) {
    const batch: Array<Promise<void>> = [];
    for (let j = i; j < Math.min(count, i + 64); j++) {
      const size = Math.min(BLAST_DATAGRAM_BYTES, total - j * BLAST_DATAGRAM_BYTES);
      batch.push(new Promise((resolve) => socket.send(payload.subarray(0, size), port, HOST, () => resolve())));
    }
    await Promise.all(batch);
  }
  socket.close();
  await once(process.stdin.resume(), 'end');
}

async function runRole(role: string, args: readonly string[]): Promise<void> {
  const [a = '', b = ''] = args;
  switch (role) {
    case 'tcp-server':
      return tcpServer(Number(a), b);
    case 'tcp-client':
      return tcpClient(Number(a), b);
    case 'blast-receiver':
      return blastReceiver(Number(a));
    case 'blast-sender':
      return blastSender(Number(a), Number(b));
    default:
      throw new Error(`unknown ${ROLE_ENV} ${role}`);
  }
}

const role = process.env[ROLE_ENV];
if (role !== undefined) {
  runRole(role, process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
