// Bad input on the IRC door over real sockets: a 513-byte line, NUL and CR inside a line, unknown
// commands, commands before registration, a flood, and 10,000 fuzzed lines — each answered with a clear
// numeric (or an ERROR and a close, for the flood), and the server up and serving afterwards.
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIrc } from '../../src/doors/irc/message.ts';
import { anyChar } from '../commands/arbitraries.ts';
import { connectedClient, rawClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';
import { ircClient, ircConnections, type IrcTestClient } from './irc-helpers.ts';

let ts: TestServer;
let ircPort: number;
const connections = ircConnections(() => ircPort);

beforeAll(async () => {
  ts = await startTestServer({ ircPort: 0 });
  ircPort = ts.server.ircPort!;
});
afterAll(async () => {
  connections.closeAll();
  await ts.close();
});

const user = (nick: string): Promise<IrcTestClient> => connections.irc(nick);
/** A raw socket to the IRC port (the lines it gets, as RawClient records them). */
const rawIrc = (): Promise<RawClient> => connections.raw();

describe('IRC door, bad input', () => {
  it('a 513-byte line gets 417 and is skipped; the connection goes on', async () => {
    const a = await user('long1');
    const line = `PRIVMSG #lobby :${'x'.repeat(511 - 16)}`;
    expect(Buffer.byteLength(`${line}\r\n`)).toBe(513);
    a.send(line);
    await a.waitLine(/ 417 long1 :Input line was too long/, '417');
    a.send('PING :still');
    await a.waitLine(/PONG dualchat :still/, 'PONG after the long line');
  });

  it('NUL and CR inside a line get 400; the connection goes on', async () => {
    const c = await rawIrc();
    c.send('NICK nul1\r\nUSER n 0 * :N\r\n');
    await c.waitFor(() => c.lines.some((l) => / 001 nul1 /.test(l)), 'the welcome');
    c.send('PRIVMSG #lobby :a\0b\r\nPRIVMSG #lobby :a\rb\r\nPING :ok\r\n');
    await c.waitFor(() => c.lines.some((l) => l.includes('PONG dualchat :ok')), 'the PONG');
    const errors = c.lines.filter((l) => / 400 nul1 \* :Malformed line/.test(l));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('NUL');
    expect(errors[1]).toContain('CR');
  });

  it('unknown commands get 421, commands before registration 451', async () => {
    const c = await rawIrc();
    c.send('JOIN #early\r\nPRIVMSG x :y\r\nFROBNICATE now\r\nNICK unk1\r\nUSER u 0 * :U\r\nFROBNICATE now\r\nKICK #lobby x\r\n');
    await c.waitFor(() => c.lines.filter((l) => / 421 /.test(l)).length >= 2, 'the 421s');
    expect(c.lines.filter((l) => /^:dualchat 451 \* :You have not registered/.test(l))).toHaveLength(3);
    expect(c.lines.filter((l) => /^:dualchat 421 unk1 (FROBNICATE|KICK) :Unknown command/.test(l))).toHaveLength(2);
  });

  it('a reserved nick is refused by the hub with 432 (the door checks only the shape: an account may hold it); the connection goes on', async () => {
    const c = await rawIrc();
    c.send('NICK root\r\nUSER r 0 * :R\r\n');
    await c.waitFor(() => c.lines.some((l) => / 432 \* root :.*reserved/.test(l)), 'the 432 for a reserved nick');
    c.send('NICK rootless\r\n');
    await c.waitFor(() => c.lines.some((l) => /^:dualchat 001 rootless /.test(l)), 'the welcome under another nick');
  });

  it('a flood is held, then refused, then the connection dropped with ERROR :Excess Flood; others are served', async () => {
    const witness = await user('calm1');
    const c = await rawIrc();
    c.send('NICK flood1\r\nUSER f 0 * :F\r\n');
    await c.waitFor(() => c.lines.some((l) => / 001 flood1 /.test(l)), 'the welcome');
    c.send(Array.from({ length: 300 }, (_, i) => `PRIVMSG #lobby :line ${i}\r\n`).join(''));
    await c.waitClosed();
    expect(c.lines.some((l) => l.startsWith('ERROR :Excess Flood'))).toBe(true);
    expect(c.lines.filter((l) => / NOTICE flood1 :Flood: line ignored/.test(l)).length).toBeGreaterThan(0);
    // The burst went through at once (40 ordinary lines of budget; the hub's rate limit allows a burst of 40).
    await witness.waitLine(/^:flood1!flood1@dualchat PRIVMSG #lobby :line 0$/, 'the first lines of the flood');
    witness.send('PING :alive');
    await witness.waitLine(/PONG dualchat :alive/, 'the witness served');
  });

  it('no registration in time: ERROR in IRC words, and closed', async () => {
    const quick = await startTestServer({ ircPort: 0, connectTimeoutMs: 300 });
    try {
      const c = await rawClient(quick.server.ircPort!);
      connections.keep(c);
      c.send('NICK slow1\r\n');
      await c.waitClosed();
      expect(c.lines).toEqual(['ERROR :Closing Link: * (Registration timed out)\r']);
    } finally {
      await quick.close();
    }
  });

  it('10,000 fuzzed lines: clear replies, and the server up and serving', { timeout: 60_000 }, async () => {
    // A server without rate limits: the fuzz must reach the door, not the flood budget.
    const free = await startTestServer({ ircPort: 0, rateLimit: 0 });
    try {
      const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
      console.log(`IRC socket fuzz seed ${seed} (FUZZ_SEED=${seed} reproduces the lines)`);
      const words = fc.oneof(fc.constantFrom('#lobby', '#f', 'alice', '*', ':x y', '0', 'LS', 'REQ', ':server-time', '\u0001ACTION x\u0001'), fc.string({ unit: anyChar, maxLength: 12 }));
      const line = fc.oneof(
        fc.tuple(fc.constantFrom('NICK', 'USER', 'JOIN', 'PART', 'PRIVMSG', 'NOTICE', 'WHO', 'WHOIS', 'NAMES', 'LIST', 'MODE', 'TOPIC', 'CAP', 'AWAY', 'ISON', 'PING', 'X'), fc.array(words, { maxLength: 4 })).map(([v, p]) => [v, ...p].join(' ')),
        fc.string({ unit: anyChar, maxLength: 60 }),
      );
      const lines = fc.sample(line, { numRuns: 10_000, seed }).map((l) => l.replace(/[\r\n]/g, ' ').replace(/^\s*QUIT\b/i, 'X'));
      const socket = net.connect({ host: '127.0.0.1', port: free.server.ircPort! });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      let got = '';
      const ponged = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no PONG within 30 s of the fuzz; last bytes: ${got.slice(-500)}`)), 30_000);
        socket.on('data', (d: Buffer) => {
          got += d.toString('utf8');
          if (got.includes('PONG dualchat :done')) {
            clearTimeout(timer);
            resolve();
          }
        });
        socket.on('close', () => {
          clearTimeout(timer);
          reject(new Error(`the server closed the fuzzed connection; last bytes: ${got.slice(-500)}`));
        });
      });
      socket.write('NICK fuzz1\r\nUSER f 0 * :F\r\n');
      for (let i = 0; i < lines.length; i += 500) socket.write(lines.slice(i, i + 500).join('\r\n') + '\r\n');
      socket.write('PING :done\r\n');
      await ponged;
      socket.destroy();
      // Every line the server sent is an IRC line.
      const bad = got.split('\r\n').filter((l) => l !== '' && parseIrc(l) === undefined);
      expect(bad).toEqual([]);
      // And it serves: a fresh IRC user and a bracket user.
      const after = await ircClient(free.server.ircPort!, 'after1');
      after.send('PING :x');
      await after.waitLine(/PONG dualchat :x/, 'PONG from a fresh client');
      after.close();
      const bracket = await connectedClient(free.port, 'after2');
      bracket.destroy();
    } finally {
      await free.close();
    }
  });
});
