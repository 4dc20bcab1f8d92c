// The binding handshake and the binding's life on a real server: hellos from raw sockets, NAT rebinding
// (the client's address changes mid-chat), what may travel over UDP, and teardown (TCP close, shutdown).
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatLink } from '../../src/client/link.ts';
import type { ClientNotice } from '../../src/client/render.ts';
import type { Display } from '../../src/client/state.ts';
import { encodeHello, newToken } from '../../src/udp/binding.ts';
import { REBIND_SILENCE_MS } from '../../src/dataplane/constants.ts';
import { connectedClient, rawClient, startTestServer, type TestServer } from './helpers.ts';
import { MAX_UDP_OFFERS_PER_SESSION } from '../../src/server/udp-plane.ts';
import { offerOf, planeFor, rawPeer, until } from './udp-helpers.ts';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ rateLimit: 0, captureLogs: 'info' });
});
afterAll(async () => {
  await ts.close();
});

/** A ChatLink in-process, every shown item recorded; `wait` resolves when a predicate holds. */
async function linkClient(name: string, via?: { host: string; port: number }) {
  const shown: Array<Display | ClientNotice> = [];
  const waits = new Set<() => void>();
  const opened = await ChatLink.open({
    host: '127.0.0.1',
    port: ts.port,
    connectTimeoutMs: 5_000,
    clock: Date.now,
    closed: () => {},
    show: (item) => {
      shown.push(item);
      for (const w of [...waits]) w();
    },
    udp: { enabled: true, via },
  });
  if (!opened.ok) throw new Error(opened.message);
  const link = opened.link;
  const signed = await link.signIn(name, 5_000);
  if (!signed.ok) throw new Error(signed.message);
  const wait = async (check: (items: Array<Display | ClientNotice>) => boolean, what: string, timeoutMs = 5_000) => {
    const u = until(() => check(shown), what, timeoutMs);
    waits.add(u.poke);
    try {
      await u.promise;
    } finally {
      waits.delete(u.poke);
    }
  };
  return { link, shown, wait };
}

const messages = (items: Array<Display | ClientNotice>, from: string): Array<{ text: string; via: string | undefined }> =>
  items.flatMap((i) =>
    i.kind === 'reply' && i.reply.kind === 'message' && i.reply.from === from ? [{ text: i.reply.text, via: i.via }] : [],
  );

/** A NAT in front of a client: relays its datagrams from an outside socket that can be replaced. */
async function nat(serverPort: number) {
  const inside = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => inside.bind(0, '127.0.0.1', resolve));
  let client: { address: string; port: number } | undefined;
  const outsideSocket = async (): Promise<dgram.Socket> => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    s.on('message', (msg) => {
      if (client !== undefined && s === outside) inside.send(msg, client.port, client.address);
    });
    return s;
  };
  let outside = await outsideSocket();
  inside.on('message', (msg, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    outside.send(msg, serverPort, '127.0.0.1');
  });
  return {
    port: inside.address().port,
    /** The mapping changes: from now on the client's datagrams leave from a new port. */
    async rebind(): Promise<void> {
      const old = outside;
      outside = await outsideSocket();
      old.close();
    },
    close(): void {
      inside.close();
      outside.close();
    },
  };
}

