// The interactive client in a real pseudo-terminal (util-linux `script` allocates it): name prompt,
// prompt redraw with the half-typed input intact while a message arrives, Ctrl-C leaving cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_DEADLINE_MS, signedInClient, startTestServer, type TestServer } from './client-helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});

/** Runs the client under `script`, so its stdin and stdout are a terminal (`args`: more client flags). */
function ptyClient(port: number, args: string[] = []): {
  write(keys: string): void;
  text(): string;
  /** Terminal bells (BEL) written so far. */
  bells(): number;
  waitText(predicate: (text: string) => boolean, what: string): Promise<string>;
  exited: Promise<number | null>;
  kill(): void;
} {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, 'client', '--tcp', String(port), ...args].map(quote).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let out = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    for (const l of [...listeners]) l();
  });
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const text = (): string => stripVTControlCharacters(out).replace(/\r/g, '');
  return {
    write: (keys) => child.stdin.write(keys),
    text,
    bells: () => out.split('\x07').length - 1,
    waitText: (predicate, what) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (!predicate(text())) return false;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(text());
          return true;
        };
        const listener = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no ${what} within ${EVENT_DEADLINE_MS} ms; screen so far:\n${text()}`));
        }, EVENT_DEADLINE_MS);
        if (!check()) listeners.add(listener);
      }),
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

describe.skipIf(!hasScript)('dualchat client in a terminal', () => {
  it('asks for a name, redraws the prompt with the half-typed input around incoming messages, clears a line on Ctrl-C, exits 0 on a second Ctrl-C', async () => {
    const port = ts.server.tcpPort;
    const pty = ptyClient(port);
    try {
      await pty.waitText((t) => t.includes('name: '), 'name prompt');
      pty.write('bad name!\r');
      await pty.waitText((t) => t.includes('Try another name'), 'second name prompt');
      pty.write('pam\r');
      await pty.waitText((t) => t.includes('pam@lobby> '), 'the pam@lobby prompt');

      pty.write('half typ');
      await pty.waitText((t) => t.endsWith('pam@lobby> half typ'), 'the typed text echoed');
      const quin = await signedInClient(port, 'quin');
      try {
        quin.send('hello pam');
        const screen = await pty.waitText(
          (t) => /quin: hello pam\n(?:.*\n)*pam@lobby> half typ$/.test(t),
          'the message printed above the redrawn prompt and input',
        );
        expect(screen).toMatch(/\[\d\d:\d\d:\d\d\] quin: hello pam/);

        pty.write('ed\r');
        const got = await quin.waitFor((e) => e.type === 'message' && e.from === 'pam', 'pam message at quin');
        expect(got.text).toBe('half typed');

        // Ctrl-C with text clears the line (nothing is sent); on an empty line it asks, and a second leaves.
        pty.write('not sent');
        await pty.waitText((t) => t.endsWith('pam@lobby> not sent'), 'the typed text');
        pty.write('\u0003');
        await pty.waitText((t) => t.endsWith('pam@lobby> '), 'the line cleared');
        pty.write('\u0003');
        await pty.waitText((t) => t.includes('press Ctrl-C again to leave'), 'the question');
        pty.write('\u0003');
        expect(await pty.exited).toBe(0);
        expect(quin.events.some((e) => e.type === 'message' && e.text === 'not sent')).toBe(false);
        expect(pty.text()).toMatch(/Disconnected/);
        await quin.waitFor((e) => e.type === 'left' && e.name === 'pam' && e.reason === 'disconnect', 'pam leaving');
      } finally {
        quin.kill();
        await quin.exited;
      }
    } finally {
      pty.kill();
    }
  });

  it('IRC habits on screen: /me, the /query partner in the prompt, the bell on a private message or a mention (not with --no-bell)', async () => {
    const port = ts.server.tcpPort;
    const pty = ptyClient(port, ['--name', 'uma']);
    const quiet = ptyClient(port, ['--name', 'vic', '--no-bell']);
    const wes = await signedInClient(port, 'wes');
    try {
      await pty.waitText((t) => t.includes('uma@lobby> '), 'the uma@lobby prompt');
      await quiet.waitText((t) => t.includes('vic@lobby> '), 'the vic@lobby prompt');
      pty.write('/me stretches\r');
      await pty.waitText((t) => /\] \* uma stretches/.test(t), 'the action line');
      expect(pty.bells()).toBe(0);

      wes.send('/msg uma psst');
      await pty.waitText((t) => t.includes('wes → you: psst'), 'the private message');
      expect(pty.bells()).toBe(1);
      wes.send('hey uma and vic, look');
      await pty.waitText((t) => t.includes('wes: hey uma and vic, look'), 'the mention at uma');
      await quiet.waitText((t) => t.includes('wes: hey uma and vic, look'), 'the mention at vic');
      expect(pty.bells()).toBe(2);
      wes.send('nothing for anyone');
      await pty.waitText((t) => t.includes('wes: nothing for anyone'), 'a plain line');
      expect(pty.bells()).toBe(2);
      wes.send('/msg vic psst');
      await quiet.waitText((t) => t.includes('wes → you: psst'), 'the private message at vic');
      expect(quiet.bells()).toBe(0);

      pty.write('/query wes\r');
      await pty.waitText((t) => t.endsWith('uma@lobby→wes> '), 'the query partner in the prompt');
      pty.write('just us\r');
      await wes.waitFor((e) => e.type === 'private' && e.from === 'uma' && e.text === 'just us', 'the query line at wes');
    } finally {
      pty.kill();
      quiet.kill();
      wes.kill();
      await wes.exited;
    }
  });

  it('a server shutting down reads as one notice and a clean exit: no move to TCP, no broken pipe', async () => {
    const own = await startTestServer();
    const pty = ptyClient(own.server.tcpPort);
    try {
      await pty.waitText((t) => t.includes('name: '), 'name prompt');
      pty.write('sid\r');
      await pty.waitText((t) => t.includes('chat now travels over UDP'), 'the UDP binding');
      await own.server.close();
      expect(await pty.exited).toBe(0);
      const screen = pty.text();
      expect(screen).toMatch(/\* server shutting down/);
      expect(screen, screen).not.toMatch(/chat moves to TCP|connection lost|broken pipe|closed the connection/);
    } finally {
      pty.kill();
      await own.stop();
    }
  });
});
