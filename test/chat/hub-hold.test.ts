// A lost session's name held for its owner: `<hold>` gives a token, a lost connection keeps the name and
// rooms quietly for holdMs, `<reconnect>NAME TOKEN` (or a registered name's password) takes them back, and
// `wake(now)` ends holds nobody came back for — with `left … lost` to their rooms then.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub as RealHub, type HubCommand, type HubOutput } from '../../src/chat/hub.ts';
import { MAX_HELD_NAMES } from '../../src/chat/limits.ts';
import type { HubReply } from '../../src/chat/replies.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { openStore, settle } from '../store/helpers.ts';
import { errorTo, Hub, logs, repliesTo } from './helpers.ts';

const HOLD_MS = 30_000;

/** Tokens from a counter: deterministic, distinct. */
function counterTokens(): () => string {
  let n = 0;
  return () => (++n).toString(16).padStart(32, '0');
}

/** alice (1) and bob (2) in #dev, alice holding a token. */
function setUp(): { hub: Hub; token: string } {
  const hub = new Hub({ rateLimit: 0 }, { hold: { holdMs: HOLD_MS, token: counterTokens() } });
  for (const [id, name] of [[1, 'alice'], [2, 'bob']] as const) {
    hub.open(id, 0);
    hub.handle(id, { kind: 'connect', name }, 0);
    hub.handle(id, { kind: 'join', room: 'dev' }, 0);
  }
  const held = repliesTo(hub.handle(1, { kind: 'hold' }, 0), 1)[0];
  if (held?.kind !== 'hold') throw new Error('no hold reply');
  expect(held.seconds).toBe(30);
  return { hub, token: held.token };
}

