// Fuzzing the server's whole line path without sockets: arbitrary byte streams per connection, cut
// into arbitrary chunks at arbitrary times, go through the bracket door's framer and its one read of a
// line into one hub — as src/server/ wires them. Nothing may throw, every reply the hub produces
// must format (in the door's bytes) to lines a client parses back, and the hub's
// books must balance after every step and be empty once everyone left.
//
// The pieces are fuzzed on their own elsewhere (run with the rest of `npm test`):
//   grammar on arbitrary strings       test/commands/grammar.test.ts ("parseCommand is total")
//   replies, transport lines           test/commands/replies.test.ts, test/commands/transport.test.ts
//   typed client input                 test/commands/typed-input.test.ts
//   framer on random bytes and times   test/tcp/framing.test.ts ("never throws on random bytes, …")
//   datagram decoder                   test/udp/codec.test.ts ("never throws on arbitrary bytes")
//   engine on garbage packets          test/reliability/connection.test.ts, packet.test.ts
//   chunk codec                        test/files/chunk-codec.test.ts
//   hub on arbitrary command sequences test/chat/hub.model.test.ts
// and here: the binding table (binding.fuzz.test.ts) and a live server (live-server.fuzz.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Hub, type HubOutput, type SessionId } from '../../src/chat/hub.ts';
import { parseReply } from '../../src/commands/grammar.ts';
import { BRACKET_DOOR } from '../../src/doors/bracket/door.ts';
import { CommandFramer, type FramerOutput } from '../../src/doors/bracket/framing.ts';
import { hostileString } from '../commands/arbitraries.ts';

const SESSIONS = 4;
const encoder = new TextEncoder();

/** Commands the hub knows (and some it refuses), as a client types them. */
const known: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('<connect>alice', '<connect>Bob', '<connect>carol', '<connect>dave', '<connect>ALICE'), weight: 3 },
  { arbitrary: fc.constantFrom('<set_msg_all>hi all', '<msg_all>yo', '<set_msg>bob psst', '<set_msg>alice hey'), weight: 4 },
  { arbitrary: fc.constantFrom('<join>dev', '<join>ops', '<leave>', '<rooms>', '<get_users>'), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '<help>', '<stats>', '<disconnect>', '<listfiles>', '<download>a.txt', '<transport>tcp 3 lost', '<accept>1',
      '<chunk>QUJD', '<upload>3 00000000 a.txt', '<cancel>7',
    ),
    weight: 1,
  },
);

/** Bytes a client might send: clean command lines, hostile text, raw bytes, stray terminators. */
const piece: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.tuple(known, fc.constantFrom('\n', '\r\n', '!@#$')).map(([c, t]) => encoder.encode(c + t)), weight: 8 },
  { arbitrary: known.map((c) => encoder.encode(c)), weight: 2 },
  { arbitrary: hostileString.map((s) => encoder.encode(s)), weight: 3 },
  { arbitrary: fc.constantFrom('\n', '\r\n', '!@#$', '\n\n').map((s) => encoder.encode(s)), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 24 }), weight: 1 },
);

type Step =
  | { op: 'bytes'; s: number; bytes: Uint8Array; advanceMs: number }
  | { op: 'quiet'; advanceMs: number }
  | { op: 'end'; s: number }
  | { op: 'lost'; s: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc
      .record({ s: fc.integer({ min: 0, max: SESSIONS - 1 }), parts: fc.array(piece, { minLength: 1, maxLength: 4 }), advanceMs: fc.integer({ min: 0, max: 60 }) })
      .map(({ s, parts, advanceMs }): Step => ({ op: 'bytes', s, bytes: Buffer.concat(parts), advanceMs })),
    weight: 12,
  },
  { arbitrary: fc.integer({ min: 1, max: 700 }).map((advanceMs): Step => ({ op: 'quiet', advanceMs })), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: SESSIONS - 1 }).map((s): Step => ({ op: 'end', s })), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: SESSIONS - 1 }).map((s): Step => ({ op: 'lost', s })), weight: 1 },
);

/** States the runs reached, over all runs: a fuzzer that never gets past the framer proves little. */
const reached = { twoUsers: 0, otherRoom: 0, messages: 0, refusals: 0 };

/** The server's line path for one run: framers per connection in front of one hub. */
class Pipeline {
  readonly hub = new Hub({ roomCapacity: 2, maxTextLength: 40, rateLimit: 5, rateBurst: 3 });
  private readonly framers = new Map<SessionId, CommandFramer>();
  private nextId = 1;
  /** The live connection of each slot (a slot reconnects after its connection ended). */
  private readonly slots: SessionId[] = [];
  now = 0;
  lines = 0;

  constructor() {
    for (let s = 0; s < SESSIONS; s++) this.slots.push(this.open());
  }

  private open(): SessionId {
    const id = this.nextId++;
    this.framers.set(id, new CommandFramer());
    this.check(this.hub.open(id, this.now));
    return id;
  }

