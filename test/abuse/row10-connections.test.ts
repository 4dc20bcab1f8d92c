// Abuse row 10: many sessions from many addresses used to take every file descriptor — nobody else
// could connect, and nothing was logged. Now one address (an IPv6 /64) holds at most
// --max-conn-per-ip connections, the whole server at most --max-connections (every listener together:
// control and IRC), a refused connection is told why in one line, the refusals are logged (throttled),
// and the users already in keep chatting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LOGS_PER_SECOND } from '../../src/server/constants.ts';
import { rawClient, startTestServer, type RawClient, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';

/** Lowered for the test (the default comes from the open-file limit): the probe's 2 + the attacker's 38. */
const MAX_CONNECTIONS = 40;
const PER_ADDRESS = 4;
/** The attacker's source addresses (127.0.1.x: all of 127/8 is loopback) and connections tried from each. */
const ATTACK_ADDRESSES = 20;
const TRIES_PER_ADDRESS = PER_ADDRESS + 1;

let server: TestServer;
let probe: ChatProbe;
const attackers: RawClient[] = [];

beforeAll(async () => {
  server = await startTestServer({ maxConnections: MAX_CONNECTIONS, maxConnectionsPerAddress: PER_ADDRESS, ircPort: 0, captureLogs: 'info' });
  probe = await chatProbe(server.port, 'row10');
});

afterAll(async () => {
  probe.close();
  for (const a of attackers) a.destroy();
  await server.close();
});

/** Whether `client` was refused: the error line (already read, or within the deadline) and the close. */
async function refusal(client: RawClient): Promise<string> {
  const reply = await client.waitReply((r) => r.kind === 'error', 'a refusal line');
  await client.waitClosed();
  return reply.kind === 'error' ? reply.message : '';
}

describe('row 10: connections from many addresses are capped per address and in all', () => {
  it('logs the cap at start', () => {
    const listening = server.logs.find((l) => l.msg === 'listening');
    expect(listening).toMatchObject({ maxConnections: MAX_CONNECTIONS, maxConnectionsFrom: 'option' });
  });

  it('refuses the attacker over either bound with a reason, logs it throttled, and the bystanders chat on', async () => {
    const before = await probe.measure();
    const started = Date.now();
    const tries: RawClient[] = [];
    for (let a = 1; a <= ATTACK_ADDRESSES; a++) {
      for (let i = 0; i < TRIES_PER_ADDRESS; i++) {
        const c = await rawClient(server.port, `127.0.1.${a}`);
        c.send(`<connect>row10x${a}y${i}\n`);
        tries.push(c);
      }
    }
    attackers.push(...tries);
    const during = await probe.measure();
    // Each try settles: signed in (admitted), or refused with its line.
    const answers = await Promise.all(tries.map((c) => c.waitFor(() => c.replies.find((r) => r.kind === 'welcome' || r.kind === 'error'), 'an answer')));

    // From the first address: PER_ADDRESS in, the next refused for its address (the server was not full yet).
    const first = tries.slice(0, TRIES_PER_ADDRESS);
    expect(await refusal(first[PER_ADDRESS]!)).toBe(`too many connections from 127.0.1.1 (at most ${PER_ADDRESS}); closing`);
    for (const c of first.slice(0, PER_ADDRESS)) expect(c.closed).toBe(false);

    // In all: the probe's two and MAX_CONNECTIONS − 2 of the attacker's; every later one is refused as "full".
    const open = tries.filter((_, i) => answers[i]!.kind === 'welcome');
    const refused = tries.filter((c) => !open.includes(c));
    expect(open.length).toBe(MAX_CONNECTIONS - 2);
    const reasons = await Promise.all(refused.map((c) => refusal(c)));
    const full = reasons.filter((m) => m === `the server is full (${MAX_CONNECTIONS} connections); try again later; closing`);
    expect(full.length + reasons.filter((m) => m.startsWith('too many connections from')).length).toBe(refused.length);
    expect(full.length).toBeGreaterThan(0);

    // The IRC door counts against the same cap, and says so in its own words.
    const ircPort = server.server.ircPort!;
    const irc = await rawClient(ircPort, '127.0.2.1');
    attackers.push(irc);
    await irc.waitFor(() => irc.lines.find((l) => l.startsWith('ERROR :Closing Link: * (the server is full')), 'the IRC refusal');

    // Logged, and throttled: at most INPUT_LOGS_PER_SECOND lines of a kind per second.
    const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
    const fullLogs = server.logs.filter((l) => l.msg === 'connection refused: the server is full');
    const addressLogs = server.logs.filter((l) => l.msg === 'connection refused: too many from this address');
    expect(fullLogs.length).toBeGreaterThan(0);
    expect(addressLogs.length).toBeGreaterThan(0);
    // Two listeners (control, IRC), each its own throttle per kind.
    expect(fullLogs.length).toBeLessThanOrEqual(2 * INPUT_LOGS_PER_SECOND * seconds);

    // The users already in were never refused, and their chat is as quick as before.
    expect(during.max).toBeLessThanOrEqual(unaffectedBound(before));

    // A connection that leaves frees its place for the next.
    open[0]!.destroy();
    const next = await waitForAdmission(server.port);
    attackers.push(next);
  });
});

/** Connects until one is admitted (the freed place reaches the count when the server sees the close). */
async function waitForAdmission(port: number): Promise<RawClient> {
  const deadline = Date.now() + 5_000;
  for (let attempt = 0; attempt < 50 && Date.now() < deadline; attempt++) {
    const c = await rawClient(port, '127.0.3.1');
    c.send('<connect>row10late\n');
    const answer = await c.waitFor(() => c.replies.find((r) => r.kind === 'welcome' || r.kind === 'error'), 'an answer');
    if (answer.kind === 'welcome') return c;
    await c.waitClosed();
  }
  throw new Error('no connection admitted after one was freed');
}
