// Model test: arbitrary open/handle/close sequences over a few sessions, invariants checked after
// every step.

import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Command } from '../../src/commands/types.ts';
import { Hub, type HubOutput, type SessionId } from './helpers.ts';

const CAPACITY = 2;
const MAX_TEXT = 12;
const SESSIONS = [1, 2, 3, 4] as const;

const session = fc.constantFrom<SessionId>(...SESSIONS);
const GOOD_NAMES = ['alice', 'bob', 'carol', 'dave7'];
const AWKWARD_NAMES = ['Alice', 'ALICE', 'Bob', ' bob ', '', 'x y', 'a'.repeat(17)];
const NAMES = [...GOOD_NAMES, ...AWKWARD_NAMES];
const name = fc.oneof(
  { arbitrary: fc.constantFrom(...GOOD_NAMES), weight: 2 },
  { arbitrary: fc.constantFrom(...AWKWARD_NAMES), weight: 1 },
);
const room = fc.oneof(
  { arbitrary: fc.constantFrom('dev', 'Dev', '#dev'), weight: 3 },
  { arbitrary: fc.constantFrom('lobby', 'LOBBY', 'ops', 'OPS', 'bad room', '', 'r'.repeat(33)), weight: 2 },
);
const text = fc.oneof(
  fc.constantFrom('hi', 'alice: hi', 'Bob : yo', '', '  ', '\r\n', 'a\nb', 'x'.repeat(MAX_TEXT + 1), '😀'.repeat(MAX_TEXT)),
  fc.string({ maxLength: 16 }),
);
const arg = fc.option(name, { nil: undefined });
const withArg = <K extends 'users' | 'listfiles' | 'disconnect'>(kind: K) =>
  arg.map((a): Command => (a === undefined ? ({ kind } as Command) : ({ kind, arg: a } as Command)));

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: name.map((n): Command => ({ kind: 'connect', name: n })), weight: 4 },
  { arbitrary: withArg('disconnect'), weight: 1 },
  { arbitrary: withArg('users'), weight: 1 },
  { arbitrary: text.map((t): Command => ({ kind: 'broadcast', text: t })), weight: 3 },
  { arbitrary: fc.tuple(name, text).map(([to, t]): Command => ({ kind: 'private', to, text: t })), weight: 3 },
  { arbitrary: withArg('listfiles'), weight: 1 },
  {
    arbitrary: fc.constantFrom('a.txt', 'alice,a.txt', 'Bob,b.txt', '', 'alice,').map((file): Command => ({ kind: 'download', file })),
    weight: 1,
  },
  { arbitrary: room.map((r): Command => ({ kind: 'join', room: r })), weight: 6 },
  { arbitrary: fc.constant<Command>({ kind: 'leave' }), weight: 2 },
  { arbitrary: fc.constant<Command>({ kind: 'rooms' }), weight: 1 },
  { arbitrary: fc.constant<Command>({ kind: 'help' }), weight: 1 },
  { arbitrary: fc.constant<Command>({ kind: 'stats' }), weight: 1 },
  { arbitrary: fc.constant<Command>({ kind: 'upload', name: 'f', size: 3, crc: 1 }), weight: 1 },
  { arbitrary: fc.constant<Command>({ kind: 'sendfile', to: 'bob', name: 'f', size: 3, crc: 1 }), weight: 1 },
  { arbitrary: fc.constant<Command>({ kind: 'cancel', id: 'x' }), weight: 1 },
);

type Step =
  | { op: 'open'; s: SessionId }
  | { op: 'close'; s: SessionId; reason: 'disconnect' | 'lost' }
  | { op: 'handle'; s: SessionId; command: Command };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: session.map((s): Step => ({ op: 'open', s })), weight: 2 },
  {
    arbitrary: fc
      .tuple(session, fc.constantFrom('disconnect' as const, 'lost' as const))
      .map(([s, reason]): Step => ({ op: 'close', s, reason })),
    weight: 1,
  },
  { arbitrary: fc.tuple(session, command).map(([s, c]): Step => ({ op: 'handle', s, command: c })), weight: 16 },
);

/** A cheap assertion for hot loops (expect() per step would make the property slow). */
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`invariant broken: ${what}`);
}

/** Invariants of the hub's state, given which sessions the shell believes open. */
function checkState(hub: Hub, open: ReadonlySet<SessionId>): void {
  check(hub.sessionCount() === open.size, 'sessionCount() equals the open sessions');
  const named = [...open].filter((s) => hub.nameOf(s) !== undefined);
  for (const s of SESSIONS) {
    if (!open.has(s)) check(hub.nameOf(s) === undefined && hub.roomOf(s) === undefined, `closed session ${s} forgotten`);
  }
  // names unique case-insensitively, and found again case-insensitively
  const keys = new Set(named.map((s) => hub.nameOf(s)?.toLowerCase()));
  check(keys.size === named.length, 'names unique case-insensitively');
  for (const s of named) {
    const n = hub.nameOf(s) ?? '';
    check(hub.sessionOf(n) === s && hub.sessionOf(n.toUpperCase()) === s, `sessionOf(${n}) finds ${s}`);
    check(hub.roomOf(s) !== undefined, `named session ${s} has a room`);
  }
  for (const s of open) if (hub.nameOf(s) === undefined) check(hub.roomOf(s) === undefined, `unnamed ${s} has no room`);
  // a name lookup finds an open, named session of that name or nothing
  for (const n of NAMES) {
    const s = hub.sessionOf(n);
    if (s !== undefined) {
      check(open.has(s) && hub.nameOf(s)?.toLowerCase() === n.trim().toLowerCase(), `sessionOf(${n}) is live`);
    }
  }
  // users() is exactly the named sessions
  const users = hub.users().map((u) => `${u.name}@${u.room}`).sort();
  const expected = named.map((s) => `${hub.nameOf(s)}@${hub.roomOf(s)}`).sort();
  check(users.join() === expected.join(), `users() ${users.join()} = named ${expected.join()}`);
  // rooms() counts match roomOf; only the lobby may be empty; capacity holds outside the lobby
  const rooms = hub.rooms();
  check(rooms[0]?.name === 'lobby', 'lobby listed first');
  check(new Set(rooms.map((r) => r.name)).size === rooms.length, 'rooms listed once');
  let total = 0;
  for (const r of rooms) {
    const members = named.filter((s) => hub.roomOf(s) === r.name).length;
    check(r.count === members, `room ${r.name} count ${r.count} = ${members} members`);
    if (r.name !== 'lobby') check(r.count > 0 && r.count <= CAPACITY, `room ${r.name} non-empty and within capacity`);
    total += r.count;
  }
  check(total === named.length, 'every named session in exactly one room');
  for (const s of named) check(rooms.some((r) => r.name === hub.roomOf(s)), `room of ${s} is listed`);
}