  /** The slot's live connection; a new one if the server closed the last (`<disconnect>`, a fatal error). */
  private live(slot: number): SessionId {
    let id = this.slots[slot]!;
    if (!this.framers.has(id)) {
      id = this.open();
      this.slots[slot] = id;
    }
    return id;
  }

  bytes(slot: number, bytes: Uint8Array, advanceMs: number): void {
    this.now += advanceMs;
    const id = this.live(slot);
    this.framed(id, this.framers.get(id)!.push(bytes, this.now));
  }

  quiet(advanceMs: number): void {
    this.now += advanceMs;
    for (const [id, framer] of this.framers) {
      const due = framer.pollTimeout();
      if (due !== undefined && due <= this.now) this.framed(id, framer.handleTimeout(this.now));
    }
  }

  /** FIN: what the framer holds is delivered, then the session leaves; the slot reconnects. */
  end(slot: number, reason: 'disconnect' | 'lost'): void {
    const id = this.live(slot);
    const framer = this.framers.get(id);
    if (framer !== undefined && reason === 'disconnect') this.framed(id, framer.end(this.now));
    this.close(id, reason);
  }

  closeAll(): void {
    for (const id of [...this.framers.keys()]) this.close(id, 'disconnect');
  }

  private close(id: SessionId, reason: 'disconnect' | 'lost'): void {
    if (!this.framers.delete(id)) return;
    this.check(this.hub.close(id, this.now, reason));
  }

  private framed(id: SessionId, outputs: FramerOutput[]): void {
    for (const out of outputs) {
      if (out.type === 'error') {
        if (out.fatal) this.close(id, 'lost');
        continue;
      }
      if (!this.framers.has(id)) return;
      this.lines++;
      // As the server: one read of the line; only chat commands reach the hub.
      const line = BRACKET_DOOR.read(out.text);
      if (line.type === 'refused') {
        expect(line.error.message.length).toBeGreaterThan(0);
        continue;
      }
      if (line.type !== 'command') continue;
      const outputs2 = this.hub.handle(id, line.command, this.now);
      this.check(outputs2);
      for (const o of outputs2) if (o.type === 'close') this.close(o.session, 'disconnect');
    }
  }

  /** Every reply formats to one line a client parses; the hub's books balance. */
  private check(outputs: HubOutput[]): void {
    for (const o of outputs) {
      if (o.type === 'log' && o.event.type === 'message') reached.messages++;
      if (o.type === 'log' && o.event.type === 'refused') reached.refusals++;
      if (o.type !== 'reply' && o.type !== 'room') continue;
      // As the delivery writes it: the door's bytes, one or more whole lines.
      const text = Buffer.from(BRACKET_DOOR.bytes(o.reply)).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      for (const line of text.slice(0, -1).split('\n')) {
        expect(line).not.toMatch(/\r/);
        const back = parseReply(line);
        expect(back.ok, `reply line "${line}" does not parse: ${back.ok ? '' : back.error.message}`).toBe(true);
      }
    }
    const hub = this.hub;
    expect(hub.userCount()).toBeLessThanOrEqual(hub.sessionCount());
    const users = hub.users();
    expect(users).toHaveLength(hub.userCount());
    expect(new Set(users.map((u) => u.name.toLowerCase())).size).toBe(users.length);
    const rooms = hub.rooms();
    if (users.length >= 2) reached.twoUsers++;
    if (rooms.length > 1) reached.otherRoom++;
    expect(rooms.reduce((n, r) => n + r.count, 0)).toBe(users.length);
    for (const r of rooms.slice(1)) {
      expect(r.count).toBeGreaterThan(0);
      expect(r.count).toBeLessThanOrEqual(2);
    }
  }
}

describe('bytes → framer → parsers → hub', () => {
  it('never throws, answers in parseable lines, and keeps the books balanced', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const p = new Pipeline();
        for (const st of steps) {
          switch (st.op) {
            case 'bytes':
              p.bytes(st.s, st.bytes, st.advanceMs);
              break;
            case 'quiet':
              p.quiet(st.advanceMs);
              break;
            case 'end':
              p.end(st.s, 'disconnect');
              break;
            case 'lost':
              p.end(st.s, 'lost');
              break;
          }
        }
        p.quiet(1_000);
        p.closeAll();
        expect(p.hub.userCount()).toBe(0);
        expect(p.hub.sessionCount()).toBe(0);
        expect(p.hub.rooms()).toEqual([{ name: 'lobby', count: 0 }]);
      }),
      { numRuns: 300 },
    );
    expect(reached.twoUsers).toBeGreaterThan(0);
    expect(reached.otherRoom).toBeGreaterThan(0);
    expect(reached.messages).toBeGreaterThan(0);
    expect(reached.refusals).toBeGreaterThan(0);
  });
});
