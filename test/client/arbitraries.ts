// fast-check arbitraries for the client tests: every Reply kind, with names, rooms and text drawn
// from the shapes the server produces (and a few hostile ones for text).
import fc from 'fast-check';
import type { ErrorCode, LeaveReason, Reply, UserEntry } from '../../src/commands/types.ts';

const ERROR_CODES: ErrorCode[] = [
  'bad-command',
  'unknown-command',
  'bad-argument',
  'not-connected',
  'already-connected',
  'bad-name',
  'name-taken',
  'bad-room',
  'room-full',
  'unknown-user',
  'unknown-file',
  'line-too-long',
  'bad-encoding',
  'rate-limited',
  'too-large',
  'refused',
  'internal',
];
const REASONS: LeaveReason[] = ['moved', 'disconnect', 'lost'];

export const nameArb = fc.stringMatching(/^[A-Za-z0-9]{1,16}$/);
export const roomArb = fc.stringMatching(/^[a-z0-9]{1,32}$/);
/** Any text at all, control characters and astral code points included. */
export const textArb = fc.string({ unit: 'binary', maxLength: 80 });
export const tsArb = fc.integer({ min: 0, max: 4_102_444_800_000 });

export const userArb: fc.Arbitrary<UserEntry> = fc.record({ name: nameArb, room: roomArb });

export const replyArb: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({ kind: fc.constant('welcome' as const), name: nameArb, room: roomArb, text: textArb }),
  fc.record({
    kind: fc.constant('message' as const),
    from: nameArb,
    room: roomArb,
    ts: tsArb,
    self: fc.boolean(),
    text: textArb,
  }),
  fc.record({
    kind: fc.constant('private' as const),
    from: nameArb,
    to: nameArb,
    ts: tsArb,
    self: fc.boolean(),
    text: textArb,
  }),
  fc.record({ kind: fc.constant('users' as const), users: fc.array(userArb, { maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('rooms' as const),
    rooms: fc.array(fc.record({ name: roomArb, count: fc.nat(20) }), { maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('files' as const),
    files: fc.array(fc.record({ name: textArb, size: fc.nat() }), { maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('joined' as const), name: nameArb, room: roomArb, ts: tsArb }),
  fc.record({
    kind: fc.constant('left' as const),
    name: nameArb,
    room: roomArb,
    ts: tsArb,
    reason: fc.constantFrom(...REASONS),
  }),
  fc.record({ kind: fc.constant('error' as const), code: fc.constantFrom(...ERROR_CODES), message: textArb }),
  fc.record({ kind: fc.constant('system' as const), text: textArb }),
  fc.constant({ kind: 'disconnected' as const }),
);