/** Whom an output concerns, if anyone. */
function addressee(o: HubOutput): SessionId | undefined {
  switch (o.type) {
    case 'reply':
      return o.to;
    case 'close':
    case 'files':
    case 'stats':
      return o.session;
    case 'log':
      return undefined;
  }
}

function run(steps: Step[]): void {
  const hub = new Hub({ roomCapacity: CAPACITY, maxTextLength: MAX_TEXT });
  const open = new Set<SessionId>();
  for (const st of steps) {
    if (st.op === 'open') {
      check(hub.open(st.s, 0).length === 0, 'open() outputs nothing');
      open.add(st.s);
    } else if (st.op === 'close') {
      const out = hub.close(st.s, 0, st.reason);
      open.delete(st.s);
      for (const o of out) {
        const to = addressee(o);
        if (to === undefined) continue;
        check(o.type === 'reply' && to !== st.s && hub.nameOf(to) !== undefined, 'close() tells only named others');
      }
    } else {
      const wasOpen = open.has(st.s);
      const wasNamed = hub.nameOf(st.s) !== undefined;
      const roomBefore = hub.roomOf(st.s);
      const membersBefore = [...open].filter((s) => roomBefore !== undefined && hub.roomOf(s) === roomBefore);
      const out = hub.handle(st.s, st.command, 0);
      // exactly one log per user action
      check(out.filter((o) => o.type === 'log').length === 1, 'exactly one log per handle()');
      if (!wasOpen) {
        check(out.length === 1, 'a session not open gets nothing');
        continue;
      }
      for (const o of out) {
        const to = addressee(o);
        if (to === undefined) continue;
        // only the requester itself, or sessions that are named, hear anything
        if (to !== st.s) check(o.type === 'reply' && hub.nameOf(to) !== undefined, `output to named ${to} only`);
        if (o.type === 'close') {
          check(st.command.kind === 'disconnect', 'close only on <disconnect>');
          open.delete(st.s);
        }
        if (o.type === 'files' || o.type === 'stats') check(wasNamed, 'files/stats only when connected');
      }
      // a room message reaches exactly the sender's room, the sender once with self: true
      const messages = out.filter((o) => o.type === 'reply' && o.reply.kind === 'message');
      if (messages.length > 0) {
        const got = messages.map(addressee).sort().join();
        check(got === [...membersBefore].sort().join(), `message to ${got}, room is ${membersBefore.join()}`);
        for (const o of messages) {
          if (o.type === 'reply' && o.reply.kind === 'message') check(o.reply.self === (o.to === st.s), 'self flag');
        }
      }
      if (st.command.kind === 'disconnect') check(!open.has(st.s), '<disconnect> closes');
    }
    checkState(hub, open);
  }
}

describe('hub model', () => {
  it('keeps its invariants over arbitrary open/handle/close sequences', () => {
    // Runs start from nothing, from every session open, or from every session connected, so deep
    // states (full rooms, moves between busy rooms) are common.
    const opening: Step[] = SESSIONS.map((s) => ({ op: 'open', s }));
    const connecting: Step[] = SESSIONS.map((s, i) => ({
      op: 'handle',
      s,
      command: { kind: 'connect', name: GOOD_NAMES[i] ?? 'zed' },
    }));
    const prefixes: Step[][] = [[], opening, [...opening, ...connecting]];
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2), fc.array(step, { maxLength: 80, size: 'max' }), (start, steps) =>
        run([...(prefixes[start] ?? []), ...steps]),
      ),
      { numRuns: 300 },
    );
  });

  it('runs a fixed scenario through the same checks', () => {
    run([
      { op: 'open', s: 1 },
      { op: 'open', s: 2 },
      { op: 'handle', s: 1, command: { kind: 'connect', name: 'alice' } },
      { op: 'handle', s: 2, command: { kind: 'connect', name: 'ALICE' } },
      { op: 'handle', s: 2, command: { kind: 'connect', name: 'bob' } },
      { op: 'handle', s: 1, command: { kind: 'join', room: 'dev' } },
      { op: 'handle', s: 2, command: { kind: 'join', room: 'Dev' } },
      { op: 'handle', s: 2, command: { kind: 'broadcast', text: 'bob: hi' } },
      { op: 'close', s: 1, reason: 'lost' },
      { op: 'handle', s: 2, command: { kind: 'disconnect' } },
      { op: 'close', s: 2, reason: 'disconnect' },
    ]);
  });
});
