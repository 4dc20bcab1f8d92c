// Falling back to TCP on virtual time: a dead path found by either side's engine, and the races the
// real sockets could only hit by chance — both sides giving up at once, a close datagram during the
// move, chat handed over while it is under way, the session closing in the middle of it.
import { describe, expect, it } from 'vitest';
import type { Datagram } from '../../src/wire/codec.ts';
import { FALLBACK_SYNC_TIMEOUT_MS } from '../../src/dataplane/constants.ts';
import { CLIENT_HOST, CONNECTION_ID, Pair, texts } from './pair.ts';

const ONE_WAY_MS = 15;
/** The engines' dead-peer limit while awaiting an answer (EngineConfig.idleTimeoutMs, default). */
const IDLE_TIMEOUT_MS = 10_000;

function boundPair(seed: number, controlDelayMs = 10): Pair {
  const pair = new Pair({ seed, link: { delayMs: ONE_WAY_MS }, controlDelayMs });
  pair.run(1_000, () => pair.client.state === 'bound' && pair.server.state === 'bound');
  if (pair.client.state !== 'bound' || pair.server.state !== 'bound') throw new Error('the pair did not bind');
  // The engines' opening PINGs answered: neither awaits anything now.
  pair.runFor(500);
  return pair;
}

/** Says `count` lines from each side, and runs until both arrived. */
function chatBothWays(pair: Pair, prefix: string, count: number): void {
  const [c, s] = [pair.serverGot.length + count, pair.clientGot.length + count];
  for (let i = 1; i <= count; i++) {
    pair.clientSay(`${prefix} c${i}`);
    pair.serverSay(`${prefix} s${i}`);
  }
  pair.runFor(2_000, () => pair.serverGot.length === c && pair.clientGot.length === s);
  // Their acknowledgements too: neither side awaits anything after this.
  pair.runFor(500);
}

describe('fallback on a dead path', () => {
  it('the client finds it (its chat unanswered): it gives up, the server answers, nothing lost or repeated', () => {
    const pair = boundPair(11);
    chatBothWays(pair, 'before', 3);
    pair.partition(true);
    const cut = pair.now;
    pair.clientSay('during c1');
    pair.clientSay('during c2');
    pair.run(cut + 30_000, () => pair.client.state === 'tcp' && pair.server.state === 'tcp');

    const [gaveUp] = pair.clientEvents.filter((e) => e.event.type === 'gave-up');
    expect(gaveUp?.event).toMatchObject({ type: 'gave-up', by: 'self', reason: 'lost', wasBound: true });
    expect(gaveUp!.at - cut).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS);
    expect(gaveUp!.at - cut).toBeLessThan(IDLE_TIMEOUT_MS + 1_000);
    expect(pair.clientTransports).toEqual([{ at: gaveUp!.at, received: 3, reason: 'lost' }]);
    expect(pair.serverTransports).toEqual([{ at: gaveUp!.at + 10, received: 3, reason: 'requested' }]);
    expect(pair.eventsOf('server', 'gave-up')).toMatchObject([{ by: 'peer', reason: 'lost', wasBound: true }]);
    pair.runFor(1_000);
    expect(texts(pair.serverGot)).toEqual(['before c1', 'before c2', 'before c3', 'during c1', 'during c2']);
    expect(pair.serverGot.slice(3).every((g) => g.via === 'tcp')).toBe(true);

    chatBothWays(pair, 'after', 2);
    expect(texts(pair.serverGot).slice(5)).toEqual(['after c1', 'after c2']);
    expect(texts(pair.clientGot)).toEqual(['before s1', 'before s2', 'before s3', 'after s1', 'after s2']);
    expect(pair.clientGot.slice(3).every((g) => g.via === 'tcp')).toBe(true);
  });

  it('the server finds it (its replies unanswered): it gives up, holds new replies, resends in order once the client answers', () => {
    const pair = boundPair(12, 300);
    chatBothWays(pair, 'before', 2);
    pair.partition(true);
    const cut = pair.now;
    pair.serverSay('during s1');
    pair.serverSay('during s2');
    pair.run(cut + 30_000, () => pair.server.state === 'syncing');

    const [gaveUp] = pair.serverEvents.filter((e) => e.event.type === 'gave-up');
    expect(gaveUp?.event).toMatchObject({ type: 'gave-up', by: 'self', reason: 'lost', wasBound: true });
    expect(gaveUp!.at - cut).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS);
    expect(gaveUp!.at - cut).toBeLessThan(IDLE_TIMEOUT_MS + 1_000);
    expect(pair.serverTransports).toEqual([{ at: gaveUp!.at, received: 2, reason: 'lost' }]);
    // While the answer travels (300 ms over TCP here), replies are held, not sent.
    expect(pair.server.chatPath).toBe('hold');
    pair.serverSay('held s3');
    pair.serverSay('held s4');
    expect(pair.server.heldCount).toBe(2);

    pair.runFor(2_000, () => pair.clientGot.length === 6);
    expect(pair.clientTransports).toEqual([{ at: gaveUp!.at + 300, received: 2, reason: 'requested' }]);
    expect(pair.eventsOf('client', 'gave-up')).toMatchObject([{ by: 'peer', reason: 'lost', wasBound: true }]);
    expect(texts(pair.clientGot)).toEqual(['before s1', 'before s2', 'during s1', 'during s2', 'held s3', 'held s4']);
    expect(pair.clientGot.slice(2).every((g) => g.via === 'tcp')).toBe(true);
    expect([pair.client.state, pair.server.state]).toEqual(['tcp', 'tcp']);
    expect(pair.eventsOf('server', 'tcp')).toEqual([{ type: 'tcp', synced: true, held: ['held s3', 'held s4'] }]);
    expect(pair.serverDropped).toBeUndefined();
  });
});

