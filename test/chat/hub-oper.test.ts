// Operators: `<oper>PASSWORD` with the server's operator password, or a connection from this machine
// when the operator chose so. The `stats` output says whether the asker is one (the shell then answers
// with the whole server's figures, or the asker's own link).
import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_PER_NAME } from '../../src/chat/limits.ts';
import { isLoopback } from '../../src/chat/operators.ts';
import { sameSecret } from '../../src/chat/secret.ts';
import { errorTo, Hub, logs, repliesTo, type HubOutput } from './helpers.ts';

const statsOf = (out: HubOutput[]): boolean | undefined => out.flatMap((o) => (o.type === 'stats' ? [o.operator] : []))[0];

function connected(hub: Hub, session: number, name: string, origin?: string): void {
  hub.real.open(session, 0, origin);
  const out = hub.handle(session, { kind: 'connect', name }, 0);
  if (repliesTo(out, session)[0]?.kind !== 'welcome') throw new Error(`could not connect ${name}`);
}

describe('hub: operators', () => {
  it('makes a session an operator with the right password only; its stats are then the whole server', () => {
    const hub = new Hub({}, { operators: { password: 's3cret', local: false } });
    connected(hub, 1, 'alice', '10.0.0.1');
    connected(hub, 2, 'bob', '10.0.0.2');
    expect(statsOf(hub.handle(1, { kind: 'stats' }, 1))).toBe(false);
    expect(errorTo(hub.handle(1, { kind: 'oper', password: 's3cre' }, 1), 1)).toMatchObject({ code: 'bad-password', message: 'wrong operator password' });
    expect(statsOf(hub.handle(1, { kind: 'stats' }, 1))).toBe(false);
    const ok = hub.handle(1, { kind: 'oper', password: 's3cret' }, 1);
    expect(repliesTo(ok, 1)).toEqual([{ kind: 'system', text: 'you are an operator now: <stats> shows the whole server' }]);
    expect(logs(ok)).toEqual([{ type: 'account', session: 1, name: 'alice', action: 'oper' }]);
    expect(JSON.stringify(ok)).not.toContain('s3cret');
    expect(statsOf(hub.handle(1, { kind: 'stats' }, 2))).toBe(true);
    expect(statsOf(hub.handle(2, { kind: 'stats' }, 2))).toBe(false);
  });

  it('counts wrong passwords like logins: the guesser is refused at once after a few', () => {
    const hub = new Hub({}, { operators: { password: 's3cret', local: false } });
    connected(hub, 1, 'mallory', '10.0.0.9');
    for (let i = 0; i < LOGIN_FAILURES_PER_NAME; i++) expect(errorTo(hub.handle(1, { kind: 'oper', password: `guess${i}` }, 1), 1).code).toBe('bad-password');
    expect(errorTo(hub.handle(1, { kind: 'oper', password: 's3cret' }, 2), 1)).toMatchObject({ code: 'rate-limited', message: expect.stringContaining('try again in') });
    expect(statsOf(hub.handle(1, { kind: 'stats' }, 2))).toBe(false);
  });

  it('counts a guesser that takes a fresh name and a fresh address of its /64 for every try by its address group', () => {
    // Groups as the server's (src/tcp/address-group.ts): an IPv6 address's first four hextets.
    const originGroup = (origin: string): string => (origin.includes(':') ? `${origin.split(':').slice(0, 4).join(':')}::/64` : origin);
    const hub = new Hub({}, { operators: { password: 's3cret', local: false }, originGroup });
    const codes: string[] = [];
    for (let i = 1; i <= LOGIN_FAILURES_PER_ADDRESS + 1; i++) {
      connected(hub, i, `guesser${i}`, `2001:db8:1:2::${i.toString(16)}`);
      codes.push(errorTo(hub.handle(i, { kind: 'oper', password: `guess${i}` }, 1), i).code);
    }
    expect(codes.slice(0, LOGIN_FAILURES_PER_ADDRESS)).toEqual(new Array(LOGIN_FAILURES_PER_ADDRESS).fill('bad-password'));
    expect(codes[LOGIN_FAILURES_PER_ADDRESS]).toBe('rate-limited');
    // Another address is not held back by it.
    connected(hub, 100, 'alice', '2001:db8:9:9::1');
    expect(errorTo(hub.handle(100, { kind: 'oper', password: 'typo' }, 1), 100).code).toBe('bad-password');
  });

  it('refuses <oper> on a server without a password, saying why; local connections are operators when chosen', () => {
    const none = new Hub();
    connected(none, 1, 'alice', '127.0.0.1');
    expect(errorTo(none.handle(1, { kind: 'oper', password: 'x' }, 1), 1)).toMatchObject({ code: 'refused', message: expect.stringContaining('--operator-password') });
    expect(statsOf(none.handle(1, { kind: 'stats' }, 1))).toBe(false);

    const local = new Hub({}, { operators: { password: undefined, local: true } });
    connected(local, 1, 'ops', '127.0.0.1');
    connected(local, 2, 'remote', '192.0.2.7');
    connected(local, 3, 'mapped', '::ffff:127.0.0.5');
    expect(statsOf(local.handle(1, { kind: 'stats' }, 1))).toBe(true);
    expect(statsOf(local.handle(2, { kind: 'stats' }, 1))).toBe(false);
    expect(statsOf(local.handle(3, { kind: 'stats' }, 1))).toBe(true);
  });

  it('compares passwords whole, and knows loopback addresses', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    for (const wrong of ['', 'ab', 'abcd', 'abd', 'ABC']) expect(sameSecret(wrong, 'abc')).toBe(false);
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a)).toBe(true);
    for (const a of [undefined, '10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '1.127.0.0']) expect(isLoopback(a)).toBe(false);
  });
});
