// Idle sessions on the real-socket engine settings, on virtual time: the client's keepalive keeps an idle
// binding; the server finds a vanished client by its silence limit and drops it when it does not answer
// over TCP either; a client whose keepalive goes unanswered gives up.
import { describe, expect, it } from 'vitest';
import { FALLBACK_SYNC_TIMEOUT_MS } from '../../src/dataplane/constants.ts';
import { CLIENT_ENGINE_CONFIG, CLIENT_KEEPALIVE_INTERVAL_MS, SERVER_PEER_SILENCE_MS } from '../../src/udp/engine-driver.ts';
import { Pair, texts } from './pair.ts';

const ONE_WAY_MS = 20;
/** The engines' dead-peer limit while awaiting an answer (EngineConfig.idleTimeoutMs, default). */
const IDLE_TIMEOUT_MS = 10_000;
const IDLE_MS = 10 * 60_000;

function idlePair(seed: number, clientEngine = CLIENT_ENGINE_CONFIG): Pair {
  const pair = new Pair({ seed, link: { delayMs: ONE_WAY_MS }, clientEngine });
  pair.run(1_000, () => pair.client.state === 'bound' && pair.server.state === 'bound');
  pair.clientSay('hello');
  pair.serverSay('welcome back');
  pair.runFor(1_000);
  if (pair.serverGot.length !== 1 || pair.clientGot.length !== 1) throw new Error('the pair did not chat');
  return pair;
}

describe('idle sessions', () => {
  it('the client’s keepalive keeps an idle binding for 10 minutes: one PING per interval, none from the server', () => {
    const pair = idlePair(31);
    const pings = [pair.client.engineStats()!.pingsSent, pair.server.engineStats()!.pingsSent];
    const sent = [pair.clientSent.length, pair.serverSent.length];
    pair.runFor(IDLE_MS);
    const rounds = IDLE_MS / CLIENT_KEEPALIVE_INTERVAL_MS;
    const clientPings = pair.client.engineStats()!.pingsSent - pings[0]!;
    expect(clientPings).toBeGreaterThanOrEqual(rounds - 1);
    expect(clientPings).toBeLessThanOrEqual(rounds + 1);
    expect(pair.server.engineStats()!.pingsSent - pings[1]!).toBe(0);
    // Nothing else: no hello (the engine awaited its keepalive's ACK for one round trip only).
    expect(pair.clientSent.length - sent[0]!).toBe(clientPings);
    expect([pair.client.state, pair.server.state]).toEqual(['bound', 'bound']);
    expect(pair.eventsOf('client', 'gave-up')).toEqual([]);
    expect(pair.eventsOf('server', 'gave-up')).toEqual([]);
    pair.clientSay('still here');
    pair.runFor(1_000);
    expect(pair.serverGot.map((g) => [g.text, g.via])).toEqual([
      ['hello', 'udp'],
      ['still here', 'udp'],
    ]);
  });

  it('the server declares a vanished client lost after its silence limit, and drops it after the sync timeout', () => {
    const pair = idlePair(32);
    const lastHeard = pair.now;
    pair.clientAlive = false; // power loss: nothing more over UDP, nothing over TCP
    pair.runFor(SERVER_PEER_SILENCE_MS + FALLBACK_SYNC_TIMEOUT_MS + 5_000, () => pair.serverDropped !== undefined);

    const gaveUp = pair.serverEvents.find((e) => e.event.type === 'gave-up')!;
    expect(gaveUp.event).toMatchObject({ by: 'self', reason: 'lost', wasBound: true });
    expect(gaveUp.at - lastHeard).toBeGreaterThanOrEqual(SERVER_PEER_SILENCE_MS - 1_000);
    expect(gaveUp.at - lastHeard).toBeLessThanOrEqual(SERVER_PEER_SILENCE_MS + 1_000);
    expect(pair.serverTransports).toEqual([{ at: gaveUp.at, received: 1, reason: 'lost' }]);
    const drop = pair.serverEvents.find((e) => e.event.type === 'drop')!;
    expect(drop.event).toEqual({ type: 'drop', cause: 'silent' });
    expect(drop.at - gaveUp.at).toBe(FALLBACK_SYNC_TIMEOUT_MS);
    expect(pair.serverDropped).toBe('silent');
  });

  it('a silent-over-UDP client that answers over TCP is kept, and chat goes on there', () => {
    // The server hears nothing from the client (its datagrams are lost), and the client does not notice
    // (its keepalive made longer than the server's silence limit: the server gives up first). The client
    // still answers over TCP.
    const pair = idlePair(33, { ...CLIENT_ENGINE_CONFIG, keepaliveIntervalMs: 2 * SERVER_PEER_SILENCE_MS });
    pair.partition(true, 'c2s');
    pair.runFor(SERVER_PEER_SILENCE_MS + FALLBACK_SYNC_TIMEOUT_MS + 5_000, () => pair.server.state === 'tcp');
    expect(pair.eventsOf('server', 'gave-up')).toMatchObject([{ by: 'self', reason: 'lost' }]);
    expect(pair.serverDropped).toBeUndefined();
    pair.runFor(FALLBACK_SYNC_TIMEOUT_MS + 1_000);
    expect(pair.serverDropped).toBeUndefined();
    pair.serverSay('after');
    pair.clientSay('me too');
    pair.runFor(1_000);
    expect(texts(pair.clientGot)).toEqual(['welcome back', 'after']);
    expect(texts(pair.serverGot)).toEqual(['hello', 'me too']);
  });

  it('a client whose keepalive goes unanswered gives up: after its next keepalive plus the idle limit', () => {
    const pair = idlePair(34);
    const quietSince = pair.now;
    pair.partition(true);
    pair.runFor(2 * CLIENT_KEEPALIVE_INTERVAL_MS + IDLE_TIMEOUT_MS, () => pair.client.state !== 'bound');
    const gaveUp = pair.clientEvents.find((e) => e.event.type === 'gave-up')!;
    expect(gaveUp.event).toMatchObject({ by: 'self', reason: 'lost', wasBound: true });
    expect(gaveUp.at - quietSince).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS);
    expect(gaveUp.at - quietSince).toBeLessThanOrEqual(CLIENT_KEEPALIVE_INTERVAL_MS + IDLE_TIMEOUT_MS + 1_000);
    // Before the server's silence limit: the server hears the client's <transport> first and answers it.
    expect(gaveUp.at - quietSince).toBeLessThan(SERVER_PEER_SILENCE_MS);
    pair.runFor(1_000);
    expect(pair.eventsOf('server', 'gave-up')).toMatchObject([{ by: 'peer', reason: 'lost' }]);
    expect([pair.client.state, pair.server.state]).toEqual(['tcp', 'tcp']);
  });
});

describe('what a binding keeps for a resend', () => {
  it('only the chat not yet acknowledged: a steady stream over a slow path keeps a round trip’s worth, not the history', () => {
    const pair = new Pair({ seed: 41, link: { delayMs: 50 } });
    pair.run(1_000, () => pair.client.state === 'bound' && pair.server.state === 'bound');
    let most = 0;
    for (let i = 0; i < 3_000; i++) {
      pair.serverSay(`reply ${i}`);
      pair.runFor(20);
      most = Math.max(most, pair.server.keptForResend);
    }
    pair.runFor(2_000);
    expect(pair.clientGot).toHaveLength(3_000);
    // ~100 ms round trip at one reply per 20 ms (plus delayed ACKs): a handful, never the 3,000 sent.
    expect(most).toBeLessThan(50);
    expect(pair.server.keptForResend).toBe(0);
  });
});
