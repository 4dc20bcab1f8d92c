// One IRC connection: its registration (registration.ts), its negotiated capabilities, its flood budget
// (src/doors/penalty.ts), the nick its numerics are addressed to. A line is read into steps for the
// server — hub commands (several rooms per connection: the hub's `enter`, `part`, `say`), numerics of
// its own, an end — and every reply addressed to this connection alone is worded here; replies to a room
// are the shared format's (format.ts), one per variant (with the server-time tag or without).
import { TOPIC_MAX_LENGTH, type HubCommand } from '../../chat/hub.ts';
import { checkRoomName, nameKey } from '../../chat/names.ts';
import type { Outbound } from '../../chat/replies.ts';
import { formatReply } from '../../commands/grammar.ts';
import type { Admission, ChatView, DoorConnection, DoorInput, DoorStep, HubStep, SharedFormat } from '../door.ts';
import { PenaltyBudget, type PenaltyRules } from '../penalty.ts';
import {
  IRC_CHANNEL_MAX_LENGTH,
  IRC_COMMAND_COSTS,
  IRC_FLOOD_ERROR,
  IRC_LINE_COST_MS,
  IRC_MAX_CHANNELS,
  IRC_MAX_LIST_LINES,
  IRC_MAX_TARGETS,
  IRC_NICK_MAX_LENGTH,
  IRC_SERVER_NAME,
  IRC_USER_HOST,
} from './constants.ts';
import { channel, mask, roomText, serverLine, textLines } from './format.ts';
import { parseIrc, serverTimeTag, type IrcMessage } from './message.ts';
import { filesNotice, ircHelpLines, motdLines } from './prose.ts';
import { historyPrefix, nickServReply, nickServStep, NICKSERV } from './nickserv.ts';
import {
  INITIAL_REGISTRATION,
  INITIAL_REGISTRATION_WITH_ACCOUNTS,
  register,
  type Registration,
  type RegistrationAction,
  type RegistrationEvent,
} from './registration.ts';

const EMPTY = new Uint8Array(0);
const CTCP = '\u0001';

export interface IrcConnectionOptions {
  /** The flood budget's rules; undefined: no budget (a server without rate limits). */
  penalty: PenaltyRules | undefined;
  /** Where the shared files are, in a sentence (the notice after the welcome). */
  filesHint: string;
  /** The lobby's name (the MOTD mentions it). */
  defaultRoom: string;
  /** The server's version, for 002/004. */
  version: string;
  /** The server keeps accounts: SASL PLAIN is offered, PASS signs a registered nick in, NickServ answers. */
  accounts: boolean;
}

/** The formats a connection's room replies are shared in. */
export interface IrcFormats {
  plain: SharedFormat;
  timed: SharedFormat;
}

/** Commands a connection may send before it is registered (anything else: 451). */
const BEFORE_REGISTRATION = new Set(['CAP', 'NICK', 'USER', 'PASS', 'AUTHENTICATE', 'PING', 'PONG', 'QUIT']);

/** A PRIVMSG's text as CTCP sees it: plain text, an ACTION (`\x01ACTION waves\x01` → `waves`), or another request. */
function readCtcp(text: string): { type: 'plain' } | { type: 'action'; text: string } | { type: 'other' } {
  if (!text.startsWith(CTCP)) return { type: 'plain' };
  const body = text.slice(1, text.endsWith(CTCP) ? -1 : undefined);
  return body.toUpperCase().startsWith('ACTION ') ? { type: 'action', text: body.slice(7) } : { type: 'other' };
}

export class IrcConnection implements DoorConnection {
  private reg: Registration = INITIAL_REGISTRATION;
  private readonly budget: PenaltyBudget | undefined;
  /** The hub command being answered: its refusals are worded for it. */
  private asked: HubStep | undefined;
  /** The last quit or rename this connection was told of (a user in several shared rooms quits or renames once). */
  private lastSeen: { name: string; ts: number } = { name: '', ts: Number.NaN };
  /** Why the hub refused the SASL password being checked (its words, never the password); undefined: not refused. */
  private saslRefusal: string | undefined;

