// How the hub's replies read on IRC: a user's mask, the lines of a room (PRIVMSG, JOIN, PART, QUIT) and of
// a private message, numerics from the server, and the split of a long text over several lines of at
// most 512 bytes. A room's lines do not name their recipient, so the same bytes serve every member that
// shares a format: `ircRoomFormat(false)` and `ircRoomFormat(true)` (the latter with the IRCv3 server-time
// tag) are the door's two variants.
import type { Outbound } from '../../chat/replies.ts';
import type { SharedFormat } from '../door.ts';
import { IRC_SERVER_NAME, IRC_USER_HOST } from './constants.ts';
import { IRC_MAX_LINE, serverTimeTag } from './message.ts';

const EMPTY = new Uint8Array(0);

/** `nick!nick@dualchat`: the mask of a dualchat user on IRC. */
export function mask(name: string): string {
  return `${name}!${name}@${IRC_USER_HOST}`;
}

/** `#room` */
export function channel(room: string): string {
  return `#${room}`;
}

/**
 * `:SERVER NUMERIC TARGET PARAMS… :TRAILING\r\n` — a numeric or a server command to `target` (the
 * client's nick, or `*` before it has one). Parameters may echo what a client sent: each becomes one
 * word (`middle`), and the line is cut to 512 bytes with its CR LF (the trailing text shortened).
 */
export function serverLine(command: string, target: string, params: readonly string[], trailing?: string): string {
  let head = `:${IRC_SERVER_NAME} ${command} ${middle(target)}`;
  for (const p of params) head += ` ${middle(p)}`;
  if (trailing === undefined) return `${head.slice(0, IRC_MAX_LINE)}\r\n`;
  const text = trailing.replace(LINE_BREAKING, ' ');
  const room = IRC_MAX_LINE - Buffer.byteLength(head) - 2;
  return `${head} :${Buffer.byteLength(text) <= room ? text : (splitBytes(text, Math.max(room, 0))[0] ?? '')}\r\n`;
}

/** NUL, CR and LF: nothing inside an IRC line may hold them. */
const LINE_BREAKING = /[\0\r\n]/g;

/** `text` as one middle parameter: its first word, without NUL/CR/LF, not starting with ':', never empty; at most 64 bytes' worth. */
export function middle(text: string): string {
  const word = text.replace(LINE_BREAKING, ' ').trim().split(' ', 1)[0]!.slice(0, 64);
  if (word === '') return '*';
  return word.startsWith(':') ? `*${word.slice(1)}` : word;
}

/**
 * `COMMAND TARGET :TEXT` lines from `from`, the text split so each line is at most 512 bytes with CR LF
 * (tags not counted); `tag` goes before each (server-time), or ''.
 */
export function textLines(tag: string, from: string, command: 'PRIVMSG' | 'NOTICE', target: string, text: string): string {
  const head = `:${mask(from)} ${command} ${target} :`;
  const room = IRC_MAX_LINE - Buffer.byteLength(head);
  if (Buffer.byteLength(text) <= room) return `${tag}${head}${text}\r\n`;
  let out = '';
  for (const piece of splitBytes(text, room)) out += `${tag}${head}${piece}\r\n`;
  return out;
}

/** The CTCP delimiter (X-DELIM, 0x01) that frames an ACTION inside a PRIVMSG's text. */
const CTCP_DELIMITER = '\x01';

/** An action (`/me`) as CTCP ACTION PRIVMSGs, each piece framed on its own line so no line breaks a CTCP frame. */
export function actionLines(tag: string, from: string, target: string, text: string): string {
  const open = `${CTCP_DELIMITER}ACTION `;
  const head = `:${mask(from)} PRIVMSG ${target} :`;
  const room = IRC_MAX_LINE - Buffer.byteLength(head) - Buffer.byteLength(open) - Buffer.byteLength(CTCP_DELIMITER);
  let out = '';
  for (const piece of Buffer.byteLength(text) <= room ? [text] : splitBytes(text, room)) out += `${tag}${head}${open}${piece}${CTCP_DELIMITER}\r\n`;
  return out;
}

/** `text` cut into pieces of at most `max` UTF-8 bytes, never inside a character; at a space when one is near. */
export function splitBytes(text: string, max: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) {
      const space = piece.lastIndexOf(' ');
      // Break at the last space of the piece when it is in its second half (words stay whole).
      if (space > piece.length / 2) {
        pieces.push(piece.slice(0, space));
        piece = piece.slice(space + 1);
      } else {
        pieces.push(piece);
        piece = '';
      }
      bytes = Buffer.byteLength(piece);
    }
    piece += ch;
    bytes += n;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * The line(s) a room hears for `reply` — chat, joins, leaves, quits, renames — with a server-time tag when `timed`;
 * '' for a reply that a room does not hear on IRC.
 */
export function roomText(reply: Outbound, timed: boolean): string {
  switch (reply.kind) {
    case 'message':
      return textLines(timed ? serverTimeTag(reply.ts) : '', reply.from, 'PRIVMSG', channel(reply.room), reply.text);
    case 'private':
      return textLines(timed ? serverTimeTag(reply.ts) : '', reply.from, 'PRIVMSG', reply.to, reply.text);
    case 'joined':
      return `${timed ? serverTimeTag(reply.ts) : ''}:${mask(reply.name)} JOIN ${channel(reply.room)}\r\n`;
    case 'left': {
      const tag = timed ? serverTimeTag(reply.ts) : '';
      if (reply.reason === 'moved') return `${tag}:${mask(reply.name)} PART ${channel(reply.room)}\r\n`;
      return `${tag}:${mask(reply.name)} QUIT :${reply.reason === 'lost' ? 'Connection lost' : 'Quit'}\r\n`;
    }
    case 'renamed':
      return `${timed ? serverTimeTag(reply.ts) : ''}:${mask(reply.from)} NICK :${reply.to}\r\n`;
    case 'action':
      return actionLines(timed ? serverTimeTag(reply.ts) : '', reply.from, channel(reply.room), reply.text);
    case 'topic':
      return `${timed ? serverTimeTag(reply.ts) : ''}:${mask(reply.by)} TOPIC ${channel(reply.room)} :${reply.text}\r\n`;
    case 'system':
      return serverLine('NOTICE', '*', [], reply.text);
    default:
      return '';
  }
}

/** A format the members of a room share: one per variant, so a room line is made once per variant. */
export function ircRoomFormat(timed: boolean): SharedFormat {
  return {
    bytes: (reply: Outbound): Uint8Array => {
      const text = roomText(reply, timed);
      return text === '' ? EMPTY : Buffer.from(text, 'utf8');
    },
  };
}
