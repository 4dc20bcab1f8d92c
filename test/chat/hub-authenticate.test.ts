// The hub's `authenticate` (a door's sign-in before the connection has a name: IRC SASL) and `connect`
// with a password given apart from the name (IRC PASS), on the real store in memory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Hub, type HubCommand, type HubOutput } from '../../src/chat/hub.ts';
import { LOGIN_FAILURES_PER_NAME } from '../../src/chat/limits.ts';
import type { HubReply } from '../../src/chat/replies.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { openStore, settle } from '../store/helpers.ts';

let store: SqliteStore;
let hub: Hub;
const now = 1_000;

async function ask(session: number, command: HubCommand): Promise<{ replies: HubReply[]; out: HubOutput[] }> {
  const out = await settle(hub.handle(session, command, now));
  return { out, replies: out.flatMap((o) => (o.type === 'reply' && o.to === session ? [o.reply] : [])) };
}

beforeEach(async () => {
  store = openStore(':memory:', undefined, { checkpointIntervalMs: 0 });
  hub = new Hub({ rateLimit: 0 }, { store, history: store, accounts: store, historyOnJoin: 0 });
  hub.open(1, now, '127.0.0.1');
  await ask(1, { kind: 'connect', name: 'alice' });
  expect((await ask(1, { kind: 'register', password: 'pw-alice' })).replies[0]).toMatchObject({ kind: 'system' });
  hub.close(1, now, 'disconnect');
});
afterEach(async () => {
  await store.close();
});

describe('hub: authenticate before a name', () => {
  it('the right password answers nothing, and the name then needs none', async () => {
    hub.open(2, now, '127.0.0.1');
    const right = await ask(2, { kind: 'authenticate', name: 'ALICE', password: 'pw-alice' });
    expect(right.replies).toEqual([]);
    expect(right.out).toContainEqual({ type: 'log', event: { type: 'account', session: 2, name: 'alice', action: 'authenticate' } });
    expect((await ask(2, { kind: 'connect', name: 'alice' })).replies[0]).toMatchObject({ kind: 'greeting', name: 'alice' });
  });

  it('a wrong password, an unregistered name, a bad name: refused with the hub\'s codes; the name still needs its password', async () => {
    hub.open(3, now, '127.0.0.1');
    const codes = [];
    for (const name of ['alice', 'nobody', 'a b']) {
      const { replies } = await ask(3, { kind: 'authenticate', name, password: 'wrong-pw' });
      expect(JSON.stringify(replies)).not.toContain('wrong-pw');
      codes.push((replies[0] as Extract<HubReply, { kind: 'error' }>).code);
    }
    expect(codes).toEqual(['bad-password', 'bad-argument', 'bad-name']);
    expect((await ask(3, { kind: 'connect', name: 'alice' })).replies[0]).toMatchObject({ kind: 'error', code: 'name-registered' });
  });

  it('is guarded like a login: past the allowance of wrong passwords even the right one waits', async () => {
    hub.open(7, now, '127.0.0.1');
    for (let i = 0; i < LOGIN_FAILURES_PER_NAME; i++) {
      expect((await ask(7, { kind: 'authenticate', name: 'alice', password: `wrong-${i}` })).replies[0]).toMatchObject({ code: 'bad-password' });
    }
    const refused = (await ask(7, { kind: 'authenticate', name: 'alice', password: 'pw-alice' })).replies[0];
    expect(refused).toMatchObject({ kind: 'error', code: 'rate-limited', message: expect.stringContaining('too many wrong passwords for alice') });
    expect((await ask(7, { kind: 'connect', name: 'alice' })).replies[0]).toMatchObject({ kind: 'error', code: 'name-registered' });
  });

  it('once named, authenticate is refused', async () => {
    hub.open(4, now, '127.0.0.1');
    await ask(4, { kind: 'connect', name: 'bob' });
    expect((await ask(4, { kind: 'authenticate', name: 'alice', password: 'pw-alice' })).replies[0]).toMatchObject({ kind: 'error', code: 'already-connected' });
  });
});

describe('hub: connect with a password apart from the name', () => {
  it('signs a registered name in, refuses a wrong one, and is ignored for a guest\'s name', async () => {
    hub.open(5, now, '127.0.0.1');
    expect((await ask(5, { kind: 'connect', name: 'alice', password: 'nope-nope' })).replies[0]).toMatchObject({ kind: 'error', code: 'bad-password' });
    expect((await ask(5, { kind: 'connect', name: 'alice', password: 'pw-alice' })).replies[0]).toMatchObject({ kind: 'greeting', name: 'alice' });
    hub.open(6, now, '127.0.0.1');
    expect((await ask(6, { kind: 'connect', name: 'guest', password: 'anything' })).replies[0]).toMatchObject({ kind: 'greeting', name: 'guest' });
  });
});

describe('hub: a reserved word registered before it was reserved', () => {
  it('still signs in with its password (and authenticates); nobody else takes it, and it cannot be registered anew', async () => {
    // An account made before the reserved list existed: straight into the store, as an old database holds it.
    expect(await store.register('admin', 'Admin', 'pw-admin')).toBe(true);
    hub.open(2, now, '127.0.0.1');
    expect((await ask(2, { kind: 'connect', name: 'Admin pw-admin' })).replies[0]).toMatchObject({ kind: 'greeting', name: 'Admin' });
    hub.open(3, now, '127.0.0.1');
    expect((await ask(3, { kind: 'connect', name: 'admin' })).replies[0]).toMatchObject({ kind: 'error', code: 'name-registered' });
    expect((await ask(3, { kind: 'authenticate', name: 'admin', password: 'pw-admin' })).replies).toEqual([]);
    // An unregistered reserved word stays refused, by every path.
    expect((await ask(3, { kind: 'connect', name: 'root' })).replies[0]).toMatchObject({ kind: 'error', code: 'bad-name', message: expect.stringContaining('reserved') });
    expect((await ask(3, { kind: 'reconnect', name: 'root', token: 'ff' })).replies[0]).toMatchObject({ kind: 'error', code: 'bad-name' });
    // Given up, the name is the server's again: its holder cannot register it back.
    expect((await ask(2, { kind: 'unregister', password: 'pw-admin' })).replies[0]).toMatchObject({ kind: 'system' });
    expect((await ask(2, { kind: 'register', password: 'pw-admin2' })).replies[0]).toMatchObject({ kind: 'error', code: 'bad-name', message: expect.stringContaining('reserved') });
    expect(store.registeredName('admin')).toBeUndefined();
  });
});
