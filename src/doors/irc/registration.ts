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
// whole or refused whole (IRCv3: ACK/NAK of the entire request). `sasl` is offered only by a server
// that keeps accounts.
//
// Accounts (a server with them):
//   PASS password      → kept until the claim, which signs the nick in with it if the nick is registered
//   SASL PLAIN         → sasl 'idle' → AUTHENTICATE PLAIN → 'reading' (AUTHENTICATE +; base64 chunks of
//                        400 bytes, a shorter chunk or `+` ends the payload) → 'verifying' (the hub checks
//                        the password: `verify`) → 'done' (900, 903; the claim is for the account's name)
//                        or back to 'idle' (904); `AUTHENTICATE *` aborts (906), a payload over the bound
//                        is 905, another mechanism 908 + 904, AUTHENTICATE once done 907.
import { checkUserName, nameKey } from '../../chat/names.ts';
import { SASL_CHUNK_BYTES, SASL_PAYLOAD_MAX_BYTES } from './constants.ts';

/** The IRCv3 capabilities the door knows; `sasl` only with accounts. */
export const IRC_CAPS = ['echo-message', 'message-tags', 'server-time', 'sasl'] as const;
export type IrcCap = (typeof IRC_CAPS)[number];

/** The one SASL mechanism offered: PLAIN (the password goes to the hub, which checks it as a login does). */
export const SASL_MECHANISMS = 'PLAIN';

/** Where a SASL exchange is. */
export type SaslState =
  | { step: 'idle' }
  /** AUTHENTICATE PLAIN was accepted; the base64 payload read so far. */
  | { step: 'reading'; payload: string }
  /** The hub is checking the password. */
  | { step: 'verifying'; account: string }
  /** Signed in as `account`. */
  | { step: 'done'; account: string };

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
  /** The capabilities this server offers (`sasl` when it keeps accounts). */
  readonly offered: readonly IrcCap[];
  readonly sasl: SaslState;
  /** PASS's password, until the claim takes it (held in memory only, never said back). */
  readonly password: string | undefined;
}

export type RegistrationEvent =
  | { type: 'nick'; nick: string }
  | { type: 'user'; params: readonly string[] }
  | { type: 'pass'; password: string }
  /** CAP LS, with its version (302 asks for values: `sasl=PLAIN`). */
  | { type: 'cap-ls'; version?: number }
  | { type: 'cap-req'; caps: string }
  | { type: 'cap-end' }
  /** The hub welcomed the connection under `nick`. */
  | { type: 'welcomed'; nick: string }
  /** The hub refused the nick (taken or invalid). */
  | { type: 'refused' }
  /** A registered connection's rename went through: it is `nick` now. */
  | { type: 'renamed'; nick: string }
  /** AUTHENTICATE with its one parameter. */
  | { type: 'authenticate'; param: string }
  /** The hub found the SASL password right. */
  | { type: 'sasl-verified' }
  /** The hub refused it; `reason` is the hub's words (never the password). */
  | { type: 'sasl-refused'; reason: string };

/** What the connection says or asks, for the event. */
export type RegistrationAction =
  /** Ask the hub for `nick` (a `connect`), signing in with PASS's `password` when one was given. */
  | { type: 'claim'; nick: string; password?: string }
  /**
   * A numeric: 431 no nick, 432 bad nick, 461 too few parameters, 462 already registered; SASL's 904
   * failed, 905 too long, 906 aborted, 907 already signed in, 908 the mechanisms.
   */
  | { type: 'numeric'; code: '431' | '432' | '461' | '462' | '904' | '905' | '906' | '907' | '908'; params: string[]; text: string }
  /** CAP LS's words (`sasl=PLAIN` for version 302). */
  | { type: 'cap-ls'; caps: readonly string[] }
  | { type: 'cap-ack'; caps: string }
  | { type: 'cap-nak'; caps: string }
  /** The nick is held: changing it after registration is a hub rename. */
  | { type: 'rename'; nick: string }
  /** AUTHENTICATE +: send the payload. */
  | { type: 'sasl-continue' }
  /** Ask the hub to check `account`'s password (the hub's `authenticate`). */
  | { type: 'sasl-verify'; account: string; password: string }
  /** Signed in as `account`: 900 and 903. */
  | { type: 'sasl-success'; account: string };