describe('binding', () => {
  it('is offered only on request (<udp>), once per session; the request needs a name and no argument', async () => {
    const early = await rawClient(ts.port);
    early.send('<udp>\n');
    await early.expectReply((r) => r.kind === 'error' && r.code === 'not-connected', 'not-connected');
    early.send('<connect>ula\n<get_users>\n');
    await early.expectReply((r) => r.kind === 'users', 'the users');
    // Signed in without asking: no offer came (clients that speak TCP alone never see one).
    expect(early.replies.some((r) => r.kind === 'udp')).toBe(false);
    const offer = await offerOf(early);
    expect(offer.port).toBe(ts.server.udpPort);
    early.send('<udp>\n');
    const again = await early.expectReply((r) => r.kind === 'error', 'the second request refused');
    expect(again).toMatchObject({ code: 'refused', message: 'UDP was already offered on this connection and is in use' });
    early.send('<udp>please\n');
    await early.expectReply((r) => r.kind === 'error' && r.code === 'bad-argument', 'an argument refused');
    expect(early.replies.filter((r) => r.kind === 'udp')).toHaveLength(1);
    early.destroy();
  });

  it('is offered again once the session’s chat fell back to TCP, a fresh binding each time, at most MAX_UDP_OFFERS_PER_SESSION times', async () => {
    const c = await connectedClient(ts.port, 'ray');
    const ids = new Set<number>();
    for (let i = 0; i < MAX_UDP_OFFERS_PER_SESSION; i++) {
      const offer = await offerOf(c);
      ids.add(offer.connectionId);
      // The client gave up binding: chat moves to TCP (the server answers with its own count).
      const answers = c.replies.filter((r) => r.kind === 'transport').length;
      c.send('<transport>tcp 0 timeout\n');
      await c.waitFor(() => c.replies.filter((r) => r.kind === 'transport').length > answers, 'the server\'s count');
    }
    expect(ids.size).toBe(MAX_UDP_OFFERS_PER_SESSION);
    c.send('<udp>\n');
    const refused = await c.expectReply((r) => r.kind === 'error', 'the offer past the bound refused');
    expect(refused).toMatchObject({ code: 'refused', message: `UDP was offered ${MAX_UDP_OFFERS_PER_SESSION} times on this connection; chat stays on TCP` });
    c.destroy();
  });

  it('hello → helloOk; retransmission answered again; replay, forgery and unknown ids refused', async () => {
    const owner = await connectedClient(ts.port, 'hal');
    const offer = await offerOf(owner);
    expect(offer.port).toBe(ts.server.udpPort);
    expect(offer.token).toMatch(/^[0-9a-f]{32}$/); // 128 bits
    const token = Buffer.from(offer.token, 'hex');
    const peer = await rawPeer(ts.server.udpPort);
    const other = await rawPeer(ts.server.udpPort);
    const hello = { type: 'hello', connectionId: offer.connectionId, body: encodeHello(token, offer.connectionId, 1n) } as const;

    // Data before any hello is dropped, unanswered.
    peer.send({ type: 'data', connectionId: offer.connectionId, body: Uint8Array.of(0) });
    peer.send(hello);
    await peer.waitFor((d) => d.type === 'helloOk' && d.connectionId === offer.connectionId, 'helloOk');
    peer.send(hello);
    await peer.waitFor(() => peer.received.filter((d) => d.type === 'helloOk').length === 2, 'helloOk again');
    other.send(hello);
    other.send({ type: 'hello', connectionId: offer.connectionId, body: encodeHello(newToken(), offer.connectionId, 2n) });
    other.send({ type: 'hello', connectionId: (offer.connectionId % 0xffff_fffe) + 1, body: encodeHello(token, 1, 1n) });
    await other.waitFor(() => other.received.length === 3, 'three refusals');
    expect(other.received.map((d) => [d.type, d.body[0]])).toEqual([
      ['refuse', 3], // replayed
      ['refuse', 2], // bad MAC
      ['refuse', 1], // unknown connection
    ]);
    expect(ts.logs.some((l) => l.msg === 'udp bound' && l.connId === offer.connectionId)).toBe(true);
    expect(ts.logs.filter((l) => l.msg === 'udp hello refused').length).toBeGreaterThanOrEqual(3);

    // The TCP connection closes: the binding goes (a close datagram says so), later datagrams are strangers.
    owner.end();
    await peer.waitFor((d) => d.type === 'close' && d.connectionId === offer.connectionId, 'close datagram');
    peer.send(hello);
    await peer.waitFor((d) => d.type === 'refuse' && d.body[0] === 1, 'refused as unknown');
    await Promise.all([peer.close(), other.close()]);
  });

  it('only chat travels over UDP: other commands and bad bytes are refused over TCP', async () => {
    const owner = await connectedClient(ts.port, 'ida');
    const { plane, waitEvent } = await planeFor(await offerOf(owner));
    try {
      await waitEvent((e) => e.type === 'bound', 'bound');
      expect(plane.send('<join>elsewhere')).toBe(true);
      expect(plane.send('<set_msg_all>chat is fine')).toBe(true);
      expect(plane.send('not a command')).toBe(true);
      await owner.expectReply((r) => r.kind === 'error' && r.code === 'refused' && /only chat/.test(r.message), 'refused join');
      await waitEvent((e) => e.type === 'line' && e.line?.includes('chat is fine') === true, 'echo over udp');
      await owner.expectReply((r) => r.kind === 'error' && r.code === 'bad-command', 'bad command');
      // The echo came over UDP, not TCP.
      expect(owner.replies.some((r) => r.kind === 'message')).toBe(false);
    } finally {
      await plane.close();
      owner.destroy();
    }
  });

  it('follows the client to a new address (NAT rebinding) without leaving UDP', { timeout: 20_000 }, async () => {
    const box = await nat(ts.server.udpPort);
    const listener = await linkClient('jon');
    const mover = await linkClient('kim', { host: '127.0.0.1', port: box.port });
    try {
      await mover.wait((items) => items.some((i) => i.kind === 'transport' && i.transport === 'udp'), 'kim bound');
      await listener.wait((items) => items.some((i) => i.kind === 'transport' && i.transport === 'udp'), 'jon bound');
      mover.link.send({ kind: 'broadcast', text: 'before the move' });
      await listener.wait((items) => messages(items, 'kim').length === 1, 'first line');
      const before = ts.server.stats().udp.binding;

      await box.rebind();
      mover.link.send({ kind: 'broadcast', text: 'after the move' });
      // The server drops datagrams from the new port until kim proves itself with a fresh hello.
      await listener.wait((items) => messages(items, 'kim').length === 2, 'second line', REBIND_SILENCE_MS + 8_000);
      const after = ts.server.stats().udp.binding;
      expect(after.rebound - before.rebound).toBe(1);
      expect(after.droppedWrongAddress).toBeGreaterThan(before.droppedWrongAddress);
      expect(messages(listener.shown, 'kim')).toEqual([
        { text: 'before the move', via: 'udp' },
        { text: 'after the move', via: 'udp' },
      ]);
      expect(mover.link.transport).toBe('udp');
      expect(mover.shown.filter((i) => i.kind === 'transport')).toHaveLength(1);
      expect(ts.logs.some((l) => l.msg === 'udp rebound to a new address')).toBe(true);
    } finally {
      await Promise.all([mover.link.disconnect(2_000), listener.link.disconnect(2_000)]);
      box.close();
    }
  });

  it('server shutdown tells UDP-bound clients with a close datagram', async () => {
    const other = await startTestServer();
    const owner = await connectedClient(other.port, 'lea');
    const { plane, waitEvent } = await planeFor(await offerOf(owner));
    try {
      await waitEvent((e) => e.type === 'bound', 'bound');
      const closing = other.close();
      await waitEvent((e) => e.type === 'gave-up' && e.reason === 'closed', 'close datagram');
      await closing;
      await owner.expectReply((r) => r.kind === 'system' && r.text === 'server shutting down', 'TCP notice');
    } finally {
      await plane.close();
      owner.destroy();
    }
  });
});
