// The IRC habits end to end: two `dualchat client --json` processes against a real server on 127.0.0.1 —
// topic, action, whois, away, reply, query and nick, each seen from both sides.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { is, signedInClient, startTestServer, stopAll, type ClientProcess, type TestServer } from './client-helpers.ts';

let ts: TestServer;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.stop();
});
afterEach(async () => {
  await stopAll(clients);
});

async function join(name: string): Promise<ClientProcess> {
  const c = await signedInClient(ts.server.tcpPort, name);
  clients.push(c);
  return c;
}

describe('dualchat client --json: IRC habits', () => {
  it('topic, me, whois, away, reply, query and nick between two clients', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    await alice.waitFor(is('joined', { name: 'bob' }), 'bob joining');

    // A topic: set by bob in a room of their own, announced to both, shown to alice on entering it.
    bob.send('/join dev', '/topic release friday');
    await bob.waitFor(is('topic', { room: 'dev', by: 'bob', text: 'release friday' }), 'bob told of his topic');
    alice.send('/join dev');
    await alice.waitFor(is('topic', { room: 'dev', by: 'bob', text: 'release friday' }), 'topic shown on entering');
    let mark = alice.events.length;
    alice.send('/topic');
    await alice.waitForAfter(mark, is('topic', { room: 'dev', text: 'release friday' }), 'topic asked');

    // An action.
    alice.send('/me waves');
    await bob.waitFor(is('action', { from: 'alice', room: 'dev', text: 'waves', self: false }), 'action at bob');
    await alice.waitFor(is('action', { from: 'alice', text: 'waves', self: true }), 'action echo');

    // Away, told to whoever messages; whois shows it.
    bob.send('/away at lunch');
    await bob.waitFor(is('system', { text: 'you are marked as away: at lunch' }), 'bob marked away');
    alice.send('/msg bob are you there?');
    await alice.waitFor(is('system', { text: 'bob is away: at lunch' }), 'away told to alice');
    await bob.waitFor(is('private', { from: 'alice', text: 'are you there?' }), 'message still delivered');
    alice.send('/whois bob');
    const whois = await alice.waitFor(is('whois', { name: 'bob' }), 'whois answer');
    expect(whois).toMatchObject({ rooms: ['dev'], away: 'at lunch' });
    expect(typeof whois.idle).toBe('number');

    // /r answers the last private message; /query sends plain lines privately until /query alone.
    bob.send('/r back soon');
    await alice.waitFor(is('private', { from: 'bob', to: 'alice', text: 'back soon', self: false }), 'reply at alice');
    alice.send('/query bob', 'just for you', '/query', 'for the room');
    await alice.waitFor(is('query', { name: 'bob' }), 'query opened');
    await bob.waitFor(is('private', { from: 'alice', text: 'just for you' }), 'query line at bob');
    await alice.waitFor(is('query', { name: null }), 'query closed');
    await bob.waitFor(is('message', { from: 'alice', room: 'dev', text: 'for the room' }), 'room line after the query');

    // A rename, seen by the room; the client speaks under its new name from then on.
    alice.send('/nick Alicia');
    await bob.waitFor(is('system', { text: 'alice is now known as Alicia' }), 'rename seen by bob');
    alice.send('still me');
    await bob.waitFor(is('message', { from: 'Alicia', text: 'still me' }), 'a line under the new name');
    mark = bob.events.length;
    bob.send('/whois alicia');
    await bob.waitForAfter(mark, is('whois', { name: 'Alicia', rooms: ['dev'] }), 'whois of the new name');

    expect(alice.junk).toEqual([]);
    expect(bob.junk).toEqual([]);
    expect(alice.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(bob.events.filter((e) => e.type === 'error')).toEqual([]);
  });
});
