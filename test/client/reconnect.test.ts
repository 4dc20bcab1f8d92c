// The reconnecting client's pure parts: the backoff, the sign-in line of a comeback, what the chat line
// remembers for a new connection, and the events as `--json` and the terminal show them.
import { describe, expect, it } from 'vitest';
import { formatCommand } from '../../src/commands/grammar.ts';
import { RECONNECT_FIRST_MS, RECONNECT_JITTER, RECONNECT_MAX_ATTEMPTS, RECONNECT_MAX_DELAY_MS } from '../../src/client/constants.ts';
import { comebackCommand, planCarryOver, reconnectDelay, unsureEvent } from '../../src/client/reconnect.ts';
import type { Command } from '../../src/commands/types.ts';
import { toJsonEvent, toTerminalLines } from '../../src/client/render.ts';
import { chooseColors } from '../../src/client/colors.ts';
import { ClientState } from '../../src/client/state.ts';

describe('reconnect backoff', () => {
  it('doubles from the first wait up to the cap, and the tries are bounded', () => {
    const middle = () => 0.5; // no spread
    const waits = Array.from({ length: RECONNECT_MAX_ATTEMPTS }, (_, i) => reconnectDelay(i + 1, middle));
    expect(waits.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 15_000]);
    expect(waits[0]).toBe(RECONNECT_FIRST_MS);
    expect(Math.max(...waits)).toBe(RECONNECT_MAX_DELAY_MS);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    // The first four tries fall within the server's 30 s hold.
    expect(waits.slice(0, 4).reduce((a, b) => a + b, 0)).toBeLessThan(30_000);
  });

  it('spreads each wait by at most RECONNECT_JITTER either way, so clients cut off together come back apart', () => {
    for (let attempt = 1; attempt <= RECONNECT_MAX_ATTEMPTS; attempt++) {
      const plain = reconnectDelay(attempt, () => 0.5);
      const [low, high] = [reconnectDelay(attempt, () => 0), reconnectDelay(attempt, () => 0.999_999)];
      expect(low).toBe(Math.round(plain * (1 - RECONNECT_JITTER)));
      expect(high).toBe(Math.round(plain * (1 + RECONNECT_JITTER)));
    }
    // The first four tries still fall within the server's 30 s hold at their latest.
    const latest = [1, 2, 3, 4].map((a) => reconnectDelay(a, () => 0.999_999));
    expect(latest.reduce((a, b) => a + b, 0)).toBeLessThan(30_000);
    // A thousand clients' first waits are not one instant.
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    expect(new Set(Array.from({ length: 1_000 }, () => reconnectDelay(1, random))).size).toBeGreaterThan(100);
  });
});

describe('the comeback sign-in', () => {
  it('a password first, else the hold token, else the bare name', () => {
    expect(formatCommand(comebackCommand({ name: 'alice', room: 'dev', token: 'ab12', password: 'pw-alice' }))).toBe('<connect>alice pw-alice');
    expect(formatCommand(comebackCommand({ name: 'alice', room: 'dev', token: 'ab12', password: undefined }))).toBe('<reconnect>alice ab12');
    expect(formatCommand(comebackCommand({ name: 'alice', room: undefined, token: undefined, password: undefined }))).toBe('<connect>alice');
  });
});

