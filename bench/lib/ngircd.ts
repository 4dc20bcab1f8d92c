// ngircd, the C IRC server of Debian's `ngircd` package, as the fanout suite runs it: as shipped, in the
// foreground (`ngircd -n -f FILE`), from a config generated into a temp dir of its own with its flood
// protections off (no penalty time, no connection or join limits) so that it relays as fast as it
// can, and nothing slow on a new connection (no DNS, ident or PAM look-ups). It logs to stdout; we
// drain it, keep a tail for failure reports, and read the listening port from it. It cannot listen
// on port 0, so a free port is found first (and another one tried when that was taken meanwhile).
//
//   const why = ngircdUnavailable();          // undefined, or how to install it
//   const irc = await Ngircd.start({ host: '127.0.0.1', startTimeoutMs: 10_000 });
//   … irc.port, irc.pid (its CPU time: processCpuMs(irc.pid)) …
//   await irc.stop();
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The binary Debian's package installs (on PATH: /usr/sbin). */
export const NGIRCD_BIN = 'ngircd';
/** What to tell someone who does not have it. */
export const NGIRCD_INSTALL_HINT = 'install it with `apt-get install ngircd` (Debian/Ubuntu)';
/** Free ports tried: another process can take the one we found before ngircd binds it. */
const PORT_ATTEMPTS = 3;
/** How long ngircd gets to exit after SIGTERM before SIGKILL (it closes every connection first). */
const STOP_GRACE_MS = 3_000;
/** Log lines kept for a failure report. */
const KEPT_LOG_LINES = 30;
/** Seconds between PINGs to an idle client: longer than any run, so none is sent while we measure. */
export const NGIRCD_PING_TIMEOUT_S = 600;

/** `ngircd --version`: "ngIRCd 26.1", or why it does not run (with how to install it). */
export function ngircdVersion(): { version: string } | { unavailable: string } {
  const r = spawnSync(NGIRCD_BIN, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) return { unavailable: `ngircd is not installed (${r.error.message}): ${NGIRCD_INSTALL_HINT}` };
  const version = /^(ngIRCd [^\s-]+)/m.exec(r.stdout)?.[1];
  return version === undefined ? { unavailable: `\`${NGIRCD_BIN} --version\` did not name ngIRCd (exit ${String(r.status)}): ${NGIRCD_INSTALL_HINT}` } : { version };
}

/** Why ngircd cannot run here (not installed), or undefined when it can. */
export function ngircdUnavailable(): string | undefined {
  const v = ngircdVersion();
  return 'unavailable' in v ? v.unavailable : undefined;
}

export interface NgircdConfigOptions {
  host: string;
  port: number;
  /** Where ngircd may write its pid file (as root it runs as `nobody` and cannot: it warns and goes on). */
  pidFile: string;
}

/** The config file's text. */
export function ngircdConfig(o: NgircdConfigOptions): string {
  if (!Number.isSafeInteger(o.port) || o.port < 1 || o.port > 65_535) throw new RangeError(`ngircd needs a port from 1 to 65535 (got ${o.port})`);
  return [
    '[Global]',
    '\tName = bench.invalid',
    '\tInfo = dualchat fanout benchmark',
    '\tAdminInfo1 = dualchat benchmark',
    '\tAdminInfo2 = localhost',
    '\tAdminEMail = nobody@bench.invalid',
    `\tListen = ${o.host}`,
    `\tPorts = ${o.port}`,
    // A MOTD phrase instead of the package's MOTD file: nothing read from /etc.
    '\tMotdPhrase = fanout benchmark',
    `\tPidFile = ${o.pidFile}`,
    '[Limits]',
    // 0: no limit on connections, connections per address, or channels per user.
    '\tMaxConnections = 0',
    '\tMaxConnectionsIP = 0',
    '\tMaxJoins = 0',
    // 0: a client that sends faster than ngircd's flood rules is never made to wait.
    '\tMaxPenaltyTime = 0',
    `\tPingTimeout = ${NGIRCD_PING_TIMEOUT_S}`,
    '[Options]',
    '\tDNS = no',
    '\tIdent = no',
    '\tPAM = no',
    '',
  ].join('\n');
}

/** A port nobody listens on now (the kernel's pick for port 0, released at once). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (address !== null && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port from the kernel'))));
    });
  });
}

export interface NgircdStartOptions {
  host: string;
  /** Per attempt: from spawning to its "Now listening" line. */
  startTimeoutMs: number;
}

type Started = { ok: true } | { ok: false; portTaken: boolean; why: string };

export class Ngircd {
  private readonly recent: string[] = [];
  private partial = '';
  private readonly exited: Promise<void>;
  private exitedWith: string | undefined;
  /** Called with each log line while a start waits for the listening line. */
  private onLine: ((line: string) => void) | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onLog(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.onLog(chunk));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': its last log lines (why it stopped) have been read by then.
      child.once('close', (code, signal) => {
        this.exitedWith = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
        resolve();
      });
      child.once('error', (e) => {
        this.exitedWith = `error ${e.message}`;
        resolve();
      });
    });
  }

  /** Starts ngircd on a free port of `host`; resolves once it listens. */
  static async start(opts: NgircdStartOptions): Promise<Ngircd> {
    const failures: string[] = [];
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const port = await freePort(opts.host);
      const dir = mkdtempSync(join(tmpdir(), 'dualchat-bench-ngircd-'));
      const config = join(dir, 'ngircd.conf');
      writeFileSync(config, ngircdConfig({ host: opts.host, port, pidFile: join(dir, 'ngircd.pid') }));
      const child = spawn(NGIRCD_BIN, ['-n', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
      const irc = new Ngircd(child, port, dir);
      const started = await irc.listening(opts.host, opts.startTimeoutMs);
      if (started.ok) return irc;
      await irc.stop();
      failures.push(started.why);
      if (!started.portTaken) break;
    }
    throw new Error(`ngircd did not start: ${failures.join(' | ')}`);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('ngircd has no process id (it did not start)');
    return pid;
  }

  /** Whether the process has ended (a crash during a run shows here). */
  get ended(): boolean {
    return this.exitedWith !== undefined;
  }

  /** Ends ngircd (SIGTERM, SIGKILL after a grace period) and removes its temp dir. */
  async stop(): Promise<void> {
    if (!this.ended) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(killer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The last log lines, for a failure message. */
  tail(): string {
    return this.recent.slice(-10).join('\n');
  }

  /** Waits for "Now listening on [HOST]:PORT", or its exit, or the deadline. */
  private listening(host: string, timeoutMs: number): Promise<Started> {
    const wanted = `Now listening on [${host}]:${this.port}`;
    let portTaken = false;
    return new Promise((resolve) => {
      const done = (s: Started): void => {
        clearTimeout(timer);
        this.onLine = undefined;
        resolve(s);
      };
      const timer = setTimeout(() => done({ ok: false, portTaken: false, why: `no "${wanted}" within ${timeoutMs} ms; log: ${this.tail()}` }), timeoutMs);
      this.onLine = (line) => {
        if (line.includes(wanted)) done({ ok: true });
        else if (line.includes("Can't bind socket")) portTaken = true;
      };
      void this.exited.then(() => done({ ok: false, portTaken, why: `ngircd ended (${this.exitedWith ?? ''}) before listening on port ${this.port}; log: ${this.tail()}` }));
    });
  }

  private onLog(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) {
      this.onLine?.(l);
      this.recent.push(l);
      if (this.recent.length > KEPT_LOG_LINES) this.recent.shift();
    }
  }
}
