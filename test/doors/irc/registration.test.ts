// IRC registration, one transition at a time: NICK/USER in any order, CAP negotiation holding the
// claim until CAP END, a refused nick forgotten, numerics for what is wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INITIAL_REGISTRATION, INITIAL_REGISTRATION_WITH_ACCOUNTS, plainCredentials, register, type Registration, type RegistrationEvent } from '../../../src/doors/irc/registration.ts';

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
    expect(register(registered, { type: 'pass', password: 'secret' }).actions[0]).toMatchObject({ code: '462' });
  });

  it('numerics for a bad nick, a missing nick and a short USER', () => {
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: 'a_b' }).actions[0]).toMatchObject({ type: 'numeric', code: '432', params: ['a_b'] });
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: 'x'.repeat(17) }).actions[0]).toMatchObject({ code: '432' });
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: ' ' }).actions[0]).toMatchObject({ code: '431' });
    // A reserved word has a name's shape: the hub refuses it, or lets an account that holds it in.
    expect(register(INITIAL_REGISTRATION, { type: 'nick', nick: 'root' }).actions).not.toContainEqual(expect.objectContaining({ code: '432' }));
    expect(plainCredentials(Buffer.from('\0admin\0pw', 'utf8').toString('base64'))).toEqual({ ok: true, account: 'admin', password: 'pw' });
    expect(register(INITIAL_REGISTRATION, { type: 'user', params: ['a'] }).actions[0]).toMatchObject({ code: '461', params: ['USER'] });
  });
});