  constructor(
    private readonly view: ChatView,
    private readonly formats: IrcFormats,
    private readonly options: IrcConnectionOptions,
  ) {
    this.budget = options.penalty === undefined ? undefined : new PenaltyBudget(options.penalty);
    this.reg = options.accounts ? INITIAL_REGISTRATION_WITH_ACCOUNTS : INITIAL_REGISTRATION;
    this.format = formats.plain;
  }

  /** The variant this connection's room replies are shared in (read once per member of every room reply: a field, kept with the capabilities). */
  format: SharedFormat;
  private timed = false;

  private setRegistration(state: Registration): void {
    this.reg = state;
    this.timed = state.caps.has('server-time');
    this.format = this.timed ? this.formats.timed : this.formats.plain;
  }

  /** Numerics' target: the nick once registered, else `*`. */
  private get me(): string {
    return this.reg.phase === 'registered' && this.reg.nick !== undefined ? this.reg.nick : '*';
  }

  // ---- in ---------------------------------------------------------------------------------------

  admit(line: string, now: number): Admission {
    if (this.budget === undefined) return GO;
    const cost = IRC_COMMAND_COSTS[verbOf(line)] ?? IRC_LINE_COST_MS;
    const verdict = this.budget.charge(cost, now);
    switch (verdict.type) {
      case 'go':
      case 'hold':
        return verdict;
      case 'refuse':
        return { type: 'refuse', bytes: bytes(serverLine('NOTICE', this.me, [], `Flood: line ignored; you are ${Math.ceil(verdict.retryMs / 1000)} s over the budget, slow down`)) };
      case 'drop':
        return { type: 'drop', bytes: bytes(`ERROR :${IRC_FLOOD_ERROR}\r\n`) };
    }
  }

  read(line: string, _now: number): DoorInput {
    const m = parseIrc(line);
    if (m === undefined) return this.steps(this.numeric('400', ['*'], malformed(line)));
    const command = m.command.toUpperCase();
    if (this.reg.phase !== 'registered' && !BEFORE_REGISTRATION.has(command)) {
      return this.steps(this.numeric('451', [], 'You have not registered'));
    }
    return { type: 'steps', steps: this.command(command, m) };
  }

  asking(step: HubStep | undefined): void {
    this.asked = step;
  }

  skip(reply: Outbound): boolean {
    let name: string;
    if (reply.kind === 'left' && reply.reason !== 'moved') name = reply.name;
    else if (reply.kind === 'renamed') name = `${reply.from}\0`;
    else return false;
    if (name === this.lastSeen.name && reply.ts === this.lastSeen.ts) return true;
    this.lastSeen = { name, ts: reply.ts };
    return false;
  }

  private command(command: string, m: IrcMessage): DoorStep[] {
    const p = m.params;
    switch (command) {
      case 'CAP':
        return this.cap(p);
      case 'NICK':
        return p[0] === undefined ? this.numeric('431', [], 'No nickname given') : this.registration({ type: 'nick', nick: p[0] });
      case 'USER':
        return this.registration({ type: 'user', params: p });
      case 'PASS':
        return p[0] === undefined ? this.numeric('461', ['PASS'], 'Not enough parameters') : this.registration({ type: 'pass', password: p[0] });
      case 'AUTHENTICATE':
        return p[0] === undefined ? this.numeric('461', ['AUTHENTICATE'], 'Not enough parameters') : this.registration({ type: 'authenticate', param: p[0] });
      case 'NICKSERV':
      case 'NS':
        return this.nickServ(p.join(' '));
      case 'PING':
        return p[0] === undefined ? this.numeric('409', [], 'No origin specified') : send(`:${IRC_SERVER_NAME} PONG ${IRC_SERVER_NAME} :${p[0]}\r\n`);
      case 'PONG':
        return [];
      case 'QUIT':
        if (this.reg.phase !== 'registered') return [{ type: 'end', bytes: bytes(`ERROR :Closing Link: ${this.me} (Quit)\r\n`), detail: 'QUIT before registration' }];
        return [{ type: 'hub', command: { kind: 'disconnect' } }];
      case 'JOIN':
        return this.join(p);
      case 'PART':
        return this.part(p);
      case 'PRIVMSG':
      case 'NOTICE':
        return this.message(command, p);
      case 'NAMES':
        return send(this.names(p[0] === undefined ? this.view.rooms() : targets(p[0]).map(roomOf)));
      case 'LIST':
        return send(this.list(p[0]));
      case 'WHO':
        return send(this.who(p[0] ?? '*'));
      case 'WHOIS':
        return p[0] === undefined ? this.numeric('431', [], 'No nickname given') : send(this.whois(p[p.length - 1]!));
      case 'TOPIC':
        return this.topic(p);
      case 'MODE':
        return this.mode(p);
      case 'MOTD':
        return send(this.motd());
      case 'LUSERS':
        return send(this.lusers());
      case 'ISON':
        return send(this.ison(p));
      case 'USERHOST':
        return send(this.userhost(p));
      case 'AWAY':
        return [{ type: 'hub', command: p[0] === undefined ? { kind: 'away' } : { kind: 'away', text: p[0] } }];
      case 'HELP':
        return [{ type: 'hub', command: { kind: 'help' } }];
      case 'OPER':
        // OPER name password: one operator password, whatever the name (the server has no O-lines per name).
        return p[1] === undefined ? this.numeric('461', ['OPER'], 'Not enough parameters') : [{ type: 'hub', command: { kind: 'oper', password: p[1] } }];
      case 'VERSION':
        return this.numeric('351', [this.options.version, IRC_SERVER_NAME], 'dualchat IRC door');
      default:
        return this.numeric('421', [command.slice(0, 32)], 'Unknown command');
    }
  }