describe('races', () => {
  it('both sides give up at once: the two <transport> lines cross and each is taken as the answer', () => {
    const pair = boundPair(21, 50);
    chatBothWays(pair, 'before', 1);
    pair.partition(true);
    pair.clientSay('crossing c');
    pair.serverSay('crossing s');
    pair.runFor(30_000, () => pair.client.state === 'tcp' && pair.server.state === 'tcp');

    // Both gave up by themselves, within the TCP delay of each other: neither answered with `requested`.
    const client = pair.clientEvents.find((e) => e.event.type === 'gave-up')!;
    const server = pair.serverEvents.find((e) => e.event.type === 'gave-up')!;
    expect(client.event).toMatchObject({ by: 'self', reason: 'lost' });
    expect(server.event).toMatchObject({ by: 'self', reason: 'lost' });
    expect(Math.abs(client.at - server.at)).toBeLessThan(50);
    expect(pair.clientTransports.map((t) => t.reason)).toEqual(['lost']);
    expect(pair.serverTransports.map((t) => t.reason)).toEqual(['lost']);
    expect(pair.refusedTransports).toBe(0);
    pair.runFor(1_000);
    expect(texts(pair.serverGot)).toEqual(['before c1', 'crossing c']);
    expect(texts(pair.clientGot)).toEqual(['before s1', 'crossing s']);
  });

  it('a close datagram during the move is ignored by the side that already gave up (client) or dropped unheard (server)', () => {
    const pair = boundPair(22, 400);
    pair.partition(true);
    pair.clientSay('unanswered');
    pair.run(pair.now + 30_000, () => pair.client.state === 'syncing');
    // The path is back while the client's <transport> travels; the server, still bound, announces a close.
    pair.partition(false);
    pair.server.announceClose();
    pair.runFor(100);
    expect(pair.serverSent.some((s) => s.datagram.type === 'close')).toBe(true);
    expect(pair.client.state).toBe('syncing');
    pair.runFor(2_000, () => pair.serverGot.length === 1);
    expect([pair.client.state, pair.server.state]).toEqual(['tcp', 'tcp']);
    expect(pair.eventsOf('client', 'gave-up')).toHaveLength(1);
    expect(pair.clientTransports).toHaveLength(1);
    expect(texts(pair.serverGot)).toEqual(['unanswered']);

    // The server's side: once it gave up its id is forgotten, so a close datagram for it is a stranger's.
    const other = boundPair(23, 400);
    other.partition(true);
    other.serverSay('unanswered');
    other.run(other.now + 30_000, () => other.server.state === 'syncing');
    const close: Datagram = { type: 'close', connectionId: CONNECTION_ID, body: new Uint8Array(0) };
    const outcome = other.demux.handleDatagram(close, { address: CLIENT_HOST, port: other.clientPort }, other.now, 10);
    expect(outcome).toEqual({ type: 'drop', reason: 'unknown-connection' });
    other.server.handleDatagram(close, { address: CLIENT_HOST, port: other.clientPort }, other.now);
    expect(other.server.state).toBe('syncing');
    other.runFor(2_000, () => other.clientGot.length === 1);
    expect(other.server.state).toBe('tcp');
    expect(other.eventsOf('server', 'gave-up')).toHaveLength(1);
    expect(texts(other.clientGot)).toEqual(['unanswered']);
  });

  it('the client holds chat typed during the move and sends it after what it resends, in order', () => {
    const pair = boundPair(24, 300);
    pair.partition(true);
    pair.clientSay('lost 1');
    pair.run(pair.now + 30_000, () => pair.client.state === 'syncing');
    expect(pair.client.chatPath).toBe('hold');
    pair.clientSay('typed 2');
    pair.clientSay('typed 3');
    pair.runFor(2_000, () => pair.serverGot.length === 3);
    expect(texts(pair.serverGot)).toEqual(['lost 1', 'typed 2', 'typed 3']);
    expect(pair.serverGot.every((g) => g.via === 'tcp')).toBe(true);
  });

  it('a reply handed over after the move finished but before its release is polled still comes after the resent ones', () => {
    const pair = boundPair(25);
    pair.partition(true);
    pair.serverSay('missed 1');
    pair.run(pair.now + 30_000, () => pair.server.state === 'syncing');
    // The client's count arrives: the machine is on TCP, its resend and release not yet polled by the shell.
    expect(pair.server.handlePeerTransport(0, 'requested', pair.now)).toBe(true);
    expect(pair.server.state).toBe('tcp');
    expect(pair.server.sendChat('late 2', new TextEncoder().encode('late 2'), pair.now)).toBe('held');
    const events = [pair.server.pollEvent(), pair.server.pollEvent(), pair.server.pollEvent()];
    expect(events).toEqual([
      { type: 'resend', items: ['missed 1'] },
      { type: 'tcp', synced: true, held: ['late 2'] },
      undefined,
    ]);
    // Released: from now on the caller sends chat over TCP itself.
    expect(pair.server.sendChat('later 3', new TextEncoder().encode('later 3'), pair.now)).toBe('declined');
    expect(pair.server.chatPath).toBe('tcp');
  });

  it('the session closing in the middle of the move ends everything: no events, no deadline, no datagram', () => {
    const pair = boundPair(26, 300);
    pair.partition(true);
    pair.serverSay('unanswered');
    pair.run(pair.now + 30_000, () => pair.server.state === 'syncing');
    pair.serverSay('held');
    pair.closeServerSession();
    expect(pair.server.state).toBe('tcp');
    expect(pair.server.pollTimeout()).toBeUndefined();
    expect(pair.server.pollEvent()).toBeUndefined();
    expect(pair.server.pollTransmit(pair.now)).toBeUndefined();
    expect(pair.server.heldCount).toBe(0);
    // The client's answer finds nothing to answer (the real session is gone; the pair counts it).
    pair.runFor(2_000);
    expect(pair.refusedTransports).toBe(1);
    expect(pair.serverTransports).toHaveLength(1);

    // A bound server that closes tells its client with a close datagram; the client moves chat to TCP.
    const bound = boundPair(27);
    bound.closeServerSession();
    expect(bound.serverSent[bound.serverSent.length - 1]!.datagram.type).toBe('close');
    bound.runFor(1_000, () => bound.client.state !== 'bound');
    expect(bound.eventsOf('client', 'gave-up')).toMatchObject([{ by: 'self', reason: 'closed' }]);
  });

  it('chat the engine acknowledged while its owner held messages back (disk behind) is counted at the move, not lost', () => {
    let holding = false;
    const pair = new Pair({ seed: 29, link: { delayMs: ONE_WAY_MS }, serverHolds: () => holding });
    pair.run(1_000, () => pair.client.state === 'bound' && pair.server.state === 'bound');
    pair.runFor(500);
    holding = true;
    pair.clientSay('held back 1');
    pair.clientSay('held back 2');
    // Acknowledged (the client's ledger forgets them), not handed to the server's owner.
    pair.runFor(1_000);
    expect(pair.client.queuedMessages()).toBe(0);
    expect(pair.serverGot).toEqual([]);
    pair.partition(true);
    pair.serverSay('unanswered');
    // Still holding, the server notices the dead path (its engine's `lost` is behind the held messages).
    pair.runFor(30_000, () => pair.server.state !== 'bound');
    expect(pair.eventsOf('server', 'gave-up')).toMatchObject([{ by: 'self', reason: 'lost' }]);
    pair.runFor(1_000, () => pair.client.state === 'tcp' && pair.server.state === 'tcp');
    pair.runFor(1_000);
    expect(texts(pair.serverGot)).toEqual(['held back 1', 'held back 2']);
    expect(pair.serverTransports[0]).toMatchObject({ received: 2, reason: 'lost' });
    expect(texts(pair.clientGot)).toEqual(['unanswered']);
  });

  it('the sync timeout: with no answer within FALLBACK_SYNC_TIMEOUT_MS a side goes on over TCP without resending', () => {
    const pair = boundPair(28);
    pair.partition(true);
    pair.clientSay('unanswered');
    pair.run(pair.now + 30_000, () => pair.client.state === 'syncing');
    const gaveUpAt = pair.now;
    // The server never answers: it vanished from TCP as well (the pair stops delivering to it).
    pair.closeServerSession();
    pair.runFor(FALLBACK_SYNC_TIMEOUT_MS + 100, () => pair.client.state === 'tcp');
    expect(pair.now - gaveUpAt).toBe(FALLBACK_SYNC_TIMEOUT_MS);
    expect(pair.eventsOf('client', 'tcp')).toEqual([{ type: 'tcp', synced: false, held: [] }]);
    expect(pair.eventsOf('client', 'resend')).toEqual([]);
  });
});
