// Delivery: one session, a room (formatted once per door, the same bytes for every member on that door,
// chat by a member's UDP route), a user anywhere, and what the bus carries between nodes.
import { describe, expect, it } from 'vitest';
import type { SessionId } from '../../src/chat/ids.ts';
import type { BusEvent } from '../../src/chat/ports.ts';
import type { Outbound } from '../../src/chat/replies.ts';
import { BRACKET_DOOR } from '../../src/doors/bracket/door.ts';
import type { ChatView, Door, DoorConnection } from '../../src/doors/door.ts';
import { ircDoor } from '../../src/doors/irc/door.ts';
import { Delivery } from '../../src/server/delivery.ts';
import { Session } from '../../src/server/session.ts';
import { WriteBatch } from '../../src/tcp/write-batch.ts';
import { queueOutput, type QueueOutput } from './queue-output.ts';

/** A door that counts how often it formats, writing `name:` before the bracket form. */
function countingDoor(name: string): Door & { formatted: number } {
  const door = {
    ...BRACKET_DOOR,
    name,
    formatted: 0,
    bytes(reply: Outbound): Uint8Array {
      door.formatted++;
      return Buffer.concat([Buffer.from(`${name}:`), BRACKET_DOOR.bytes(reply)]);
    },
  };
  return door;
}

function world(doors: DoorConnection[]) {
  const outputs = new Map<SessionId, QueueOutput>();
  const sessions = new Map<SessionId, Session>();
  doors.forEach((door, i) => {
    const id = i + 1;
    const output = queueOutput();
    outputs.set(id, output);
    sessions.set(id, new Session(id, output, door));
  });
  const published: BusEvent[] = [];
  const batch = new WriteBatch();
  const members = new Map<string, SessionId[]>([['lobby', [...sessions.keys()]]]);
  let membership = 0;
  const delivery = new Delivery({
    session: (id) => sessions.get(id),
    members: (room) => members.get(room) ?? [],
    bus: { publish: (e) => void published.push(e) },
    node: 'n1',
    batch,
    membership: () => membership,
  });
  /** The parts a session was handed, as the batch would hand them over. */
  const written = { get: (id: SessionId) => outputs.get(id)?.parts() };
  /** What a session was sent, line by line. */
  const text = (id: SessionId) => outputs.get(id)?.lines() ?? [];
  /** `room`'s members are now `ids` (the hub's membership changed). */
  const seat = (room: string, ids: SessionId[]): void => {
    members.set(room, ids);
    membership++;
  };
  return { delivery, written, sessions, published, text, seat };
}

const hello = { kind: 'message', from: 'ann', room: 'lobby', ts: 1, self: false, text: 'hello' } as const;

describe('Delivery', () => {
  it('formats a room reply once per door and queues the very same bytes for every member of that door', () => {
    const bracket = countingDoor('b');
    const other = countingDoor('o');
    const w = world([bracket, other, bracket, other, bracket]);
    w.delivery.toRoom('lobby', hello, 3);
    expect(bracket.formatted).toBe(1);
    expect(other.formatted).toBe(1);
    expect(w.written.get(1)?.[0]).toBe(w.written.get(5)?.[0]);
    expect(w.written.get(2)?.[0]).toBe(w.written.get(4)?.[0]);
    expect(w.text(3)).toEqual([]);
    expect(w.text(2)).toEqual(['o:<message>lobby ann 1 - hello\n']);
    expect(w.published).toEqual([{ type: 'room', from: 'n1', room: 'lobby', reply: hello, except: { node: 'n1', session: 3 } }]);
  });

  it('formats once per door variant: IRC connections with and without server-time, bracket beside them', () => {
    const view: ChatView = { name: () => undefined, rooms: () => [], users: () => [], allRooms: () => [], members: () => [], user: () => undefined, userCount: () => 0, topic: () => undefined };
    const irc = ircDoor({ filesHint: '', defaultRoom: 'lobby', version: 'test' });
    const [plain1, plain2, timed1, timed2] = [irc.open(view), irc.open(view), irc.open(view), irc.open(view)];
    for (const c of [timed1!, timed2!]) c.read('CAP REQ :server-time', 0);
    const w = world([plain1!, timed1!, BRACKET_DOOR, plain2!, timed2!]);
    w.delivery.toRoom('lobby', hello);
    expect(w.written.get(1)?.[0]).toBe(w.written.get(4)?.[0]);
    expect(w.written.get(2)?.[0]).toBe(w.written.get(5)?.[0]);
    expect(w.text(1)).toEqual([':ann!ann@dualchat PRIVMSG #lobby :hello\r\n']);
    expect(w.text(2)).toEqual(['@time=1970-01-01T00:00:00.001Z :ann!ann@dualchat PRIVMSG #lobby :hello\r\n']);
    expect(w.text(3)).toEqual(['<message>lobby ann 1 - hello\n']);
  });

  it('sends chat by a member’s route where one is attached, the bytes to the others', () => {
    const w = world([BRACKET_DOOR, BRACKET_DOOR]);
    const routed: unknown[] = [];
    w.sessions.get(2)?.routeChatVia({ deliver: (r) => routed.push(r) > 0 });
    w.delivery.toRoom('lobby', hello);
    expect(routed).toEqual([hello]);
    expect(w.text(1)).toEqual(['<message>lobby ann 1 - hello\n']);
    expect(w.text(2)).toEqual([]);
  });

  it('formats nothing when every member takes the reply by its route', () => {
    const door = countingDoor('b');
    const w = world([door, door]);
    for (const id of [1, 2]) w.sessions.get(id)?.routeChatVia({ deliver: () => true });
    w.delivery.toRoom('lobby', hello);
    expect(door.formatted).toBe(0);
    expect(w.text(1)).toEqual([]);
  });

  it('a user here gets the reply; a user on another node gets it through the bus', () => {
    const w = world([BRACKET_DOOR, BRACKET_DOOR]);
    const dm = { kind: 'private', from: 'ann', to: 'bob', ts: 2, self: false, text: 'psst' } as const;
    w.delivery.toUser({ node: 'n1', session: 2 }, dm);
    expect(w.text(2)).toEqual(['<private>ann bob 2 - psst\n']);
    w.delivery.toUser({ node: 'n2', session: 2 }, dm);
    expect(w.text(2)).toHaveLength(1);
    expect(w.published).toEqual([{ type: 'user', from: 'n1', to: { node: 'n2', session: 2 }, reply: dm }]);
  });

  it('events from other nodes reach this node’s members (but one of ours it names) and are not published again', () => {
    const w = world([BRACKET_DOOR, BRACKET_DOOR, BRACKET_DOOR]);
    w.delivery.fromBus({ type: 'room', from: 'n2', room: 'lobby', reply: hello, except: { node: 'n1', session: 2 } });
    w.delivery.fromBus({ type: 'room', from: 'n2', room: 'lobby', reply: hello, except: { node: 'n9', session: 1 } });
    expect(w.text(1)).toHaveLength(2);
    expect(w.text(2)).toHaveLength(1);
    w.delivery.fromBus({ type: 'user', from: 'n2', to: { node: 'n1', session: 3 }, reply: hello });
    w.delivery.fromBus({ type: 'user', from: 'n2', to: { node: 'n9', session: 3 }, reply: hello });
    expect(w.text(3)).toHaveLength(3);
    // a bus that hands a node its own events back: dropped
    w.delivery.fromBus({ type: 'room', from: 'n1', room: 'lobby', reply: hello });
    expect(w.text(1)).toHaveLength(2);
    expect(w.published).toEqual([]);
  });
});