  // ---- registration -----------------------------------------------------------------------------

  private cap(p: readonly string[]): DoorStep[] {
    const sub = (p[0] ?? '').toUpperCase();
    switch (sub) {
      case 'LS':
        return this.registration(p[1] === undefined ? { type: 'cap-ls' } : { type: 'cap-ls', version: Number.parseInt(p[1], 10) });
      case 'REQ':
        return this.registration({ type: 'cap-req', caps: p[1] ?? '' });
      case 'END':
        return this.registration({ type: 'cap-end' });
      case 'LIST':
        return send(this.capLine('LIST', [...this.reg.caps].join(' ')));
      default:
        return this.numeric('410', [sub.slice(0, 16) || '*'], 'Invalid CAP command');
    }
  }

  private capLine(sub: string, caps: string): string {
    return `:${IRC_SERVER_NAME} CAP ${this.me} ${sub} :${caps}\r\n`;
  }

  /** Apply one registration event; its actions become steps. */
  private registration(event: RegistrationEvent): DoorStep[] {
    const t = register(this.reg, event);
    this.setRegistration(t.state);
    return t.actions.flatMap((a) => this.registrationStep(a));
  }

  private registrationStep(action: RegistrationAction): DoorStep[] {
    switch (action.type) {
      case 'claim': {
        const command: HubCommand = action.password === undefined ? { kind: 'connect', name: action.nick } : { kind: 'connect', name: action.nick, password: action.password };
        return [{ type: 'hub', command, then: () => this.claimed() }];
      }
      case 'numeric':
        return this.numeric(action.code, action.params, action.text);
      case 'cap-ls':
        return send(this.capLine('LS', action.caps.join(' ')));
      case 'cap-ack':
        return send(this.capLine('ACK', action.caps));
      case 'cap-nak':
        return send(this.capLine('NAK', action.caps));
      case 'rename':
        return [{ type: 'hub', command: { kind: 'rename', name: action.nick }, then: () => this.renamed() }];
      case 'sasl-continue':
        return send('AUTHENTICATE +\r\n');
      case 'sasl-verify':
        this.saslRefusal = undefined;
        return [{ type: 'hub', command: { kind: 'authenticate', name: action.account, password: action.password }, then: () => this.verified() }];
      case 'sasl-success':
        return send(
          serverLine('900', this.me, [mask(action.account), action.account], `You are now logged in as ${action.account}`) +
            serverLine('903', this.me, [], 'SASL authentication successful'),
        );
    }
  }

  /** The hub answered the SASL password: no refusal means it was right. */
  private verified(): DoorStep[] {
    const reason = this.saslRefusal;
    this.saslRefusal = undefined;
    return this.registration(reason === undefined ? { type: 'sasl-verified' } : { type: 'sasl-refused', reason });
  }

