// The server under load, as an operator runs it: `dualchat server` in a child process with its log
// (JSON lines on stderr, at the level asked) drained by us. Its ports come from the "listening" line;
// its memory and CPU from /proc (Linux), which needs nothing from the server itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from '../lib/process-cpu.ts';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
/** Log lines kept for a failure report. */
const KEPT_LOG_LINES = 50;
/** Log messages whose time is recorded (the shutdown's steps). */
const TIMELINE_MESSAGES = ['listening', 'signal received, shutting down', 'shutting down', 'stopped'];

export interface ServerUsage {
  rssBytes: number;
  /** User + system CPU time since the process started, ms. */
  cpuMs: number;
}

export interface ServerProcessOptions {
  filesDir: string;
  logLevel: string;
  /** Extra `dualchat server` flags. */
  args?: string[];
  /** Extra flags for node itself, before the script (e.g. `--cpu-prof --cpu-prof-dir=DIR`). */
  nodeArgs?: string[];
  /** The `dualchat` bin to run (default this tree's; another checkout's to compare code side by side). */
  bin?: string;
  startTimeoutMs: number;
}

export class ServerProcess {
  tcpPort = 0;
  udpPort = 0;
  logLines = 0;
  logBytes = 0;
  /** Log `time` (ms since the epoch) of the first line with each of TIMELINE_MESSAGES. */
  readonly timeline = new Map<string, number>();
  private readonly recent: string[] = [];
  private partial = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  /** performance.now() when the process was spawned (to place a --cpu-prof profile's samples in our phases). */
  readonly spawnedAt = performance.now();

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const args = [...(options.nodeArgs ?? []), options.bin ?? BIN, 'server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', '--files', options.filesDir, '--log-level', options.logLevel, ...(options.args ?? [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const server = new ServerProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server: no "listening" line within ${options.startTimeoutMs} ms; log: ${server.tail()}`)), options.startTimeoutMs);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        server.logBytes += Buffer.byteLength(chunk);
        const parts = (server.partial + chunk).split('\n');
        server.partial = parts.pop() ?? '';
        for (const line of parts) {
          server.logLines++;
          server.recent.push(line);
          if (server.recent.length > KEPT_LOG_LINES) server.recent.shift();
          server.noteTimeline(line);
          if (server.tcpPort === 0 && line.includes('"msg":"listening"')) {
            const record = JSON.parse(line) as { tcp: number; udp: number };
            server.tcpPort = record.tcp;
            server.udpPort = record.udp;
            clearTimeout(timer);
            resolve();
          }
        }
      });
      void server.exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}) before listening; log: ${server.tail()}`));
      });
    });
    return server;
  }

  private noteTimeline(line: string): void {
    for (const msg of TIMELINE_MESSAGES) {
      if (this.timeline.has(msg) || !line.includes(`"msg":"${msg}"`)) continue;
      const time = (JSON.parse(line) as { time?: unknown }).time;
      if (typeof time === 'number') this.timeline.set(msg, time);
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** RSS and CPU time now, from /proc. */
  usage(): ServerUsage {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
    return { rssBytes: rssKb * 1024, cpuMs: processCpuMs(this.pid) };
  }

  /**
   * Datagrams the kernel dropped because the server's UDP socket's receive buffer was full (the
   * `drops` column of /proc/net/udp for its port): the server did not read fast enough.
   */
  udpDrops(): number | undefined {
    const port = this.udpPort.toString(16).toUpperCase().padStart(4, '0');
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${port}`)) return Number(cols[cols.length - 1]);
    }
    return undefined;
  }

  /** The last log lines, for a failure message. */
  tail(): string {
    return this.recent.slice(-10).join('\n');
  }

  /** Log lines at warn or worse seen so far (from the kept tail only). */
  recentProblems(): string[] {
    return this.recent.filter((l) => /"level":(40|50|60)/.test(l));
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL if still running (cleanup after a failed run). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
