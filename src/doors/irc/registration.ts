// An IRC connection's registration and capabilities: every state transition in this one module (as h11
// keeps HTTP's), a pure function of the state and one event.
//
//   phase 'open'       → NICK, USER, PASS, CAP in any order; registration is asked of the hub (`claim`)
//                        once a nick and USER are in and no CAP negotiation is open (CAP LS/REQ opens
//                        one, CAP END closes it: IRCv3 capability negotiation)
//   phase 'claiming'   → the hub is deciding the nick; lines wait (the session's queue holds them)
//   phase 'registered' → welcomed under a nick; a taken or invalid nick in 'claiming' goes back to 'open'
//                        with the nick forgotten (the client sends another NICK); NICK now asks the hub
//                        for a rename (`rename`), and the nick follows once it went through
//
// Capabilities (CAP LS 302, CAP REQ, CAP LIST) are negotiated in any phase; a CAP REQ is acknowledged
// whole or refused whole (IRCv3: ACK/NAK of the entire request).
import { checkUserName } from '../../chat/names.ts';

/** The IRCv3 capabilities the door offers. */
export const IRC_CAPS = ['echo-message', 'message-tags', 'server-time'] as const;
export type IrcCap = (typeof IRC_CAPS)[number];

export type RegistrationPhase = 'open' | 'claiming' | 'registered';

export interface Registration {
  readonly phase: RegistrationPhase;
  /** The nick asked for (open, claiming) or held (registered). */
  readonly nick: string | undefined;
  /** USER was sent. */
  readonly user: boolean;
  /** A CAP negotiation is open (CAP LS or REQ before registration, until CAP END). */
  readonly negotiating: boolean;
  readonly caps: ReadonlySet<IrcCap>;
}

export type RegistrationEvent =
  | { type: 'nick'; nick: string }
  | { type: 'user'; params: readonly string[] }
  | { type: 'pass' }
  | { type: 'cap-ls' }
  | { type: 'cap-req'; caps: string }
  | { type: 'cap-end' }
  /** The hub welcomed the connection under `nick`. */
  | { type: 'welcomed'; nick: string }
  /** The hub refused the nick (taken or invalid). */
  | { type: 'refused' }
  /** A registered connection's rename went through: it is `nick` now. */
  | { type: 'renamed'; nick: string };

/** What the connection says or asks, for the event. */
export type RegistrationAction =
  /** Ask the hub for `nick` (a `connect`). */
  | { type: 'claim'; nick: string }
  /** A numeric refusal: 431 no nick, 432 bad nick, 461 too few parameters, 462 already registered. */
  | { type: 'numeric'; code: '431' | '432' | '461' | '462'; params: string[]; text: string }
  | { type: 'cap-ls'; caps: readonly IrcCap[] }
  | { type: 'cap-ack'; caps: string }
  | { type: 'cap-nak'; caps: string }
  /** The nick is held: changing it after registration is a hub rename. */
  | { type: 'rename'; nick: string };

export const INITIAL_REGISTRATION: Registration = Object.freeze({ phase: 'open', nick: undefined, user: false, negotiating: false, caps: new Set<IrcCap>() });

export interface Transition {
  state: Registration;
  actions: RegistrationAction[];
}

/** The state after `event`, and what to say or ask. Never throws. */
export function register(state: Registration, event: RegistrationEvent): Transition {
  switch (event.type) {
    case 'nick': {
      const checked = checkUserName(event.nick);
      if (event.nick.trim() === '') return same(state, { type: 'numeric', code: '431', params: [], text: 'No nickname given' });
      if (!checked.ok) return same(state, { type: 'numeric', code: '432', params: [event.nick.slice(0, 32)], text: `Erroneous nickname: ${checked.message}` });
      if (state.phase === 'registered') return same(state, { type: 'rename', nick: checked.name });
      if (state.phase === 'claiming') return same(state);
      return maybeClaim({ ...state, nick: checked.name });
    }
    case 'user':
      if (state.phase !== 'open' || state.user) return same(state, { type: 'numeric', code: '462', params: [], text: 'You may not reregister' });
      if (event.params.length < 4 || event.params[0] === '') return same(state, { type: 'numeric', code: '461', params: ['USER'], text: 'Not enough parameters' });
      return maybeClaim({ ...state, user: true });
    case 'pass':
      // No accounts yet (the store issue brings them): a password is taken and not checked.
      if (state.phase !== 'open') return same(state, { type: 'numeric', code: '462', params: [], text: 'You may not reregister' });
      return same(state);
    case 'cap-ls':
      return { state: state.phase === 'registered' ? state : { ...state, negotiating: true }, actions: [{ type: 'cap-ls', caps: IRC_CAPS }] };
    case 'cap-req': {
      const negotiating = state.phase === 'registered' ? state : { ...state, negotiating: true };
      const caps = new Set(state.caps);
      for (const word of event.caps.split(' ').filter((w) => w !== '').slice(0, IRC_CAPS.length * 2)) {
        const off = word.startsWith('-');
        const name = off ? word.slice(1) : word;
        if (!isCap(name)) return same(negotiating, { type: 'cap-nak', caps: event.caps });
        if (off) caps.delete(name);
        else caps.add(name);
      }
      return { state: { ...negotiating, caps }, actions: [{ type: 'cap-ack', caps: event.caps }] };
    }
    case 'cap-end':
      return state.phase === 'registered' || !state.negotiating ? same(state) : maybeClaim({ ...state, negotiating: false });
    case 'welcomed':
      return same({ ...state, phase: 'registered', nick: event.nick, negotiating: false });
    case 'refused':
      return same(state.phase === 'claiming' ? { ...state, phase: 'open', nick: undefined } : state);
    case 'renamed':
      return same(state.phase === 'registered' ? { ...state, nick: event.nick } : state);
  }
}

function maybeClaim(state: Registration): Transition {
  if (state.phase === 'open' && state.nick !== undefined && state.user && !state.negotiating) {
    return { state: { ...state, phase: 'claiming' }, actions: [{ type: 'claim', nick: state.nick }] };
  }
  return same(state);
}

function same(state: Registration, ...actions: RegistrationAction[]): Transition {
  return { state, actions };
}

function isCap(name: string): name is IrcCap {
  return (IRC_CAPS as readonly string[]).includes(name);
}