  /** `PRIVMSG NickServ :…` (or `NICKSERV …`, `NS …`): account commands in the words IRC users know. */
  private nickServ(text: string): DoorStep[] {
    const step = nickServStep(text);
    if (step.type === 'hub') return [{ type: 'hub', command: step.command }];
    return send(step.lines.map((line) => this.fromNickServ(line)).join(''));
  }

  private fromNickServ(text: string): string {
    return textLines('', NICKSERV, 'NOTICE', this.me, text.replace(/[\0\r\n]/g, ' '));
  }
  /** The hub answered the nick: welcomed (then the lobby's NAMES follow its JOIN), or refused (the 433/432 went out). */
  private claimed(): DoorStep[] {
    const name = this.view.name();
    this.setRegistration(register(this.reg, name === undefined ? { type: 'refused' } : { type: 'welcomed', nick: name }).state);
    return name === undefined ? [] : send(this.names(this.view.rooms()));
  }

  /** After a rename was answered: the nick the hub holds for this connection now. */
  private renamed(): DoorStep[] {
    const name = this.view.name();
    if (name !== undefined) this.setRegistration(register(this.reg, { type: 'renamed', nick: name }).state);
    return [];
  }

  // ---- rooms and messages -----------------------------------------------------------------------

  private join(p: readonly string[]): DoorStep[] {
    if (p[0] === undefined) return this.numeric('461', ['JOIN'], 'Not enough parameters');
    if (p[0] === '0') return this.numeric('403', ['0'], 'JOIN 0 is not supported: PART the channels one by one');
    const steps: DoorStep[] = [];
    let count = this.view.rooms().length;
    for (const target of targets(p[0])) {
      const room = this.channelName(target, steps);
      if (room === undefined || this.view.rooms().includes(room)) continue;
      if (count >= IRC_MAX_CHANNELS) {
        steps.push(...this.numeric('405', [target], `You have joined too many channels (at most ${IRC_MAX_CHANNELS})`));
        continue;
      }
      count++;
      steps.push({ type: 'hub', command: { kind: 'enter', room }, then: () => (this.view.rooms().includes(room) ? send(this.names([room])) : []) });
    }
    return steps;
  }

  private part(p: readonly string[]): DoorStep[] {
    if (p[0] === undefined) return this.numeric('461', ['PART'], 'Not enough parameters');
    const steps: DoorStep[] = [];
    for (const target of targets(p[0])) {
      const room = this.channelName(target, steps);
      if (room === undefined) continue;
      if (!this.view.rooms().includes(room)) steps.push(...this.numeric('442', [target], "You're not on that channel"));
      else steps.push({ type: 'hub', command: { kind: 'part', room } });
    }
    return steps;
  }

  /** A `#room` target's room name, or undefined with a 403 pushed onto `steps`. */
  private channelName(target: string, steps: DoorStep[]): string | undefined {
    const checked = target.startsWith('#') && target.length <= IRC_CHANNEL_MAX_LENGTH ? checkRoomName(target) : undefined;
    if (checked?.ok === true) return checked.name;
    steps.push(...this.numeric('403', [target.slice(0, IRC_CHANNEL_MAX_LENGTH + 8)], `No such channel: ${checked?.message ?? 'channels are # and 1-32 letters or digits'}`));
    return undefined;
  }

  private message(command: 'PRIVMSG' | 'NOTICE', p: readonly string[]): DoorStep[] {
    const quiet = command === 'NOTICE';
    if (p[0] === undefined || p[0] === '') return quiet ? [] : this.numeric('411', [], `No recipient given (${command})`);
    if (p[1] === undefined || p[1] === '') return quiet ? [] : this.numeric('412', [], 'No text to send');
    const ctcp = readCtcp(p[1]);
    if (ctcp.type === 'other') return []; // CTCP requests other than ACTION are not relayed
    const action = ctcp.type === 'action' ? ctcp.text : undefined;
    const text = action === undefined ? p[1] : `* ${this.me} ${action}`;
    const steps: DoorStep[] = [];
    for (const target of targets(p[0])) {
      if (this.options.accounts && nameKey(target) === nameKey(NICKSERV)) {
        if (!quiet) steps.push(...this.nickServ(text));
        continue;
      }
      // A channel's /me is the hub's action (every door shows it as one: `* alice waves`, CTCP ACTION on IRC);
      // to a nick it stays the text `* nick text` (private actions have no reply of their own).
      const command: HubCommand = target.startsWith('#')
        ? action !== undefined
          ? { kind: 'room-action', room: target, text: action }
          : { kind: 'say', room: target, text }
        : { kind: 'private', to: target, text };
      steps.push(quiet ? { type: 'hub', command, quiet } : { type: 'hub', command });
    }
    return steps;
  }