describe('hub: name hold', () => {
  it('a lost session is held quietly: its room hears nothing, it stays listed, its name is refused to others', () => {
    const { hub } = setUp();
    const out = hub.close(1, 1_000, 'lost');
    expect(repliesTo(out, 2)).toEqual([]);
    expect(logs(out)).toEqual([{ type: 'held', name: 'alice', room: 'dev', until: 31_000 }]);
    expect(hub.users()).toContainEqual({ name: 'alice', room: 'dev' });
    expect(hub.real.nextWake()).toBe(31_000);
    hub.open(3, 2_000);
    const refused = errorTo(hub.handle(3, { kind: 'connect', name: 'ALICE' }, 2_000), 3);
    expect(refused.code).toBe('name-taken');
    expect(refused.message).toContain('held for its owner');
    expect(refused.message).toContain('29 s');
  });

  it('a session taking a held one back changes the rooms’ members (membershipVersion grows), though no room hears it', () => {
    const { hub, token } = setUp();
    hub.close(1, 1_000, 'lost');
    hub.open(3, 5_000);
    const before = hub.real.membershipVersion;
    hub.handle(3, { kind: 'reconnect', name: 'alice', token }, 5_000);
    expect(hub.real.membershipVersion).toBeGreaterThan(before);
    expect([...hub.real.localMembers('dev')]).toContain(3);
    const joined = hub.real.membershipVersion;
    hub.handle(2, { kind: 'join', room: 'games' }, 6_000);
    expect(hub.real.membershipVersion).toBeGreaterThan(joined);
  });

  it('<reconnect> with the token takes the session back in its room, and the room hears nothing', () => {
    const { hub, token } = setUp();
    hub.handle(1, { kind: 'away', text: 'lunch' }, 0);
    hub.close(1, 1_000, 'lost');
    hub.open(3, 5_000);
    const out = hub.handle(3, { kind: 'reconnect', name: 'alice', token }, 5_000);
    expect(repliesTo(out, 3)[0]).toMatchObject({ kind: 'welcome', name: 'alice', room: 'dev' });
    expect(repliesTo(out, 2)).toEqual([]);
    expect(logs(out)).toContainEqual({ type: 'resumed', session: 3, name: 'alice', room: 'dev', afterMs: 4_000 });
    expect(hub.roomsOf(3)).toEqual(['lobby', 'dev'].filter((r) => hub.roomsOf(3).includes(r)));
    expect(hub.roomOf(3)).toBe('dev');
    expect(hub.sessionOf('alice')).toBe(3);
    expect(hub.real.awayOf(3)).toBe('lunch');
    expect(hub.real.nextWake()).toBeUndefined();
    // The room's messages reach the new connection, private messages too.
    expect(repliesTo(hub.handle(2, { kind: 'broadcast', text: 'back?' }, 6_000), 3)).toMatchObject([{ kind: 'message', text: 'back?' }]);
    expect(repliesTo(hub.handle(2, { kind: 'private', to: 'alice', text: 'hi' }, 6_000), 3)).toMatchObject([{ kind: 'private', text: 'hi' }]);
    // The same token holds again on the next loss.
    hub.close(3, 7_000, 'lost');
    hub.open(4, 8_000);
    expect(repliesTo(hub.handle(4, { kind: 'reconnect', name: 'alice', token }, 8_000), 4)[0]).toMatchObject({ kind: 'welcome', room: 'dev' });
  });

  it('the token takes over a session whose old connection is not seen gone yet; the old one is closed', () => {
    const { hub, token } = setUp();
    hub.open(3, 2_000);
    const out = hub.handle(3, { kind: 'reconnect', name: 'alice', token }, 2_000);
    expect(out).toContainEqual({ type: 'close', session: 1 });
    expect(repliesTo(out, 3)[0]).toMatchObject({ kind: 'welcome', name: 'alice', room: 'dev' });
    expect(repliesTo(out, 2)).toEqual([]);
    expect(hub.sessionOf('alice')).toBe(3);
    // The old connection's close, when the shell carries it out, says nothing more.
    expect(hub.close(1, 2_100, 'disconnect')).toEqual([]);
    expect(hub.real.nextWake()).toBeUndefined();
    // A wrong token for a live session is a plain claim: taken.
    hub.open(4, 3_000);
    expect(errorTo(hub.handle(4, { kind: 'reconnect', name: 'alice', token: 'ff' }, 3_000), 4).code).toBe('name-taken');
  });

  it('an operator taken back is still an operator', () => {
    const hub = new Hub({ rateLimit: 0 }, { hold: { holdMs: HOLD_MS, token: counterTokens() }, operators: { password: 's3cret', local: false } });
    hub.open(1, 0);
    hub.handle(1, { kind: 'connect', name: 'alice' }, 0);
    expect(repliesTo(hub.handle(1, { kind: 'oper', password: 's3cret' }, 0), 1)[0]).toMatchObject({ kind: 'system' });
    const held = repliesTo(hub.handle(1, { kind: 'hold' }, 0), 1)[0];
    if (held?.kind !== 'hold') throw new Error('no hold reply');
    hub.close(1, 1_000, 'lost');
    hub.open(2, 2_000);
    expect(repliesTo(hub.handle(2, { kind: 'reconnect', name: 'alice', token: held.token }, 2_000), 2)[0]).toMatchObject({ kind: 'welcome', name: 'alice' });
    expect(hub.handle(2, { kind: 'stats' }, 2_000)).toContainEqual({ type: 'stats', session: 2, operator: true });
  });

  it('a wrong token is refused like any other claim of a held name', () => {
    const { hub, token } = setUp();
    hub.close(1, 1_000, 'lost');
    hub.open(3, 2_000);
    const wrong = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0');
    expect(errorTo(hub.handle(3, { kind: 'reconnect', name: 'alice', token: wrong }, 2_000), 3).code).toBe('name-taken');
    expect(hub.sessionOf('alice')).toBe(1);
  });

  it('the hold ends at wake(): the room hears `left … lost`, the name is free', () => {
    const { hub, token } = setUp();
    hub.close(1, 1_000, 'lost');
    expect(hub.expand(hub.real.wake(30_999))).toEqual([]);
    const out = hub.expand(hub.real.wake(31_000));
    expect(repliesTo(out, 2)).toEqual([{ kind: 'left', name: 'alice', room: 'dev', ts: 31_000, reason: 'lost' }]);
    expect(logs(out)).toContainEqual({ type: 'disconnect', name: 'alice', room: 'dev', reason: 'lost' });
    expect(hub.real.nextWake()).toBeUndefined();
    expect(hub.users().map((u) => u.name)).toEqual(['bob']);
    // <reconnect> of a name no longer held is a plain sign-in, in the lobby (as after a server restart).
    hub.open(3, 32_000);
    expect(repliesTo(hub.handle(3, { kind: 'reconnect', name: 'alice', token }, 32_000), 3)[0]).toMatchObject({ kind: 'welcome', name: 'alice', room: 'lobby' });
  });

  it('<disconnect> is never held; a session that never asked is never held', () => {
    const { hub } = setUp();
    const left = hub.handle(1, { kind: 'disconnect' }, 1_000);
    expect(repliesTo(left, 2)).toEqual([{ kind: 'left', name: 'alice', room: 'dev', ts: 1_000, reason: 'disconnect' }]);
    expect(repliesTo(hub.close(2, 1_000, 'lost'), 2)).toEqual([]);
    expect(hub.users()).toEqual([]);
    expect(hub.real.nextWake()).toBeUndefined();
  });

  it('a private message to a held user tells the sender it did not reach them', () => {
    const { hub } = setUp();
    hub.close(1, 1_000, 'lost');
    const out = hub.handle(2, { kind: 'private', to: 'alice', text: 'there?' }, 2_000);
    expect(repliesTo(out, 2)).toContainEqual(expect.objectContaining({ kind: 'system', text: expect.stringContaining('lost the connection') }));
  });

  it('without a hold port, <hold> is refused and a lost session leaves at once', () => {
    const hub = new Hub();
    hub.open(1, 0);
    hub.handle(1, { kind: 'connect', name: 'alice' }, 0);
    expect(errorTo(hub.handle(1, { kind: 'hold' }, 0), 1).code).toBe('refused');
    hub.close(1, 1, 'lost');
    expect(hub.users()).toEqual([]);
  });

  it(`holds at most MAX_HELD_NAMES names; beyond, a lost session leaves at once`, () => {
    const real = new RealHub({ rateLimit: 0 }, { hold: { holdMs: HOLD_MS, token: counterTokens() } });
    const count = MAX_HELD_NAMES + 1;
    for (let i = 1; i <= count; i++) {
      real.open(i, 0);
      real.handle(i, { kind: 'connect', name: `u${i}` }, 0);
      real.handle(i, { kind: 'hold' }, 0);
    }
    for (let i = 1; i <= count; i++) real.close(i, 0, 'lost');
    expect(real.heldCount()).toBe(MAX_HELD_NAMES);
    expect(real.userCount()).toBe(MAX_HELD_NAMES);
  });

  it('holds at most perGroup names left by one address group (its connections dropped and opened again cannot pile them up); other addresses are held as before', () => {
    // Groups as the server's: an IPv6 address's first four hextets (its /64).
    const group = (origin: string): string => (origin.includes(':') ? origin.split(':').slice(0, 4).join(':') : origin);
    const hub = new Hub({ rateLimit: 0 }, { hold: { holdMs: HOLD_MS, token: counterTokens(), perGroup: 3 }, originGroup: group });
    const real = hub.real;
    const lose = (id: number, origin: string): ReturnType<Hub['close']> => {
      real.open(id, 0, origin);
      hub.handle(id, { kind: 'connect', name: `u${id}` }, 0);
      hub.handle(id, { kind: 'hold' }, 0);
      return hub.close(id, 0, 'lost');
    };
    // One attacker, a fresh address of its /64 for each connection: three held, the rest leave at once.
    for (let i = 1; i <= 10; i++) lose(i, `2001:db8:1:2::${i}`);
    expect(real.heldCount()).toBe(3);
    expect(real.userCount()).toBe(3);
    // Someone else's lost connection is still held.
    expect(logs(lose(11, '198.51.100.7')).map((e) => e.type)).toEqual(['held']);
    expect(real.heldCount()).toBe(4);
    // Once a hold ends, that group may leave a name held again.
    hub.expand(real.wake(HOLD_MS));
    expect(real.heldCount()).toBe(0);
    expect(logs(lose(12, '2001:db8:1:2::ff')).map((e) => e.type)).toEqual(['held']);
  });

  it('property: whatever the order of losses, resumes and wakes, a name is held only within its hold, and the hub ends with no held name after the last wake', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('lose', 'resume', 'wake', 'claim'), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 20_000 })), { maxLength: 40 }),
        (steps) => {
          const real = new RealHub({ rateLimit: 0 }, { hold: { holdMs: HOLD_MS, token: counterTokens() } });
          const names = ['a', 'b', 'c'];
          const tokens = new Map<string, string>();
          const current = new Map<string, number>();
          let next = 1;
          let now = 0;
          for (const name of names) {
            const id = next++;
            real.open(id, now);
            real.handle(id, { kind: 'connect', name }, now);
            const reply = real.handle(id, { kind: 'hold' }, now).find((o): o is Extract<HubOutput, { type: 'reply' }> => o.type === 'reply')?.reply;
            if (reply?.kind === 'hold') tokens.set(name, reply.token);
            current.set(name, id);
          }
          for (const [what, who, dt] of steps) {
            now += dt;
            const name = names[who]!;
            const id = next++;
            if (what === 'lose') real.close(current.get(name)!, now, 'lost');
            if (what === 'wake') real.wake(now);
            if (what === 'resume' || what === 'claim') {
              real.open(id, now);
              const command: HubCommand = what === 'resume' ? { kind: 'reconnect', name, token: tokens.get(name)! } : { kind: 'connect', name };
              const out = real.handle(id, command, now);
              if (out.some((o) => o.type === 'reply' && o.reply.kind === 'greeting')) current.set(name, id);
              else real.close(id, now, 'disconnect');
            }
            // A hold never reaches further than holdMs from now, and what is held is a name nobody else has.
            const wake = real.nextWake();
            if (wake !== undefined) expect(wake).toBeLessThanOrEqual(now + HOLD_MS);
            expect(real.users().length).toBe(names.length - names.filter((n) => real.sessionOf(n) === undefined).length);
          }
          real.wake(now + HOLD_MS);
          expect(real.heldCount()).toBe(0);
          expect(real.nextWake()).toBeUndefined();
        },
      ),
    );
  });
});

