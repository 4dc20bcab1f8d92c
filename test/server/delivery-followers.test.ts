// A room's followers (src/server/delivery.ts, src/tcp/out-queue.ts): after a room's first reply in an
// iteration, its chat messages reach the members that follow its pieces without a visit per member.
// Checked against a plain model — each member hears, in order, exactly what it would hear if every
// reply visited every member — over random mixes of messages, replies to one member, other room
// replies, members coming and going, routes attached and taken away, and iterations ending.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionId } from '../../src/chat/ids.ts';
import type { HubReply } from '../../src/chat/replies.ts';
import { BRACKET_DOOR } from '../../src/doors/bracket/door.ts';
import type { ChatView } from '../../src/doors/door.ts';
import { ircDoor } from '../../src/doors/irc/door.ts';
import { Delivery } from '../../src/server/delivery.ts';
import { Session, type ChatReply } from '../../src/server/session.ts';
import { WriteBatch } from '../../src/tcp/write-batch.ts';
import { queueOutput, type QueueOutput } from './queue-output.ts';

const MEMBERS = 5;

function world(doorOf: (id: SessionId) => Session['door'] = () => BRACKET_DOOR) {
  const outputs = new Map<SessionId, QueueOutput>();
  const sessions = new Map<SessionId, Session>();
  for (let id = 1; id <= MEMBERS; id++) {
    const output = queueOutput();
    outputs.set(id, output);
    sessions.set(id, new Session(id, output, doorOf(id)));
  }
  let batch = new WriteBatch();
  let members: SessionId[] = [...sessions.keys()];
  let membership = 0;
  let visits = 0;
  const delivery = new Delivery({
    session: (id) => {
      visits++;
      return sessions.get(id);
    },
    members: () => members,
    bus: { publish: () => undefined },
    node: 'n1',
    batch: { sharedFor: (f, r) => batch.sharedFor(f, r), forIteration: (o, k, make) => batch.forIteration(o, k, make) },
    membership: () => membership,
  });
  return {
    delivery,
    sessions,
    text: (id: SessionId) => outputs.get(id)!.lines(),
    seat(ids: SessionId[]) {
      members = ids;
      membership++;
    },
    get members() {
      return members;
    },
    /** The iteration ends: what is queued is handed over, the pieces are new. */
    nextIteration() {
      for (const o of outputs.values()) o.parts();
      batch = new WriteBatch();
    },
    get visits() {
      return visits;
    },
    /** One member's queue handed over within the iteration (it reached its bound of unread output). */
    handOver(id: SessionId) {
      outputs.get(id)!.parts();
    },
  };
}

const message = (from: string, text: string): HubReply => ({ kind: 'message', from, room: 'lobby', ts: 1, self: false, text });
const line = (reply: HubReply): string => Buffer.from(BRACKET_DOOR.bytes(reply)).toString('utf8');