describe('IRC registration with accounts (SASL PLAIN, PASS)', () => {
  const plain = (authzid: string, authcid: string, password: string) => Buffer.from(`${authzid}\0${authcid}\0${password}`, 'utf8').toString('base64');
  const negotiated = run([{ type: 'cap-ls', version: 302 }, { type: 'cap-req', caps: 'sasl server-time' }, { type: 'nick', nick: 'alice' }, { type: 'user', params: ['a', '0', '*', 'A'] }], INITIAL_REGISTRATION_WITH_ACCOUNTS).state;

  it('offers sasl=PLAIN with accounts (on CAP LS 302), and no sasl without them', () => {
    expect(register(INITIAL_REGISTRATION_WITH_ACCOUNTS, { type: 'cap-ls', version: 302 }).actions).toEqual([{ type: 'cap-ls', caps: ['echo-message', 'message-tags', 'server-time', 'sasl=PLAIN'] }]);
    expect(register(INITIAL_REGISTRATION_WITH_ACCOUNTS, { type: 'cap-ls' }).actions).toEqual([{ type: 'cap-ls', caps: ['echo-message', 'message-tags', 'server-time', 'sasl'] }]);
    expect(register(INITIAL_REGISTRATION, { type: 'cap-ls', version: 302 }).actions).toEqual([{ type: 'cap-ls', caps: ['echo-message', 'message-tags', 'server-time'] }]);
    expect(register(INITIAL_REGISTRATION, { type: 'cap-req', caps: 'sasl' }).actions).toEqual([{ type: 'cap-nak', caps: 'sasl' }]);
  });

  it('PLAIN: AUTHENTICATE + asks for the payload, the hub checks it, 900/903 and the account is claimed at CAP END', () => {
    const { state, actions } = run([{ type: 'authenticate', param: 'plain' }, { type: 'authenticate', param: plain('', 'Alice', 'pw-1234') }], negotiated);
    expect(actions).toEqual([{ type: 'sasl-continue' }, { type: 'sasl-verify', account: 'Alice', password: 'pw-1234' }]);
    expect(state.phase).toBe('open');
    const ok = run([{ type: 'sasl-verified' }, { type: 'cap-end' }], state);
    expect(ok.actions).toEqual([{ type: 'sasl-success', account: 'Alice' }, { type: 'claim', nick: 'Alice' }]);
    expect(register(ok.state, { type: 'authenticate', param: 'PLAIN' }).actions[0]).toMatchObject({ code: '907' });
  });

  it('a wrong password is 904 (in the hub\'s words, never the password) and another try may follow', () => {
    const verifying = run([{ type: 'authenticate', param: 'PLAIN' }, { type: 'authenticate', param: plain('alice', 'alice', 'wrong-pw') }], negotiated).state;
    const refused = register(verifying, { type: 'sasl-refused', reason: 'wrong password for alice' });
    expect(refused.actions).toEqual([{ type: 'numeric', code: '904', params: [], text: 'SASL authentication failed: wrong password for alice' }]);
    expect(refused.state.sasl).toEqual({ step: 'idle' });
    expect(register(refused.state, { type: 'authenticate', param: 'PLAIN' }).actions).toEqual([{ type: 'sasl-continue' }]);
    // CAP END after a failure claims the nick as a guest would.
    expect(register(refused.state, { type: 'cap-end' }).actions).toEqual([{ type: 'claim', nick: 'alice' }]);
  });

  it('reads a payload in 400-byte chunks, `+` ending one of a multiple of 400; 905 past the bound; 906 on abort; 908 + 904 for another mechanism', () => {
    const long = plain('', 'bob', 'p'.repeat(295)); // 400 base64 bytes exactly
    expect(long.length).toBe(400);
    const exact = run([{ type: 'authenticate', param: 'PLAIN' }, { type: 'authenticate', param: long }], negotiated);
    expect(exact.state.sasl).toEqual({ step: 'reading', payload: long });
    expect(register(exact.state, { type: 'authenticate', param: '+' }).actions).toEqual([{ type: 'sasl-verify', account: 'bob', password: 'p'.repeat(295) }]);
    const over = run([{ type: 'authenticate', param: 'PLAIN' }, ...Array.from({ length: 6 }, () => ({ type: 'authenticate' as const, param: 'A'.repeat(400) }))], negotiated);
    expect(over.actions.at(-1)).toMatchObject({ code: '905' });
    expect(over.state.sasl).toEqual({ step: 'idle' });
    expect(register(negotiated, { type: 'authenticate', param: 'x'.repeat(401) }).actions[0]).toMatchObject({ code: '908' });
    expect(run([{ type: 'authenticate', param: 'PLAIN' }, { type: 'authenticate', param: '*' }], negotiated).actions.at(-1)).toMatchObject({ code: '906' });
    expect(register(negotiated, { type: 'authenticate', param: 'SCRAM-SHA-256' }).actions.map((a) => (a.type === 'numeric' ? a.code : a.type))).toEqual(['908', '904']);
  });

  it('904 for a payload that is not PLAIN, an authzid of someone else, or SASL without the capability', () => {
    for (const payload of ['!!!!', Buffer.from('alice\0pw').toString('base64'), plain('mallory', 'alice', 'pw-1234'), plain('', 'a b', 'pw-1234'), plain('', 'alice', '')]) {
      const t = run([{ type: 'authenticate', param: 'PLAIN' }, { type: 'authenticate', param: payload }], negotiated);
      expect(t.actions.at(-1)).toMatchObject({ type: 'numeric', code: '904' });
      expect(t.state.sasl).toEqual({ step: 'idle' });
    }
    expect(register(INITIAL_REGISTRATION_WITH_ACCOUNTS, { type: 'authenticate', param: 'PLAIN' }).actions[0]).toMatchObject({ code: '904', text: expect.stringContaining('CAP REQ sasl') });
    expect(register(INITIAL_REGISTRATION, { type: 'authenticate', param: 'PLAIN' }).actions[0]).toMatchObject({ code: '904', text: expect.stringContaining('no accounts') });
  });

  it('PASS goes with the claim; a refused claim forgets it and a SASL sign-in', () => {
    const claim = run([{ type: 'pass', password: 'pw-1234' }, { type: 'nick', nick: 'carol' }, { type: 'user', params: ['c', '0', '*', 'C'] }], INITIAL_REGISTRATION_WITH_ACCOUNTS);
    expect(claim.actions).toEqual([{ type: 'claim', nick: 'carol', password: 'pw-1234' }]);
    expect(claim.state.password).toBeUndefined();
    const refused = register(claim.state, { type: 'refused' }).state;
    expect(register(refused, { type: 'nick', nick: 'carol2' }).actions).toEqual([{ type: 'claim', nick: 'carol2' }]);
    const signedIn = run([{ type: 'authenticate', param: 'PLAIN' }, { type: 'authenticate', param: plain('', 'alice', 'pw-1234') }, { type: 'sasl-verified' }, { type: 'cap-end' }, { type: 'refused' }], negotiated).state;
    expect(signedIn.sasl).toEqual({ step: 'idle' });
    expect(register(signedIn, { type: 'nick', nick: 'alice2' }).actions).toEqual([{ type: 'claim', nick: 'alice2' }]);
  });

  it('property: any sequence of events never claims while SASL is open, never puts a password in a numeric, and 903 only after the hub said yes', () => {
    const secret = 'Sekr3t-pw';
    const event = fc.oneof(
      fc.constant<RegistrationEvent>({ type: 'cap-ls', version: 302 }),
      fc.constant<RegistrationEvent>({ type: 'cap-req', caps: 'sasl' }),
      fc.constant<RegistrationEvent>({ type: 'cap-end' }),
      fc.constant<RegistrationEvent>({ type: 'nick', nick: 'alice' }),
      fc.constant<RegistrationEvent>({ type: 'user', params: ['a', '0', '*', 'A'] }),
      fc.constant<RegistrationEvent>({ type: 'pass', password: secret }),
      fc.constantFrom<RegistrationEvent>(
        { type: 'authenticate', param: 'PLAIN' },
        { type: 'authenticate', param: 'EXTERNAL' },
        { type: 'authenticate', param: '*' },
        { type: 'authenticate', param: '+' },
        { type: 'authenticate', param: plain('', 'alice', secret) },
        { type: 'authenticate', param: plain('bob', 'alice', secret) },
        { type: 'authenticate', param: Buffer.from(secret).toString('base64') },
      ),
      fc.string({ maxLength: 40 }).map<RegistrationEvent>((param) => ({ type: 'authenticate', param })),
      fc.constant<RegistrationEvent>({ type: 'sasl-verified' }),
      fc.constant<RegistrationEvent>({ type: 'sasl-refused', reason: 'wrong password for alice' }),
      fc.constant<RegistrationEvent>({ type: 'refused' }),
      fc.constant<RegistrationEvent>({ type: 'welcomed', nick: 'alice' }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        let state = INITIAL_REGISTRATION_WITH_ACCOUNTS;
        let hubSaidYes = false;
        for (const e of events) {
          const before = state;
          const t = register(state, e);
          state = t.state;
          if (e.type === 'sasl-verified' && before.sasl.step === 'verifying') hubSaidYes = true;
          for (const a of t.actions) {
            if (a.type === 'numeric') expect(a.text).not.toContain(secret);
            if (a.type === 'claim') expect(before.sasl.step === 'reading' || before.sasl.step === 'verifying').toBe(false);
            if (a.type === 'sasl-success') expect(hubSaidYes).toBe(true);
            if (a.type === 'sasl-verify') expect(state.sasl.step).toBe('verifying');
          }
          // Only sasl-verified makes a sign-in; a verify is in flight only while reading ended.
          if (state.sasl.step === 'done') expect(hubSaidYes).toBe(true);
          expect(state.sasl.step === 'reading' ? state.sasl.payload.length : 0).toBeLessThanOrEqual(2000);
        }
      }),
    );
  });
});