describe('hub: a registered name held', () => {
  let store: SqliteStore;
  afterEach(async () => {
    await store.close();
  });

  it('its right password takes the held session back; a wrong one does not', async () => {
    store = openStore(':memory:', undefined, { checkpointIntervalMs: 0 });
    const hub = new RealHub({ rateLimit: 0 }, { store, history: store, accounts: store, historyOnJoin: 0, hold: { holdMs: HOLD_MS, token: counterTokens() } });
    const ask = async (session: number, command: HubCommand): Promise<HubReply[]> =>
      (await settle(hub.handle(session, command, 1_000))).flatMap((o) => (o.type === 'reply' && o.to === session ? [o.reply] : []));
    hub.open(1, 0, '127.0.0.1');
    await ask(1, { kind: 'connect', name: 'alice' });
    await ask(1, { kind: 'register', password: 'pw-alice' });
    await ask(1, { kind: 'join', room: 'dev' });
    await ask(1, { kind: 'hold' });
    hub.close(1, 1_000, 'lost');
    hub.open(2, 1_000, '127.0.0.1');
    expect((await ask(2, { kind: 'connect', name: 'alice', password: 'wrong' }))[0]).toMatchObject({ kind: 'error', code: 'bad-password' });
    hub.open(3, 1_000, '127.0.0.1');
    expect((await ask(3, { kind: 'connect', name: 'alice', password: 'pw-alice' }))[0]).toMatchObject({ kind: 'greeting', name: 'alice', room: 'dev' });
    expect(hub.sessionOf('alice')).toBe(3);
  });
});
