// `dualchat server` as a user runs it: the log (JSON lines, the listening line first) on stderr and
// nothing on stdout, a clean stop on SIGINT, and one clear line (no stack trace) when it cannot start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedClient } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'dualchat.js');

interface Run {
  child: ChildProcess;
  /** Complete stderr lines (the log). */
  logLines: string[];
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the first stderr line satisfying `match`. */
  line(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
}

function run(args: string[]): Run {
  // In the test's own directory: the default store (./dualchat.db) goes there, not into the repository.
  const child = spawn(process.execPath, [BIN, ...args], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const logLines: string[] = [];
  let partial = '';
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    logLines.push(...parts);
    for (const l of [...listeners]) l();
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logLines,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    line: (match, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = logLines.find(match);
          if (found === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching stderr line within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

let filesDir: string;
/** The servers' working directory (their default ./dualchat.db lands here). */
let workDir: string;

beforeAll(async () => {
  filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-cli-'));
  workDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-cli-cwd-'));
});

afterAll(async () => {
  await rm(filesDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

describe('dualchat server', () => {
  it('logs the listening line on stderr, serves, and stops cleanly on SIGINT', async () => {
    const server = run(['server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', '--files', filesDir]);
    try {
      const line = await server.line((l) => l.includes('"msg":"listening"'), 15_000);
      const record = JSON.parse(line) as { tcp: number; udp: number; level: number };
      expect(record.tcp).toBeGreaterThan(0);
      expect(record.udp).toBeGreaterThan(0);

      const client = await connectedClient(record.tcp, 'cli');
      server.child.kill('SIGINT');
      await client.expectReply((r) => r.kind === 'system' && r.text === 'server shutting down', 'shutdown notice');
      await client.waitClosed();
      expect(await withDeadline(server.exited, 10_000, 'exit after SIGINT')).toBe(0);
      expect(server.stdout()).toBe('');
      // stderr is the log and nothing else: JSON lines, the last one saying it stopped.
      const records = server.stderr().trimEnd().split('\n').map((l) => JSON.parse(l) as { msg: string; time: number });
      expect(records.map((r) => r.msg)).toContain('signal received, shutting down');
      expect(records.at(-1)?.msg).toBe('stopped');
      for (const r of records) expect(typeof r.time).toBe('number');
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('exits 1 with one line when the port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const server = run(['server', '--host', '127.0.0.1', '--tcp', String(port), '--udp', '0', '--files', filesDir]);
      expect(await withDeadline(server.exited, 15_000, 'exit on EADDRINUSE')).toBe(1);
      expect(server.stderr()).toBe(
        `dualchat server: cannot listen on TCP 127.0.0.1:${port}: the port is already in use (is another server running?) [EADDRINUSE]\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it('--irc 0 opens the IRC door on a free port, named on the listening line; a taken one is one line', async () => {
    const server = run(['server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', '--irc', '0', '--files', filesDir]);
    try {
      const record = JSON.parse(await server.line((l) => l.includes('"msg":"listening"'), 15_000)) as { tcp: number; irc: number };
      expect(record.irc).toBeGreaterThan(0);
      expect(record.irc).not.toBe(record.tcp);
      const socket = net.connect({ host: '127.0.0.1', port: record.irc });
      let got = '';
      const pong = new Promise<void>((resolve) =>
        socket.setEncoding('utf8').on('data', (d: string) => {
          got += d;
          if (got.includes('PONG')) resolve();
        }),
      );
      socket.write('PING :cli\r\n');
      await withDeadline(pong, 10_000, 'PONG from the IRC door');
      expect(got).toBe(':dualchat PONG dualchat :cli\r\n');
      socket.destroy();
    } finally {
      server.child.kill('SIGKILL');
    }
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const taken = run(['server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', '--irc', String(port), '--files', filesDir]);
      expect(await withDeadline(taken.exited, 15_000, 'exit on EADDRINUSE')).toBe(1);
      expect(taken.stderr()).toBe(`dualchat server: cannot listen on IRC 127.0.0.1:${port}: the port is already in use (is another server running?) [EADDRINUSE]\n`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a port out of range with a clear message', async () => {
    const server = run(['server', '--tcp', '65536']);
    expect(await withDeadline(server.exited, 15_000, 'exit on a bad port')).not.toBe(0);
    expect(server.stderr()).toContain(`option '--tcp <port>' argument '65536' is invalid. a port is a whole number from 0 to 65535 (0: any free port), got "65536".`);
    expect(server.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a bad size for the upload quota and the disk budget with a clear message', async () => {
    for (const [flag, value] of [
      ['--upload-bytes-per-hour', 'lots'],
      ['--max-shared-bytes', '-1gib'],
    ] as const) {
      const server = run(['server', flag, value, '--db', ':memory:']);
      expect(await withDeadline(server.exited, 15_000, `exit on a bad ${flag}`)).not.toBe(0);
      expect(server.stderr()).toContain(`option '${flag} <size>' argument '${value}' is invalid. ${flag}`);
      expect(server.stderr()).not.toMatch(/\n\s+at /);
    }
  });
});