  // ---- queries ----------------------------------------------------------------------------------

  /** 353/366 for each room (a room with nobody here: only its 366). */
  private names(rooms: readonly string[]): string {
    let out = '';
    for (const room of rooms.slice(0, IRC_MAX_TARGETS)) {
      const members = this.view.members(room);
      // Several 353 lines for a big room, each well under 512 bytes.
      for (let i = 0; i < members.length; i += 20) out += serverLine('353', this.me, ['=', channel(room)], members.slice(i, i + 20).join(' '));
      out += serverLine('366', this.me, [channel(room)], 'End of /NAMES list');
    }
    return out;
  }

  private list(filter: string | undefined): string {
    const wanted = filter === undefined ? undefined : new Set(targets(filter).map(roomOf));
    let out = serverLine('321', this.me, ['Channel'], 'Users  Name');
    let lines = 0;
    for (const r of this.view.allRooms()) {
      if (wanted !== undefined && !wanted.has(r.name)) continue;
      if (++lines > IRC_MAX_LIST_LINES) break;
      out += serverLine('322', this.me, [channel(r.name), String(r.count)], '');
    }
    return out + serverLine('323', this.me, [], 'End of /LIST');
  }

  private who(mask0: string): string {
    let out = '';
    if (mask0.startsWith('#')) {
      const room = roomOf(mask0);
      for (const name of this.view.members(room).slice(0, IRC_MAX_LIST_LINES)) out += this.whoLine(channel(room), name);
    } else {
      const user = this.view.user(mask0);
      if (user !== undefined) out += this.whoLine(user.rooms[0] === undefined ? '*' : channel(user.rooms[0]), user.name);
    }
    return out + serverLine('315', this.me, [mask0.slice(0, 40)], 'End of /WHO list');
  }

  private whoLine(chan: string, name: string): string {
    const here = this.view.user(name)?.away === undefined ? 'H' : 'G';
    return serverLine('352', this.me, [chan, name, IRC_USER_HOST, IRC_SERVER_NAME, name, here], `0 ${name}`);
  }

  private whois(nick: string): string {
    const user = this.view.user(nick);
    const shown = nick.slice(0, IRC_NICK_MAX_LENGTH * 2);
    if (user === undefined) return serverLine('401', this.me, [shown], 'No such nick/channel') + serverLine('318', this.me, [shown], 'End of /WHOIS list');
    let out = serverLine('311', this.me, [user.name, user.name, IRC_USER_HOST, '*'], user.name);
    if (user.rooms.length > 0) out += serverLine('319', this.me, [user.name], user.rooms.map(channel).join(' '));
    out += serverLine('312', this.me, [user.name, IRC_SERVER_NAME], 'dualchat');
    if (user.away !== undefined) out += serverLine('301', this.me, [user.name], user.away);
    return out + serverLine('318', this.me, [user.name], 'End of /WHOIS list');
  }

  /** TOPIC #room asks (332 and 333, or 331); TOPIC #room :text sets it in the hub (the room hears TOPIC). */
  private topic(p: readonly string[]): DoorStep[] {
    if (p[0] === undefined) return this.numeric('461', ['TOPIC'], 'Not enough parameters');
    const room = roomOf(p[0]);
    if (!this.view.rooms().includes(room)) return this.numeric('442', [p[0]], "You're not on that channel");
    if (p[1] !== undefined) return [{ type: 'hub', command: { kind: 'room-topic', room, text: p[1] } }];
    return send(this.topicLines(room));
  }

  /** RPL_TOPIC and RPL_TOPICWHOTIME for `room`, or RPL_NOTOPIC. */
  private topicLines(room: string): string {
    const topic = this.view.topic(room);
    if (topic === undefined) return serverLine('331', this.me, [channel(room)], 'No topic is set');
    return serverLine('332', this.me, [channel(room)], topic.text) + serverLine('333', this.me, [channel(room), topic.by, String(Math.floor(topic.ts / 1000))], undefined);
  }

