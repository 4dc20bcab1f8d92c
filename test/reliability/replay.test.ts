// Replays: a packet that reaches the engine again — copied by an attacker, long after its range was
// acknowledged and forgotten — is refused by the packet-number window and delivers nothing twice.
import { describe, expect, it } from 'vitest';
import { createConnection, type Connection } from '../../src/reliability/connection.ts';
import { Channel } from '../../src/reliability/types.ts';

/** Runs a and b against each other on a lossless link of 1 ms until both are quiet; records a's packets. */
function exchange(a: Connection, b: Connection, from: number, captured: Uint8Array[]): number {
  let now = from;
  for (let step = 0; step < 10_000; step++) {
    let moved = false;
    for (let p = a.pollTransmit(now); p !== undefined; p = a.pollTransmit(now)) {
      captured.push(p.slice());
      b.handlePacket(p, now);
      moved = true;
    }
    for (let p = b.pollTransmit(now); p !== undefined; p = b.pollTransmit(now)) {
      a.handlePacket(p, now);
      moved = true;
    }
    if (!moved) {
      const due = Math.min(a.pollTimeout() ?? Infinity, b.pollTimeout() ?? Infinity);
      if (due === Infinity || due > from + 60_000) return now;
      now = Math.max(now + 1, due);
      a.handleTimeout(now);
      b.handleTimeout(now);
    }
  }
  return now;
}

function drain(c: Connection): string[] {
  const out: string[] = [];
  for (let e = c.pollEvent(); e !== undefined; e = c.pollEvent()) if (e.type === 'message') out.push(Buffer.from(e.data).toString());
  return out;
}

describe('the engine refuses replayed packets', () => {
  it('refuses every packet replayed after its range was acknowledged and forgotten, and delivers nothing twice', () => {
    const a = createConnection({}, 0);
    const b = createConnection({}, 0);
    const captured: Uint8Array[] = [];
    let now = 0;
    for (let round = 0; round < 20; round++) {
      a.send(Channel.chat, Buffer.from(`line ${round}`), now);
      now = exchange(a, b, now, captured);
    }
    expect(drain(b)).toHaveLength(20);
    // b forgot the early ranges (its ACKs were acknowledged): the window's floor covers them.
    const before = b.stats();
    expect(captured.length).toBeGreaterThan(20);
    for (const packet of captured) b.handlePacket(packet, now);
    const after = b.stats();
    expect(after.duplicatePackets - before.duplicatePackets).toBe(captured.length);
    expect(after.packetsReceived).toBe(before.packetsReceived);
    expect(drain(b)).toEqual([]);
  });
});
