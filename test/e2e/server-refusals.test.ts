// Every refusal gets a clear error reply; no bad input crashes the server or disturbs other sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { MAX_LINE_BYTES } from '../../src/tcp/constants.ts';
import { connectedClient, isKind, rawClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';

let ts: TestServer;
let alice: RawClient;

beforeAll(async () => {
  ts = await startTestServer();
  alice = await connectedClient(ts.port, 'Alice');
});

afterAll(async () => {
  await ts.close();
});

const error = (code: string) => (r: Reply) => r.kind === 'error' && r.code === code;

/** alice still gets answers: the server and her session are unharmed. */
async function aliceStillServed(): Promise<void> {
  alice.send('<rooms>\n');
  await alice.expectReply(isKind('rooms'), 'rooms for alice');
}

describe('refusals', () => {
  it('refuses commands before <connect>, then accepts the name', async () => {
    const c = await rawClient(ts.port);
    c.send('<get_users>\n');
    await c.expectReply(error('not-connected'), 'not-connected');
    c.send('<set_msg_all>hi\n');
    await c.expectReply(error('not-connected'), 'not-connected again');
    c.send('<connect>bruno\n');
    await c.expectReply(isKind('welcome'), 'welcome after refusals');
    c.send('<connect>bruno2\n');
    await c.expectReply(error('already-connected'), 'already-connected');
    c.destroy();
  });

  it('refuses a bad name and a taken name (case-insensitively)', async () => {
    const c = await rawClient(ts.port);
    c.send('<connect>bad name!\n');
    const bad = await c.expectReply(error('bad-name'), 'bad-name');
    expect(bad).toMatchObject({ message: expect.stringContaining('letters or digits') });
    c.send('<connect>ALICE\n');
    await c.expectReply(error('name-taken'), 'name-taken');
    c.send('<connect>averyveryverylongname\n');
    await c.expectReply(error('bad-name'), 'too long');
    c.destroy();
  });

  it('refuses an unknown user, an unknown command and a line that is not a command', async () => {
    alice.send('<set_msg>nobody are you there\n');
    await alice.expectReply(error('unknown-user'), 'unknown-user');
    alice.send('<frobnicate>now\n');
    const unknown = await alice.expectReply(error('unknown-command'), 'unknown-command');
    expect(unknown).toMatchObject({ message: expect.stringContaining('frobnicate') });
    alice.send('hello there\n');
    await alice.expectReply(error('bad-command'), 'bad-command');
    alice.send('<set_msg>Alice me\n');
    await alice.expectReply(error('bad-argument'), 'private to self');
    alice.send('<leave>\n');
    await alice.expectReply(error('bad-room'), 'leave in lobby');
    await aliceStillServed();
  });

  it('reports a line that is not UTF-8 and keeps the session', async () => {
    const c = await connectedClient(ts.port, 'carl');
    c.send(Buffer.concat([Buffer.from('<set_msg_all>'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('\n')]));
    const bad = await c.expectReply(error('bad-encoding'), 'bad-encoding');
    expect(bad).toMatchObject({ message: expect.stringContaining('UTF-8') });
    c.send('<set_msg_all>fine now\n');
    await c.expectReply((r) => r.kind === 'message' && r.text === 'fine now', 'message after bad bytes');
    expect(c.closed).toBe(false);
    c.destroy();
  });

  it('closes a connection that sends an oversize line, and only that one', async () => {
    const c = await connectedClient(ts.port, 'ozzy');
    c.send(`<set_msg_all>${'x'.repeat(MAX_LINE_BYTES + 10)}\n`);
    await c.expectReply(error('line-too-long'), 'line-too-long');
    await c.waitClosed();
    await alice.expectReply((r) => r.kind === 'left' && r.name === 'ozzy' && r.reason === 'lost', 'ozzy lost');
    await aliceStillServed();
  });

  it('closes an unterminated runaway line as soon as it passes the limit', async () => {
    const c = await rawClient(ts.port);
    c.send(`<connect>${'y'.repeat(MAX_LINE_BYTES + 1)}`);
    await c.expectReply(error('line-too-long'), 'line-too-long');
    await c.waitClosed();
    await aliceStillServed();
  });

  it('survives garbage: random bytes from many clients at once', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => rawClient(ts.port)));
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (const c of clients) {
      for (let i = 0; i < 20; i++) {
        c.send(Buffer.from(Array.from({ length: 1 + (random() % 200) }, () => random() % 256)));
      }
      c.send('\n<help>\n');
    }
    await Promise.all(clients.map((c) => c.waitFor(() => c.closed || c.lines.some((l) => l.startsWith('<system>Commands')), 'help or close')));
    for (const c of clients) c.destroy();
    await aliceStillServed();
  });
});

describe('connect timeout', () => {
  it('closes a connection that never sends a valid <connect>', async () => {
    const quick = await startTestServer({ connectTimeoutMs: 300 });
    try {
      const idle = await rawClient(quick.port);
      idle.send('<connect>bad name\n');
      await idle.expectReply(error('bad-name'), 'bad-name');
      const bye = await idle.expectReply(error('not-connected'), 'timeout notice', 3_000);
      expect(bye).toMatchObject({ message: expect.stringContaining('closing') });
      await idle.waitClosed(3_000);

      // A client that did connect in time is not touched by the timer.
      const named = await connectedClient(quick.port, 'named');
      const probe = await rawClient(quick.port);
      await probe.waitClosed(3_000);
      named.send('<rooms>\n');
      await named.expectReply(isKind('rooms'), 'named client still served');
      expect(named.closed).toBe(false);
      named.destroy();
    } finally {
      await quick.close();
    }
  });
});
