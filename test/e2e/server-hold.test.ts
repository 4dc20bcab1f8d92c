// The server's name hold over real sockets: a session that asked `<hold>` and whose connection drops
// (a reset, no `<disconnect>`) keeps its name and room for its owner; another client asking for the
// name is refused; `<reconnect>NAME TOKEN` takes it back and the room heard nothing; a hold nobody comes
// back for ends with `left … lost`. A client that never asks (the Python ones) leaves at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { connectedClient, isKind, rawClient, startTestServer, type TestServer } from './helpers.ts';

const HOLD_MS = 1_500;
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ nameHoldMs: HOLD_MS, captureLogs: 'info' });
});
afterAll(async () => {
  await ts.close();
});

async function inRoom(name: string, room: string): Promise<Awaited<ReturnType<typeof connectedClient>>> {
  const c = await connectedClient(ts.port, name);
  c.send(`<join>${room}\n`);
  await c.waitReply((r) => r.kind === 'joined' && r.name === name && r.room === room, `${name} in ${room}`);
  return c;
}

async function holdToken(c: Awaited<ReturnType<typeof connectedClient>>): Promise<string> {
  c.send('<hold>\n');
  const reply = await c.waitReply(isKind('hold'), 'the hold');
  expect(reply.kind === 'hold' && reply.seconds).toBe(Math.ceil(HOLD_MS / 1000));
  return reply.kind === 'hold' ? reply.token : '';
}

const leftLost = (name: string) => (r: Reply) => r.kind === 'left' && r.name === name && r.reason === 'lost';

describe('name hold', () => {
  it('a dropped connection keeps its name and room for the token; the room hears nothing', async () => {
    const alice = await inRoom('alice', 'dev');
    const bob = await inRoom('bob', 'dev');
    const token = await holdToken(alice);
    const seenBefore = bob.replies.length;
    alice.destroy();
    // The server saw the drop: its log says the name is held.
    await expect.poll(() => ts.logs.some((r) => r.msg === 'held' && (r['event'] as { name?: string } | undefined)?.name === 'alice'), { timeout: 5_000 }).toBe(true);
    const thief = await rawClient(ts.port);
    thief.send('<connect>alice\n');
    const refused = await thief.waitReply(isKind('error'), 'a refusal');
    expect(refused).toMatchObject({ kind: 'error', code: 'name-taken' });
    expect(refused.kind === 'error' && refused.message).toContain('held for its owner');

    const back = await rawClient(ts.port);
    back.send(`<reconnect>alice ${token}\n`);
    expect(await back.waitReply(isKind('welcome'), 'welcome back')).toMatchObject({ name: 'alice', room: 'dev' });
    bob.send('<set_msg_all>welcome back\n');
    await back.waitReply((r) => r.kind === 'message' && r.text === 'welcome back', 'the room\'s line on the new connection');
    await bob.waitReply((r) => r.kind === 'message' && r.text === 'welcome back', 'bob\'s echo');
    // The room heard neither a leave nor a join of alice meanwhile.
    expect(bob.replies.slice(seenBefore).filter((r) => (r.kind === 'left' || r.kind === 'joined') && r.name === 'alice')).toEqual([]);
    for (const c of [back, bob, thief]) c.destroy();
  });

  it('a hold nobody comes back for ends with `left … lost`, and the name is free', async () => {
    const carol = await inRoom('carol', 'ops');
    const dave = await inRoom('dave', 'ops');
    await holdToken(carol);
    const lostAt = Date.now();
    carol.destroy();
    await dave.waitReply(leftLost('carol'), 'carol left, lost', HOLD_MS + 5_000);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(HOLD_MS - 100);
    const again = await connectedClient(ts.port, 'carol');
    again.destroy();
    dave.destroy();
  });

  it('the token takes over a session whose old connection still looks alive, and closes that one', async () => {
    const gus = await inRoom('gus', 'lab');
    const token = await holdToken(gus);
    const moved = await rawClient(ts.port);
    moved.send(`<reconnect>gus ${token}\n`);
    expect(await moved.waitReply(isKind('welcome'), 'welcome on the new connection')).toMatchObject({ name: 'gus', room: 'lab' });
    await gus.waitClosed();
    moved.destroy();
  });

  it('a client that never asked leaves at once, as before', async () => {
    const erin = await inRoom('erin', 'qa');
    const fay = await inRoom('fay', 'qa');
    const lostAt = Date.now();
    erin.destroy();
    await fay.waitReply(leftLost('erin'), 'erin left, lost', 1_000);
    expect(Date.now() - lostAt).toBeLessThan(HOLD_MS);
    fay.destroy();
  });
});