  private mode(p: readonly string[]): DoorStep[] {
    const target = p[0];
    if (target === undefined) return this.numeric('461', ['MODE'], 'Not enough parameters');
    if (target.startsWith('#')) {
      const chan = channel(roomOf(target));
      if (p[1] === undefined) return this.numeric('324', [chan, '+nt'], undefined);
      // A list query (bans, exceptions, invite exceptions: irssi and WeeChat ask on join): no entries.
      const list = LIST_MODE_ENDS[p[1].replace(/^[+-]/, '')];
      if (list !== undefined && p[2] === undefined) return this.numeric(list.numeric, [chan], list.text);
      return this.numeric('482', [chan], 'Channel modes are fixed here (+nt)');
    }
    if (nameKey(target) !== nameKey(this.me)) return this.numeric('502', [], "Can't change mode for other users");
    return this.numeric('221', ['+i'], undefined);
  }

  private motd(): string {
    let out = serverLine('375', this.me, [], `- ${IRC_SERVER_NAME} Message of the day -`);
    for (const line of motdLines({ defaultRoom: this.options.defaultRoom })) out += serverLine('372', this.me, [], `- ${line}`);
    return out + serverLine('376', this.me, [], 'End of /MOTD command');
  }

  private lusers(): string {
    const users = this.view.userCount();
    const rooms = this.view.allRooms().length;
    return (
      serverLine('251', this.me, [], `There are ${users} users and 0 invisible on 1 servers`) +
      serverLine('254', this.me, [String(rooms)], 'channels formed') +
      serverLine('255', this.me, [], `I have ${users} clients and 0 servers`)
    );
  }

  private ison(p: readonly string[]): string {
    const asked = p.flatMap((x) => x.split(' ')).filter((x) => x !== '').slice(0, IRC_MAX_LIST_LINES);
    const online = new Map(this.view.users().map((u) => [nameKey(u.name), u.name]));
    const here = asked.map((n) => online.get(nameKey(n))).filter((n): n is string => n !== undefined);
    return serverLine('303', this.me, [], here.join(' '));
  }

  private userhost(p: readonly string[]): string {
    const found: string[] = [];
    for (const nick of p.slice(0, 5)) {
      const user = this.view.user(nick);
      if (user !== undefined) found.push(`${user.name}=+${user.name}@${IRC_USER_HOST}`);
    }
    return serverLine('302', this.me, [], found.join(' '));
  }

  // ---- out --------------------------------------------------------------------------------------

  bytes(reply: Outbound): Uint8Array {
    const text = this.text(reply);
    return text === '' ? EMPTY : bytes(text);
  }