describe('what a lost connection leaves to resend', () => {
  it('chat lines sent and never echoed, in order; answered ones not', () => {
    const s = new ClientState();
    s.sent({ kind: 'connect', name: 'alice' }, 0);
    s.receive({ kind: 'welcome', name: 'alice', room: 'lobby', text: 'hi' }, 1);
    s.sent({ kind: 'broadcast', text: 'one' }, 2);
    s.sent({ kind: 'users' }, 2);
    s.sent({ kind: 'private', to: 'bob', text: 'two' }, 3);
    s.sent({ kind: 'action', text: 'waves' }, 3);
    s.receive({ kind: 'message', from: 'alice', room: 'lobby', ts: 4, self: true, text: 'one' }, 4);
    expect(s.unanswered()).toEqual([{ kind: 'users' }, { kind: 'private', to: 'bob', text: 'two' }, { kind: 'action', text: 'waves' }]);
    expect(planCarryOver({ unanswered: s.unanswered(), unsent: [] }).resend).toEqual([{ kind: 'users' }, { kind: 'private', to: 'bob', text: 'two' }, { kind: 'action', text: 'waves' }]);
  });

  it('repeats only what is safe to do twice; the rest is told as maybe done, never with its password', () => {
    const unanswered: Command[] = [
      { kind: 'password', old: 'old-secret', password: 'new-secret' },
      { kind: 'join', room: 'dev' },
      { kind: 'register', password: 'reg-secret' },
      { kind: 'broadcast', text: 'hi' },
      { kind: 'leave' },
      { kind: 'unregister', password: 'unreg-secret' },
      { kind: 'topic', text: 'release day' },
      { kind: 'topic' },
      { kind: 'rename', name: 'carol' },
      { kind: 'whois', name: 'bob' },
      { kind: 'hold' },
    ];
    // Never sent: nothing reached the server, so all of it goes (a password change too), the sign-in excepted.
    const unsent: Command[] = [{ kind: 'password', old: 'a-secret', password: 'b-secret' }, { kind: 'connect', name: 'alice' }];
    const plan = planCarryOver({ unanswered, unsent });
    expect(plan.resend).toEqual([{ kind: 'join', room: 'dev' }, { kind: 'broadcast', text: 'hi' }, { kind: 'topic' }, { kind: 'whois', name: 'bob' }, unsent[0]]);
    expect(plan.unsure.map((c) => c.kind)).toEqual(['password', 'register', 'leave', 'unregister', 'topic', 'rename']);
    const told = plan.unsure.map(unsureEvent);
    expect(told.map((e) => e.command)).toEqual(['/password', '/register', '/leave', '/unregister', '/topic', '/nick carol']);
    expect(JSON.stringify(told)).not.toMatch(/secret/);
    for (const e of told) expect(e.check).toMatch(/check|send it again/);
  });

  it('a <reconnect> waits for its welcome like a <connect>, and its refusal is kept', () => {
    const s = new ClientState();
    s.sent({ kind: 'reconnect', name: 'alice', token: 'ab' }, 0);
    expect(s.connecting).toBe(true);
    s.receive({ kind: 'error', code: 'name-taken', message: 'held' }, 1);
    expect(s.connecting).toBe(false);
    expect(s.nameRefusal).toEqual({ code: 'name-taken', message: 'held' });
  });
});

describe('reconnect events', () => {
  const ctx = { me: 'alice', now: 0, colors: chooseColors(false, {}) };
  it('as --json events', () => {
    expect(toJsonEvent({ kind: 'reconnect', event: { phase: 'reconnecting', attempt: 2, of: 20, inMs: 2_000, reason: 'refused' } }, ctx)).toEqual({
      type: 'reconnecting',
      attempt: 2,
      of: 20,
      inMs: 2_000,
      reason: 'refused',
    });
    expect(toJsonEvent({ kind: 'reconnect', event: { phase: 'reconnected', attempt: 3, name: 'alice', room: 'dev' } }, ctx)).toEqual({ type: 'reconnected', attempt: 3, name: 'alice', room: 'dev' });
    expect(toJsonEvent({ kind: 'reconnect', event: { phase: 'gave-up', attempts: 20, reason: 'refused' } }, ctx)).toEqual({ type: 'reconnect-failed', attempts: 20, reason: 'refused' });
    expect(toJsonEvent({ kind: 'reconnect', event: { phase: 'unsure', command: '/register', check: 'c' } }, ctx)).toEqual({ type: 'reconnect-unsure', command: '/register', check: 'c' });
  });

  it('as terminal lines that say what happens to what is typed', () => {
    const [line] = toTerminalLines({ kind: 'reconnect', event: { phase: 'reconnecting', attempt: 1, of: 20, inMs: 1_000, reason: 'the server closed the connection' } }, ctx);
    expect(line).toContain('reconnecting in 1 s (try 1 of 20); what you type is kept');
    // A wait spread by the jitter reads as the whole seconds it is nearest (0.8–1.2 s: "1 s").
    for (const inMs of [800, 1_199]) {
      expect(toTerminalLines({ kind: 'reconnect', event: { phase: 'reconnecting', attempt: 1, of: 20, inMs, reason: 'lost' } }, ctx)[0]).toContain('reconnecting in 1 s (try 1 of 20)');
    }
    expect(toTerminalLines({ kind: 'reconnect', event: { phase: 'reconnected', attempt: 1, name: 'alice', room: 'dev' } }, ctx)[0]).toContain('reconnected: you are alice in #dev');
    expect(toTerminalLines({ kind: 'reconnect', event: unsureEvent({ kind: 'password', old: 'x', password: 'y' }) }, ctx)[0]).toContain(
      '/password was sent just before the connection was lost and may or may not have been done: check with /password NEW NEW',
    );
  });
});