describe('Delivery: a room’s followers', () => {
  it('gives each member the others’ messages in order, its own cut out, and visits the members once per iteration', () => {
    const w = world();
    const senders = [1, 2, 3, 1, 1, 4, 5, 2];
    senders.forEach((s, i) => w.delivery.toRoom('lobby', message(`u${s}`, `m${i}`), s));
    for (let id = 1; id <= MEMBERS; id++) expect(w.text(id)).toEqual(senders.flatMap((s, i) => (s === id ? [] : [line(message(`u${s}`, `m${i}`))])));
    // One visit of the five members, then one look-up of each line's sender.
    expect(w.visits).toBe(MEMBERS + senders.length - 1);
  });

  it('keeps a reply to one member in its place between two room messages', () => {
    const w = world();
    w.delivery.toRoom('lobby', message('u1', 'a'), 1);
    w.delivery.toSession(2, { kind: 'system', text: 'just for you' });
    w.delivery.toRoom('lobby', message('u1', 'b'), 1);
    expect(w.text(2)).toEqual([line(message('u1', 'a')), '<system>just for you\n', line(message('u1', 'b'))]);
    expect(w.text(3)).toEqual([line(message('u1', 'a')), line(message('u1', 'b'))]);
  });

  it('a member gone from the room hears nothing after, one come hears what follows', () => {
    const w = world();
    w.seat([1, 2, 3]);
    w.delivery.toRoom('lobby', message('u1', 'a'), 1);
    w.seat([1, 3, 4]);
    w.delivery.toRoom('lobby', message('u1', 'b'), 1);
    expect(w.text(2)).toEqual([line(message('u1', 'a'))]);
    expect(w.text(4)).toEqual([line(message('u1', 'b'))]);
    expect(w.text(3)).toEqual([line(message('u1', 'a')), line(message('u1', 'b'))]);
  });

  it('a route attached between two messages carries the next one; taken away, the control line does again', () => {
    const w = world();
    const routed: ChatReply[] = [];
    w.delivery.toRoom('lobby', message('u1', 'a'), 1);
    w.sessions.get(2)!.routeChatVia({ deliver: (r) => routed.push(r) > 0 });
    w.delivery.toRoom('lobby', message('u1', 'b'), 1);
    w.sessions.get(2)!.routeChatVia(undefined);
    w.delivery.toRoom('lobby', message('u1', 'c'), 1);
    expect(routed).toEqual([message('u1', 'b')]);
    expect(w.text(2)).toEqual([line(message('u1', 'a')), line(message('u1', 'c'))]);
  });

  it('an IRC member that asks for server-time between two messages gets the next one with its tag', () => {
    const view: ChatView = { name: () => undefined, rooms: () => [], users: () => [], allRooms: () => [], members: () => [], user: () => undefined, userCount: () => 0, topic: () => undefined };
    const irc = ircDoor({ filesHint: '', defaultRoom: 'lobby', version: 'test' });
    const w = world(() => irc.open(view));
    w.delivery.toRoom('lobby', message('u1', 'a'), 1);
    w.sessions.get(2)!.read('CAP REQ :server-time', 0);
    w.delivery.toRoom('lobby', message('u1', 'b'), 1);
    expect(w.text(2)).toEqual([':u1!u1@dualchat PRIVMSG #lobby :a\r\n', '@time=1970-01-01T00:00:00.001Z :u1!u1@dualchat PRIVMSG #lobby :b\r\n']);
    expect(w.text(3)).toEqual([':u1!u1@dualchat PRIVMSG #lobby :a\r\n', ':u1!u1@dualchat PRIVMSG #lobby :b\r\n']);
  });

  type Op =
    | { type: 'message'; from: number }
    | { type: 'room'; from: number }
    | { type: 'one'; to: number }
    | { type: 'seat'; ids: number[] }
    | { type: 'route'; id: number; on: boolean }
    | { type: 'iteration' }
    | { type: 'handover'; id: number };
  const member = fc.integer({ min: 1, max: MEMBERS });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: member.map((from) => ({ type: 'message' as const, from })) },
    { weight: 1, arbitrary: member.map((from) => ({ type: 'room' as const, from })) },
    { weight: 2, arbitrary: member.map((to) => ({ type: 'one' as const, to })) },
    { weight: 1, arbitrary: fc.subarray([1, 2, 3, 4, 5]).map((ids) => ({ type: 'seat' as const, ids })) },
    { weight: 1, arbitrary: fc.tuple(member, fc.boolean()).map(([id, on]) => ({ type: 'route' as const, id, on })) },
    { weight: 1, arbitrary: fc.constant({ type: 'iteration' as const }) },
    { weight: 1, arbitrary: member.map((id) => ({ type: 'handover' as const, id })) },
  );

  it('hears exactly what a visit of every member for every reply would give, in order (random mixes)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const w = world();
        const heard = new Map<number, string[]>();
        const carried = new Map<number, ChatReply[]>();
        const routedBy = new Map<number, ChatReply[]>();
        const routes = new Set<number>();
        for (let id = 1; id <= MEMBERS; id++) {
          heard.set(id, []);
          carried.set(id, []);
          routedBy.set(id, []);
        }
        ops.forEach((o, n) => {
          switch (o.type) {
            case 'message': {
              const reply = message(`u${o.from}`, `m${n}`);
              for (const id of w.members) {
                if (id === o.from) continue;
                if (routes.has(id)) carried.get(id)!.push(reply as ChatReply);
                else heard.get(id)!.push(line(reply));
              }
              w.delivery.toRoom('lobby', reply, o.from);
              break;
            }
            case 'room': {
              const reply: HubReply = { kind: 'system', text: `r${n}` };
              for (const id of w.members) if (id !== o.from) heard.get(id)!.push(line(reply));
              w.delivery.toRoom('lobby', reply, o.from);
              break;
            }
            case 'one': {
              const reply: HubReply = { kind: 'system', text: `p${n}` };
              heard.get(o.to)!.push(line(reply));
              w.delivery.toSession(o.to, reply);
              break;
            }
            case 'seat':
              w.seat(o.ids);
              break;
            case 'route':
              if (o.on) routes.add(o.id);
              else routes.delete(o.id);
              w.sessions.get(o.id)!.routeChatVia(o.on ? { deliver: (r) => routedBy.get(o.id)!.push(r) > 0 } : undefined);
              break;
            case 'iteration':
              w.nextIteration();
              break;
            case 'handover':
              w.handOver(o.id);
              break;
          }
        });
        for (let id = 1; id <= MEMBERS; id++) {
          expect(w.text(id)).toEqual(heard.get(id));
          expect(routedBy.get(id)).toEqual(carried.get(id));
        }
      }),
    );
  });
});