  private text(reply: Outbound): string {
    switch (reply.kind) {
      case 'greeting':
        return this.welcome(reply.name, reply.online);
      case 'help':
        return ircHelpLines(reply.limits).map((line) => serverLine('NOTICE', this.me, [], line)).join('');
      case 'message':
        return !reply.self || this.reg.caps.has('echo-message') ? roomText(reply, this.timed) : '';
      case 'private':
        if (!reply.self) return roomText(reply, this.timed);
        return this.reg.caps.has('echo-message') ? textLines(this.timed ? serverTimeTag(reply.ts) : '', reply.from, 'PRIVMSG', reply.to, reply.text) : '';
      case 'joined':
      case 'left':
      case 'renamed':
        return roomText(reply, this.timed);
      case 'action':
        return !reply.self || this.reg.caps.has('echo-message') ? roomText(reply, this.timed) : '';
      case 'topic':
        // Told to this connection alone: on entering the room (a change is a room line: roomText).
        return this.topicLines(reply.room);
      case 'away-set':
        return reply.text === undefined ? serverLine('305', this.me, [], 'You are no longer marked as being away') : serverLine('306', this.me, [], 'You have been marked as being away');
      case 'away':
        return serverLine('301', this.me, [reply.name], reply.text);
      case 'error':
        return this.refusal(reply.code, reply.message);
      case 'system': {
        const kind = this.asked?.command.kind;
        if (kind === 'register' || kind === 'password' || kind === 'unregister') return this.fromNickServ(nickServReply(kind, this.me, reply.text));
        // RFC 2812 §3.1.4: a successful OPER is answered RPL_YOUREOPER.
        if (kind === 'oper') return serverLine('381', this.me, [], `You are now an IRC operator: ${reply.text}`);
        return serverLine('NOTICE', this.me, [], reply.text);
      }
      case 'history':
        // A kept line, from its sender to its room: with the original time as server-time, or marked in the text.
        return this.timed
          ? textLines(serverTimeTag(reply.ts), reply.from, 'PRIVMSG', channel(reply.room), reply.text)
          : textLines('', reply.from, 'PRIVMSG', channel(reply.room), `${historyPrefix(reply.ts)}${reply.text}`);
      case 'disconnected':
        return `ERROR :Closing Link: ${this.me} (Quit)\r\n`;
      case 'users':
        return serverLine('NOTICE', this.me, [], `Online: ${reply.users.map((u) => `${u.name} (#${u.room})`).join(', ')}`);
      case 'rooms':
        return serverLine('NOTICE', this.me, [], `Rooms: ${reply.rooms.map((r) => `#${r.name} (${r.count})`).join(', ')}`);
      default:
        // File and data-plane replies are for dualchat's own client; told as a notice, never dropped silently.
        return serverLine('NOTICE', this.me, [], `${formatReply(reply).slice(0, 300)} (files are not offered over IRC)`);
    }
  }

  /** 001–005, LUSERS, MOTD and the files notice. */
  private welcome(nick: string, online: number): string {
    const v = this.options.version;
    return (
      serverLine('001', nick, [], `Welcome to the dualchat IRC door, ${mask(nick)}`) +
      serverLine('002', nick, [], `Your host is ${IRC_SERVER_NAME}, running version ${v}`) +
      serverLine('003', nick, [], 'This server was created for dualchat') +
      serverLine('004', nick, [IRC_SERVER_NAME, v, 'i', 'nt'], undefined) +
      serverLine('005', nick, ISUPPORT, 'are supported by this server') +
      serverLine('251', nick, [], `There are ${online} users and 0 invisible on 1 servers`) +
      serverLine('375', nick, [], `- ${IRC_SERVER_NAME} Message of the day -`) +
      motdLines({ defaultRoom: this.options.defaultRoom })
        .map((line) => serverLine('372', nick, [], `- ${line}`))
        .join('') +
      serverLine('376', nick, [], 'End of /MOTD command') +
      serverLine('NOTICE', nick, [], filesNotice(this.options.filesHint))
    );
  }

  /** A refusal in IRC's words: the numeric for the command that was refused, else a NOTICE. */
  private refusal(code: string, message: string): string {
    const step = this.asked;
    this.asked = undefined;
    if (step?.quiet === true) return '';
    const c = step?.command;
    if (c?.kind === 'authenticate') {
      // Told as 904 by the registration (verified()).
      this.saslRefusal = message;
      return '';
    }
    if (c?.kind === 'register' || c?.kind === 'password' || c?.kind === 'unregister') return this.fromNickServ(message);
    // OPER refused (RFC 2812 §3.1.4): 464 for a wrong password, 491 when the server takes none.
    if (c?.kind === 'oper' && code === 'bad-password') return serverLine('464', this.me, [], `Password incorrect: ${message}`);
    if (c?.kind === 'oper' && code === 'refused') return serverLine('491', this.me, [], `No O-lines for your host: ${message}`);
    switch (code) {
      case 'name-taken':
        return serverLine('433', this.me, [c?.kind === 'connect' || c?.kind === 'rename' ? c.name : '*'], 'Nickname is already in use');
      case 'name-registered':
        // 433 (clients pick another nick on it), saying why and how to sign in.
        return serverLine(
          '433',
          this.me,
          [c?.kind === 'connect' || c?.kind === 'rename' ? c.name : '*'],
          'Nickname is registered: sign in with SASL PLAIN or PASS password, or choose another',
        );
      case 'bad-password':
      case 'rate-limited':
        return c?.kind === 'connect' ? serverLine('464', this.me, [], `Password incorrect: ${message}`) : this.notice(message);
      case 'bad-name':
        return serverLine('432', this.me, [c?.kind === 'connect' || c?.kind === 'rename' ? c.name : '*'], `Erroneous nickname: ${message}`);
      case 'line-too-long':
        return serverLine('417', this.me, [], 'Input line was too long');
      case 'room-full':
        return c?.kind === 'enter' ? serverLine('471', this.me, [channel(c.room)], `Cannot join channel (+l): ${message}`) : this.notice(message);
      case 'unknown-user':
        return c?.kind === 'private' ? serverLine('401', this.me, [c.to.slice(0, 32) || '*'], 'No such nick/channel') : this.notice(message);
      case 'bad-room':
        if (c?.kind === 'say') return serverLine('404', this.me, [c.room.slice(0, IRC_CHANNEL_MAX_LENGTH + 8) || '*'], `Cannot send to channel: ${message}`);
        if (c?.kind === 'enter') return serverLine('403', this.me, [channel(c.room)], `No such channel: ${message}`);
        return this.notice(message);
      case 'not-connected':
        // The sign-in deadline passed (the server closes next): in IRC's words.
        return `ERROR :Closing Link: ${this.me} (Registration timed out)\r\n`;
      default:
        return this.notice(message);
    }
  }

  private notice(text: string): string {
    return serverLine('NOTICE', this.me, [], text);
  }

  private numeric(code: string, params: readonly string[], text: string | undefined): DoorStep[] {
    return send(serverLine(code, this.me, params, text));
  }

  private steps(steps: DoorStep[]): DoorInput {
    return { type: 'steps', steps };
  }
}

const GO: Admission = Object.freeze({ type: 'go' });

/** RPL_ISUPPORT (005): the real limits. */
const ISUPPORT = [
  'CASEMAPPING=ascii',
  `CHANLIMIT=#:${IRC_MAX_CHANNELS}`,
  'CHANMODES=,,,nt',
  `CHANNELLEN=${IRC_CHANNEL_MAX_LENGTH}`,
  'CHANTYPES=#',
  `MAXTARGETS=${IRC_MAX_TARGETS}`,
  'NETWORK=dualchat',
  `NICKLEN=${IRC_NICK_MAX_LENGTH}`,
  'PREFIX=()',
  `TOPICLEN=${TOPIC_MAX_LENGTH}`,
  'UTF8ONLY',
];

function send(text: string): DoorStep[] {
  return text === '' ? [] : [{ type: 'send', bytes: bytes(text) }];
}

function bytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** `a,b,c` → at most IRC_MAX_TARGETS non-empty targets. */
function targets(list: string): string[] {
  return list.split(',', IRC_MAX_TARGETS).filter((t) => t !== '');
}

/** `#Dev` → `dev` (the hub's canonical room name; an invalid name finds no room). */
function roomOf(target: string): string {
  const checked = checkRoomName(target);
  return checked.ok ? checked.name : '';
}

/** The verb of a raw line, upper-cased (tags and a prefix skipped), for the flood costs. */
function verbOf(line: string): string {
  let rest = line.trimStart();
  if (rest.startsWith('@')) rest = rest.slice(rest.indexOf(' ') + 1 || rest.length).trimStart();
  if (rest.startsWith(':')) rest = rest.slice(rest.indexOf(' ') + 1 || rest.length).trimStart();
  const space = rest.indexOf(' ');
  return (space < 0 ? rest : rest.slice(0, space)).slice(0, 16).toUpperCase();
}

/** Why a line is not an IRC message, for the 400 reply. */
function malformed(line: string): string {
  if (line.includes('\0')) return 'Malformed line: NUL is not allowed in a message';
  if (line.slice(0, -1).includes('\r')) return 'Malformed line: CR is only allowed before LF at the end of a line';
  return 'Malformed line: not an IRC message (too many parameters, or an empty word)';
}

/** The end of each channel list a client may ask for with `MODE #room b|e|I` (RFC 2812 §3.2.3): none kept here. */
const LIST_MODE_ENDS: Readonly<Record<string, { numeric: string; text: string } | undefined>> = {
  b: { numeric: '368', text: 'End of channel ban list' },
  e: { numeric: '349', text: 'End of channel exception list' },
  I: { numeric: '347', text: 'End of channel invite list' },
};