function initial(offered: readonly IrcCap[]): Registration {
  return Object.freeze({ phase: 'open', nick: undefined, user: false, negotiating: false, caps: new Set<IrcCap>(), offered, sasl: IDLE, password: undefined });
}

const IDLE: SaslState = Object.freeze({ step: 'idle' });

/** A connection's start on a server without accounts (no `sasl`). */
export const INITIAL_REGISTRATION: Registration = initial(IRC_CAPS.filter((c) => c !== 'sasl'));

/** A connection's start on a server with accounts (`sasl` offered). */
export const INITIAL_REGISTRATION_WITH_ACCOUNTS: Registration = initial(IRC_CAPS);

export interface Transition {
  state: Registration;
  actions: RegistrationAction[];
}

/**
 * A nick's or an account's shape only: a reserved word is the hub's to refuse, since an account registered
 * under it before the word was reserved still signs in (the hub knows the accounts, this module does not).
 */
const SHAPE_ONLY = (): boolean => true;

/** The state after `event`, and what to say or ask. Never throws. */
export function register(state: Registration, event: RegistrationEvent): Transition {
  switch (event.type) {
    case 'nick': {
      const checked = checkUserName(event.nick, SHAPE_ONLY);
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
      if (state.phase !== 'open') return same(state, { type: 'numeric', code: '462', params: [], text: 'You may not reregister' });
      return same({ ...state, password: event.password });
    case 'cap-ls': {
      const caps = state.offered.map((c) => (c === 'sasl' && (event.version ?? 0) >= 302 ? `sasl=${SASL_MECHANISMS}` : c));
      return { state: state.phase === 'registered' ? state : { ...state, negotiating: true }, actions: [{ type: 'cap-ls', caps }] };
    }
    case 'cap-req': {
      const negotiating = state.phase === 'registered' ? state : { ...state, negotiating: true };
      const caps = new Set(state.caps);
      for (const word of event.caps.split(' ').filter((w) => w !== '').slice(0, IRC_CAPS.length * 2)) {
        const off = word.startsWith('-');
        const name = off ? word.slice(1) : word;
        if (!isCap(name) || !state.offered.includes(name)) return same(negotiating, { type: 'cap-nak', caps: event.caps });
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
      // The nick, PASS's password and a SASL sign-in whose name was refused are forgotten: the next NICK claims afresh.
      return same(state.phase === 'claiming' ? { ...state, phase: 'open', nick: undefined, password: undefined, sasl: state.sasl.step === 'done' ? IDLE : state.sasl } : state);
    case 'renamed':
      return same(state.phase === 'registered' ? { ...state, nick: event.nick } : state);
    case 'authenticate':
      return authenticate(state, event.param);
    case 'sasl-verified':
      if (state.sasl.step !== 'verifying') return same(state);
      return same({ ...state, sasl: { step: 'done', account: state.sasl.account } }, { type: 'sasl-success', account: state.sasl.account });
    case 'sasl-refused':
      if (state.sasl.step !== 'verifying') return same(state);
      return same({ ...state, sasl: IDLE }, saslFailed(event.reason));
  }
}

/** One AUTHENTICATE line (IRCv3 sasl-3.1/3.2). */
function authenticate(state: Registration, param: string): Transition {
  const sasl = state.sasl;
  if (sasl.step === 'done') return same(state, { type: 'numeric', code: '907', params: [], text: 'You have already authenticated using SASL' });
  if (!state.caps.has('sasl')) return same(state, saslFailed(state.offered.includes('sasl') ? 'CAP REQ sasl first' : 'this server keeps no accounts'));
  if (state.phase !== 'open') return same(state, saslFailed('SASL is only available before registration'));
  if (param === '*') return same({ ...state, sasl: IDLE }, { type: 'numeric', code: '906', params: [], text: 'SASL authentication aborted' });
  switch (sasl.step) {
    case 'idle':
      if (param.toUpperCase() !== SASL_MECHANISMS) {
        return same(state, { type: 'numeric', code: '908', params: [SASL_MECHANISMS], text: 'are available SASL mechanisms' }, saslFailed(`mechanism not offered: ${SASL_MECHANISMS} only`));
      }
      return same({ ...state, sasl: { step: 'reading', payload: '' } }, { type: 'sasl-continue' });
    case 'verifying':
      // The session's queue holds lines while the hub answers; should one get here, it is refused.
      return same(state, saslFailed('a sign-in is still being checked'));
    case 'reading': {
      if (param.length > SASL_CHUNK_BYTES) return same({ ...state, sasl: IDLE }, { type: 'numeric', code: '905', params: [], text: 'SASL message too long' });
      const payload = param === '+' ? sasl.payload : sasl.payload + param;
      if (payload.length > SASL_PAYLOAD_MAX_BYTES) return same({ ...state, sasl: IDLE }, { type: 'numeric', code: '905', params: [], text: 'SASL message too long' });
      // A chunk of exactly 400 bytes says more follows (the last may be `+`).
      if (param.length === SASL_CHUNK_BYTES) return same({ ...state, sasl: { step: 'reading', payload } });
      const credentials = plainCredentials(payload);
      if (!credentials.ok) return same({ ...state, sasl: IDLE }, saslFailed(credentials.reason));
      return same(
        { ...state, sasl: { step: 'verifying', account: credentials.account } },
        { type: 'sasl-verify', account: credentials.account, password: credentials.password },
      );
    }
  }
}

type PlainCredentials = { ok: true; account: string; password: string } | { ok: false; reason: string };

/** A PLAIN payload (RFC 4616): base64 of `authzid NUL authcid NUL passwd`; authzid empty or the account itself. */
export function plainCredentials(base64: string): PlainCredentials {
  if (base64 === '' || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return { ok: false, reason: 'the payload is not base64' };
  const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return { ok: false, reason: 'a PLAIN payload is authzid NUL authcid NUL password' };
  const [authzid, authcid, password] = parts as [string, string, string];
  const checked = checkUserName(authcid, SHAPE_ONLY);
  if (!checked.ok) return { ok: false, reason: `the account is not a name here: ${checked.message}` };
  if (authzid !== '' && nameKey(authzid) !== nameKey(checked.name)) return { ok: false, reason: 'the authorization identity must be empty or the account itself' };
  if (password === '') return { ok: false, reason: 'no password given' };
  return { ok: true, account: checked.name, password };
}

function saslFailed(reason: string): RegistrationAction {
  return { type: 'numeric', code: '904', params: [], text: `SASL authentication failed: ${reason}` };
}

/**
 * Claim once a nick (or a SASL sign-in) and USER are in and no negotiation is open. A SASL sign-in
 * claims the account's name whatever NICK said (the name is the account), PASS's password goes with
 * the claim.
 */
function maybeClaim(state: Registration): Transition {
  if (state.phase === 'open' && state.nick !== undefined && state.user && !state.negotiating) {
    const signedIn = state.sasl.step === 'done' ? state.sasl.account : undefined;
    const claim: RegistrationAction =
      signedIn !== undefined || state.password === undefined ? { type: 'claim', nick: signedIn ?? state.nick } : { type: 'claim', nick: state.nick, password: state.password };
    return { state: { ...state, phase: 'claiming', password: undefined }, actions: [claim] };
  }
  return same(state);
}

function same(state: Registration, ...actions: RegistrationAction[]): Transition {
  return { state, actions };
}

function isCap(name: string): name is IrcCap {
  return (IRC_CAPS as readonly string[]).includes(name);
}
