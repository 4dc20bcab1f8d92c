// One bracket-door connection: the stateless door (door.ts: framing, one read per line, the words) with
// this connection's penalty budget (src/doors/penalty.ts; costs: costs.ts). Room replies are still
// formatted once for every bracket member: this connection shares BRACKET_DOOR's format.
//
// A line is priced by its verb as it arrives (no parse: the router reads it once, later); a line whose
// verb is known but whose arguments are refused pays the rest of a refused line's price when it is read.
// A line free only while it is of use pays a refused line's price when its answer is an error: a sign-in
// the hub refuses (a bad, taken or held name; wrong passwords stay the login guard's) and a `<transport>`
// with nothing to move; a second `<udp>` is priced so as it arrives (a connection binds once). Lines are
// answered in order (the next is read once the last is answered), so the error that follows such a line
// is its answer.
import { kindOfVerb } from '../../commands/aliases.ts';
import { isTransferVerb } from '../../commands/transfer-syntax.ts';
import { TRANSPORT_VERB, UDP_VERB } from '../../commands/transport-syntax.ts';
import type { ClientLine, CommandKind } from '../../commands/types.ts';
import { readPageArgument } from '../../commands/list-pages.ts';
import { verbOf } from '../../commands/verb.ts';
import type { Outbound } from '../../chat/replies.ts';
import type { ErrorCode } from '../../commands/types.ts';
import type { Admission, ChatView, ConnectionDoor, DoorConnection, SharedFormat } from '../door.ts';
import { PenaltyBudget, type PenaltyRules } from '../penalty.ts';
import { COMMAND_COSTS, NEXT_PAGE_MS, PLUMBING_LINE_MS, REFUSED_LINE_MS, TRANSFER_LINE_COSTS } from './costs.ts';
import { BRACKET_DOOR } from './door.ts';

const GO: Admission = Object.freeze({ type: 'go' });

/** The commands whose long answers come in pages. */
const LISTS: ReadonlySet<CommandKind> = new Set<CommandKind>(['users', 'rooms', 'listfiles']);
/** `<verb>+N` with N ≥ 2 (the grammar's page argument): a further page; page 1 is priced as the listing it is. */
function isNextPage(line: string): boolean {
  const page = readPageArgument(line.slice(line.indexOf('>') + 1).trim());
  return page?.ok === true && page.page >= 2;
}

/** A refused sign-in that is the login guard's to count (wrong passwords, and its wait): not priced here. */
const GUARDED_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['bad-password', 'rate-limited']);

/** A line read whose error answer, should one come, is priced as a refused line. */
type Awaiting = 'sign-in' | 'transport' | undefined;

/** Words of the refusal and of the drop (an `<error>rate-limited` line each). */
export function overBudget(retryMs: number): string {
  return `slow down: too many commands; this line was ignored (try again in ${Math.ceil(retryMs / 1000)} s)`;
}
export const FLOOD_CLOSING = 'too many commands for too long; closing the connection';

export class BracketConnection implements DoorConnection {
  readonly format: SharedFormat = BRACKET_DOOR;
  private readonly budget: PenaltyBudget;
  private awaiting: Awaiting;
  /** When the line being answered was read (a late answer is priced at its line's time). */
  private readAt = 0;
  /** A `<udp>` was read: the next one can only be refused. */
  private udpAsked = false;

  constructor(
    private readonly view: ChatView,
    rules: PenaltyRules,
  ) {
    this.budget = new PenaltyBudget(rules);
  }

  /** What `line` costs on the penalty clock, judged by its verb alone. */
  costOf(line: string): number {
    const verb = verbOf(line);
    if (verb === undefined) return REFUSED_LINE_MS;
    const kind = kindOfVerb(verb);
    if (kind === 'connect' || kind === 'reconnect') return this.view.name() === undefined ? COMMAND_COSTS[kind] : REFUSED_LINE_MS;
    if (kind !== undefined) return LISTS.has(kind) && isNextPage(line) ? NEXT_PAGE_MS : COMMAND_COSTS[kind];
    if (isTransferVerb(verb)) return TRANSFER_LINE_COSTS[verb];
    if (verb === UDP_VERB) return this.udpAsked ? REFUSED_LINE_MS : PLUMBING_LINE_MS;
    if (verb === TRANSPORT_VERB) return PLUMBING_LINE_MS;
    return REFUSED_LINE_MS;
  }

  admit(line: string, now: number): Admission {
    const verdict = this.budget.charge(this.costOf(line), now);
    switch (verdict.type) {
      case 'go':
        return GO;
      case 'hold':
        return verdict;
      case 'refuse':
        return { type: 'refuse', bytes: BRACKET_DOOR.bytes({ kind: 'error', code: 'rate-limited', message: overBudget(verdict.retryMs) }) };
      case 'drop':
        return { type: 'drop', bytes: BRACKET_DOOR.bytes({ kind: 'error', code: 'rate-limited', message: FLOOD_CLOSING }) };
    }
  }

  read(line: string, now: number): ClientLine {
    const read = BRACKET_DOOR.read(line);
    if (read.type === 'refused') this.budget.owe(REFUSED_LINE_MS - this.costOf(line), now);
    this.readAt = now;
    this.awaiting = awaitingFor(read, this.view.name() === undefined);
    if (verbOf(line) === UDP_VERB) this.udpAsked = true;
    return read;
  }

  bytes(reply: Outbound): Uint8Array {
    if (this.awaiting !== undefined && (reply.kind === 'error' || reply.kind === 'greeting' || reply.kind === 'welcome')) {
      if (reply.kind === 'error' && (this.awaiting === 'transport' || !GUARDED_REFUSALS.has(reply.code))) this.budget.owe(REFUSED_LINE_MS, this.readAt);
      this.awaiting = undefined;
    }
    return BRACKET_DOOR.bytes(reply);
  }
}

/** Which read lines are free unless their answer is an error (`unnamed`: the connection has no name yet). */
function awaitingFor(read: ClientLine, unnamed: boolean): Awaiting {
  if (read.type === 'transport') return 'transport';
  if (read.type === 'command' && unnamed && (read.command.kind === 'connect' || read.command.kind === 'reconnect')) return 'sign-in';
  return undefined;
}

/** The bracket door with a penalty budget per connection (undefined rules: the plain, budget-less door). */
export function bracketDoor(rules: PenaltyRules | undefined): ConnectionDoor | typeof BRACKET_DOOR {
  if (rules === undefined) return BRACKET_DOOR;
  return { name: BRACKET_DOOR.name, framer: BRACKET_DOOR.framer, open: (view) => new BracketConnection(view, rules) };
}
