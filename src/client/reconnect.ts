// Coming back after a lost connection, for both shells: wait (backoff, with a countdown the shell can
// show), open a new link, sign in as the same name — `<reconnect>NAME TOKEN` with the token the server
// gave (`<hold>`), or the password of a registered name — go back to the room we were in, and hand the
// new link back. Bounded: RECONNECT_MAX_ATTEMPTS tries, each connect and sign-in with its own timeout.
import { connectCommand } from '../commands/credentials.ts';
import { doublingDelay } from './backoff.ts';
import type { Command, CommandKind } from '../commands/types.ts';
import { RECONNECT_FIRST_MS, RECONNECT_JITTER, RECONNECT_MAX_ATTEMPTS, RECONNECT_MAX_DELAY_MS, WELCOME_TIMEOUT_MS } from './constants.ts';
import { CONNECT_TIMEOUT_MS } from './constants.ts';
import { ChatLink, type LeftOver, type LinkOptions, type OpenResult, type UdpOptions } from './link.ts';
import type { TlsClientOptions } from '../tcp/tls.ts';
import { sameRoom, type SeenLine } from './state.ts';

/** Who we were: what a new connection signs in as and where it goes. */
export interface Comeback {
  name: string;
  room: string | undefined;
  /** The `<hold>` token of the lost connection. */
  token: string | undefined;
  /** A registered name's password (it proves the name without a token). */
  password: string | undefined;
  /** The last line shown in each room: the replay on coming back starts after it (no line shown twice). */
  seen?: ReadonlyMap<string, SeenLine>;
}

/** What the shells show while coming back (`--json`: `reconnecting`, `reconnected`, `reconnect-failed`). */
export type ReconnectEvent =
  | { phase: 'reconnecting'; attempt: number; of: number; inMs: number; reason: string }
  | { phase: 'reconnected'; attempt: number; name: string; room: string }
  | { phase: 'gave-up'; attempts: number; reason: string }
  /** `command` (as typed, without its secrets) went out unanswered and is not repeated: `check` says how to tell whether it was done. */
  | { phase: 'unsure'; command: string; check: string };

/**
 * The wait before try `attempt` (1-based): doubling from RECONNECT_FIRST_MS, capped, then spread by
 * ±RECONNECT_JITTER with `random` (in [0, 1)) so that the clients a crash cut off together do not all
 * knock at the same instants.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const spread = 1 + RECONNECT_JITTER * (2 * random() - 1);
  return Math.round(doublingDelay(RECONNECT_FIRST_MS, attempt, RECONNECT_MAX_DELAY_MS) * spread);
}

/** The sign-in line for a comeback: the password, else the token, else the bare name. */
export function comebackCommand(who: Comeback): Command {
  if (who.password !== undefined) return connectCommand(who.name, who.password);
  if (who.token !== undefined) return { kind: 'reconnect', name: who.name, token: who.token };
  return connectCommand(who.name, undefined);
}

export interface ReconnectOptions {
  who: Comeback;
  /** Why the last connection went (shown with the first try). */
  reason: string;
  /** Opens a new link (not signed in). */
  open: () => Promise<OpenResult>;
  show: (event: ReconnectEvent) => void;
  /** Called every second of a wait with the seconds left (a countdown); optional. */
  tick?: (secondsLeft: number) => void;
  /** True when the user left meanwhile: stop trying. */
  cancelled: () => boolean;
}

/** Wait `ms`, calling `tick` each second with what is left; resolves early (false) when cancelled. */
async function countdown(ms: number, tick: ((secondsLeft: number) => void) | undefined, cancelled: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  // Bounded: one turn per second of the wait.
  for (let turn = 0; turn <= Math.ceil(ms / 1000); turn++) {
    const left = end - Date.now();
    if (cancelled()) return false;
    if (left <= 0) return true;
    tick?.(Math.ceil(left / 1000));
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, left)));
  }
  return !cancelled();
}

/**
 * Tries until signed in again (the new link, back in `who.room` when it can be), or gives up (undefined):
 * after RECONNECT_MAX_ATTEMPTS, when the name is refused for good (a wrong password), or when cancelled.
 */
export async function reconnect(options: ReconnectOptions): Promise<ChatLink | undefined> {
  const { who } = options;
  let reason = options.reason;
  for (let attempt = 1; attempt <= RECONNECT_MAX_ATTEMPTS; attempt++) {
    const inMs = reconnectDelay(attempt);
    options.show({ phase: 'reconnecting', attempt, of: RECONNECT_MAX_ATTEMPTS, inMs, reason });
    if (!(await countdown(inMs, options.tick, options.cancelled))) return undefined;
    const opened = await options.open();
    if (!opened.ok) {
      reason = opened.message;
      continue;
    }
    const link = opened.link;
    if (options.cancelled()) {
      await link.close();
      return undefined;
    }
    if (who.seen !== undefined) link.state.rememberSeen(who.seen);
    link.send(comebackCommand(who));
    const signedIn = await link.awaitSignIn(WELCOME_TIMEOUT_MS);
    if (!signedIn.ok) {
      await link.close();
      reason = signedIn.message;
      // A wrong password stays wrong; a taken name may be our own old session the server has not
      // noticed gone yet, or another's in its hold: try again later.
      if (signedIn.reason === 'refused' && (signedIn.code === 'bad-password' || signedIn.code === 'name-registered' || signedIn.code === 'bad-name')) {
        options.show({ phase: 'gave-up', attempts: attempt, reason });
        return undefined;
      }
      continue;
    }
    const room = link.state.room ?? '';
    if (who.room !== undefined && !sameRoom(room, who.room)) {
      // Signed in afresh (the server restarted, or the hold ran out): back to our room.
      link.send({ kind: 'join', room: who.room });
      await link.waitUntil(() => link.closed || (link.state.room !== undefined && sameRoom(link.state.room, who.room ?? '')), WELCOME_TIMEOUT_MS);
    }
    options.show({ phase: 'reconnected', attempt, name: link.state.name ?? who.name, room: link.state.room ?? room });
    return link;
  }
  options.show({ phase: 'gave-up', attempts: RECONNECT_MAX_ATTEMPTS, reason });
  return undefined;
}

