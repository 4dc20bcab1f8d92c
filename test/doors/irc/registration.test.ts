// IRC registration, one transition at a time: NICK/USER in any order, CAP negotiation holding the
// claim until CAP END, a refused nick forgotten, numerics for what is wrong.
import { describe, expect, it } from 'vitest';
import { INITIAL_REGISTRATION, register, type Registration, type RegistrationEvent } from '../../../src/doors/irc/registration.ts';

function run(events: RegistrationEvent[], from: Registration = INITIAL_REGISTRATION) {
  let state = from;
  const actions = [];
  for (const e of events) {
    const t = register(state, e);
    state = t.state;
    actions.push(...t.actions);
  }
  return { state, actions };
}

describe('IRC registration', () => {
  it('claims the nick once NICK and USER are in, in either order', () => {
    for (const events of [
      [{ type: 'nick', nick: 'alice' }, { type: 'user', params: ['a', '0', '*', 'A'] }],
      [{ type: 'user', params: ['a', '0', '*', 'A'] }, { type: 'nick', nick: 'alice' }],
    ] as RegistrationEvent[][]) {
      const { state, actions } = run(events);
      expect(actions).toEqual([{ type: 'claim', nick: 'alice' }]);
      expect(state.phase).toBe('claiming');
    }
  });

  it('holds the claim while CAP is negotiated, and takes the capabilities asked for', () => {
    const { state, actions } = run([{ type: 'cap-ls' }, { type: 'nick', nick: 'bob' }, { type: 'user', params: ['b', '0', '*', 'B'] }, { type: 'cap-req', caps: 'server-time echo-message' }]);
    expect(state.phase).toBe('open');
    expect(actions.map((a) => a.type)).toEqual(['cap-ls', 'cap-ack']);
    expect([...state.caps].sort()).toEqual(['echo-message', 'server-time']);
    const end = register(state, { type: 'cap-end' });
    expect(end.actions).toEqual([{ type: 'claim', nick: 'bob' }]);
  });

  it('refuses a CAP REQ with an unknown capability whole', () => {
    const { state, actions } = run([{ type: 'cap-req', caps: 'server-time sasl' }]);
    expect(actions).toEqual([{ type: 'cap-nak', caps: 'server-time sasl' }]);
    expect(state.caps.size).toBe(0);
    expect(run([{ type: 'cap-req', caps: 'server-time' }, { type: 'cap-req', caps: '-server-time' }]).state.caps.size).toBe(0);
  });

  it('a refused nick is forgotten; the next NICK claims again', () => {
    const claiming = run([{ type: 'nick', nick: 'carol' }, { type: 'user', params: ['c', '0', '*', 'C'] }]).state;
    const refused = register(claiming, { type: 'refused' }).state;
    expect(refused).toMatchObject({ phase: 'open', nick: undefined, user: true });
    expect(register(refused, { type: 'nick', nick: 'carol2' }).actions).toEqual([{ type: 'claim', nick: 'carol2' }]);
  });

  it('after the welcome: NICK is a rename, USER and PASS are 462', () => {
    const registered = register(INITIAL_REGISTRATION, { type: 'welcomed', nick: 'dan' }).state;
    expect(register(registered, { type: 'nick', nick: 'dan2' }).actions).toEqual([{ type: 'rename', nick: 'dan2' }]);
    expect(register(registered, { type: 'user', params: ['d', '0', '*', 'D'] }).actions[0]).toMatchObject({ code: '462' });
    expect(register(registered, { type: 'pass' }).actions[0]).toMatchObject({ code: '462' });
  });

  it('numerics for a bad nick, a missing nick and a short USER', () => {
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: 'a_b' }).actions[0]).toMatchObject({ type: 'numeric', code: '432', params: ['a_b'] });
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: 'x'.repeat(17) }).actions[0]).toMatchObject({ code: '432' });
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: ' ' }).actions[0]).toMatchObject({ code: '431' });
    expect(register(INITIAL_REGISTRATION, { type: 'user', params: ['a'] }).actions[0]).toMatchObject({ code: '461', params: ['USER'] });
  });
});
