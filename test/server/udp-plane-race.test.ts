// The server's UDP plane when a client's close datagram and its TCP connection's end are handled in one
// turn of the event loop: the fallback the datagram caused is complete (counted, logged, its bulk channel
// ended) before the session goes.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChatRoute } from '../../src/server/session.ts';
import { UdpDataPlane, type PlaneSession } from '../../src/server/udp-plane.ts';
import { encodeHello } from '../../src/udp/binding.ts';
import type { Datagram } from '../../src/wire/codec.ts';
import { rawPeer } from '../e2e/udp-helpers.ts';

describe('UdpDataPlane', () => {
  it('a close datagram and the session ending in the same turn: the fallback is counted, logged and ends the bulk channel', async () => {
    const logs: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push((JSON.parse(line) as { msg: string }).msg) });
    const bulkLost: number[] = [];
    const plane = await UdpDataPlane.open({
      host: '127.0.0.1',
      port: 0,
      logger,
      maxQueuedChatBytes: 1 << 20,
      hooks: { chatLine: () => undefined, drop: () => undefined, bulkLost: (id) => void bulkLost.push(id) },
    });
    const session: PlaneSession = { id: 7, name: 'x', deliver: () => undefined, sendControl: () => undefined, routeChatVia: (_r: ChatRoute | undefined) => undefined };
    const peer = await rawPeer(plane.port);
    try {
      const offer = plane.offer(session);
      if (!offer.ok || offer.reply.kind !== 'udp') throw new Error('no offer');
      const { connectionId, token } = offer.reply;
      peer.send({ type: 'hello', connectionId, body: encodeHello(Buffer.from(token, 'hex'), connectionId, 1n) });
      await peer.waitFor((d) => d.type === 'helloOk', 'helloOk');
      expect(plane.stats().bound).toBe(1);
      // Both in one turn, as when the datagram and the TCP close are read in the same poll phase.
      const onDatagram = (plane as unknown as { onDatagram(d: Datagram, from: { address: string; port: number }): void }).onDatagram.bind(plane);
      onDatagram({ type: 'close', connectionId, body: new Uint8Array(0) }, { address: '127.0.0.1', port: peer.port });
      plane.sessionClosed(session.id);
      expect(plane.stats().fallbacks.closed).toBe(1);
      expect(bulkLost).toEqual([7]);
      expect(logs).toContain('udp fallback to tcp');
    } finally {
      await peer.close();
      await plane.close();
    }
  });
});