/** Kinds never carried over to a new connection: the sign-in is the comeback's own, a goodbye ends it. */
const NOT_CARRIED: ReadonlySet<CommandKind> = new Set<CommandKind>(['connect', 'reconnect', 'disconnect', 'hold']);

/**
 * Sent and never answered, these go out again on the new connection: doing them twice does no harm.
 * Chat lines by their own rule (a line whose echo never came is sent again: a rare double beats a lost
 * line); joins, lists, whois, help, stats, history pages, away and oper end in the same state however
 * often they are done; `/topic` only when it asks rather than sets.
 */
const REPEATABLE: ReadonlySet<CommandKind> = new Set<CommandKind>(['broadcast', 'private', 'action', 'join', 'users', 'rooms', 'listfiles', 'whois', 'help', 'stats', 'history', 'away', 'oper']);

function repeatable(command: Command): boolean {
  return REPEATABLE.has(command.kind) || (command.kind === 'topic' && command.text === undefined);
}

/** What a new connection does with what the lost one left behind. */
export interface CarryPlan {
  /** Sent again, in order: the repeatable unanswered commands, then every command never sent. */
  resend: Command[];
  /** Unanswered and not safe to repeat: the user is told to check (a `/password` twice would fail, a `/leave` twice leave another room). */
  unsure: Command[];
}

/** Sorts what a lost connection left behind into what to send again and what to tell the user about. */
export function planCarryOver(left: LeftOver): CarryPlan {
  const unanswered = left.unanswered.filter((c) => !NOT_CARRIED.has(c.kind));
  return {
    resend: [...unanswered.filter(repeatable), ...left.unsent.filter((c) => !NOT_CARRIED.has(c.kind))],
    unsure: unanswered.filter((c) => !repeatable(c)),
  };
}

/** How `command` reads to its user (never with a password), and how to tell whether the server did it. */
export function unsureEvent(command: Command): Extract<ReconnectEvent, { phase: 'unsure' }> {
  switch (command.kind) {
    case 'register':
      return { phase: 'unsure', command: '/register', check: 'send it again: "registered already" means it was done' };
    case 'password':
      return { phase: 'unsure', command: '/password', check: 'check with /password NEW NEW: accepted if it was done, "wrong password" if not' };
    case 'unregister':
      return { phase: 'unsure', command: '/unregister', check: 'send it again: "is not registered" means it was done' };
    case 'rename':
      return { phase: 'unsure', command: `/nick ${command.name}`, check: 'check with /whois' };
    case 'leave':
      return { phase: 'unsure', command: '/leave', check: 'check with /rooms' };
    case 'topic':
      return { phase: 'unsure', command: '/topic', check: 'check with /topic' };
    default:
      return { phase: 'unsure', command: `<${command.kind}>`, check: 'check before sending it again' };
  }
}

/**
 * The new link takes over from the old: file transfers go through it, the `/query` partner stays, what
 * was typed and not answered goes out again when that is safe (the user is told of the rest), then what
 * was never sent and `typedMeanwhile`, in order, and the downloads that were running are asked for again
 * (each resumes from its verified part).
 */
export async function carryOver(
  old: ChatLink,
  next: ChatLink,
  transfers: { attach(link: ChatLink): void; download(name: string): Promise<void> },
  downloads: readonly string[],
  show: (event: ReconnectEvent) => void,
  typedMeanwhile: readonly Command[] = [],
): Promise<void> {
  transfers.attach(next);
  next.state.setQuery(old.state.query);
  const plan = planCarryOver(old.leftBehind);
  for (const command of plan.unsure) show(unsureEvent(command));
  for (const command of [...plan.resend, ...typedMeanwhile.filter((c) => !NOT_CARRIED.has(c.kind))]) next.send(command);
  for (const name of downloads) await transfers.download(name);
}

/** Where a shell connects (its options), and what each of its links reports to. */
export interface LinkTarget {
  host: string;
  port: number;
  udp?: UdpOptions;
  tls?: TlsClientOptions;
}

/** The shells' one way to open a link (the first, and each comeback's): same server, same hooks. */
export function linkOpener(target: LinkTarget, parts: Pick<LinkOptions, 'show' | 'files' | 'hold' | 'closed' | 'queued'>): () => Promise<OpenResult> {
  return () =>
    ChatLink.open({
      host: target.host,
      port: target.port,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      clock: Date.now,
      ...parts,
      ...(target.udp !== undefined ? { udp: target.udp } : {}),
      ...(target.tls !== undefined ? { tls: target.tls } : {}),
    });
}
