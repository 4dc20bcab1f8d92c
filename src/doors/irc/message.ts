// The IRC message format (RFC 2812 §2.3.1, with IRCv3 message tags): one line is
// `[@tags SPACE] [:prefix SPACE] command *(SPACE middle) [SPACE ":" trailing]`, without its CR LF.
// One piece for the IRC door (src/doors/irc/) and the benchmark clients that talk to ngircd
// (bench/lib/scripted-client.ts). Nothing here trusts a line to be well formed; nothing throws on input
// (formatIrc throws only on what its caller asks to send).
//
//   formatIrc('PRIVMSG', ['#room', 'hello there'])  → "PRIVMSG #room :hello there"
//   parseIrc(':bench.invalid 001 c1 :Welcome')      → { prefix: 'bench.invalid', command: '001', params: ['c1', 'Welcome'] }
//   parseIrc('@time=x;+typing PRIVMSG #r :hi')       → { tags: { time: 'x', '+typing': '' }, command: 'PRIVMSG', … }

export interface IrcMessage {
  /** IRCv3 tags (unescaped values; a tag without a value is ''); undefined when the line has none. */
  tags?: Readonly<Record<string, string>> | undefined;
  /** The sender (server name or nick!user@host); undefined when the line has none. */
  prefix: string | undefined;
  /** A command word as sent ("PRIVMSG", "privmsg") or a three-digit numeric reply ("001"). */
  command: string;
  params: string[];
}

/** RFC 2812 §2.3: at most 15 parameters. */
export const IRC_MAX_PARAMS = 15;
/** RFC 2812 §2.3: 512 bytes with the CR LF (tags not counted: IRCv3 message-tags gives them their own room). */
export const IRC_MAX_LINE = 510;
/** IRCv3 message-tags: the tags of a line, with the `@` and the space after them, are at most 8191 bytes. */
export const IRC_MAX_TAG_BYTES = 8191;
/** Tags a line may carry (each at least 2 bytes of the 8191: a bound the loop over them needs). */
const IRC_MAX_TAGS = 4096;

const COMMAND = /^(?:[A-Za-z]+|\d{3})$/;
/** Characters no parameter may hold: NUL, CR, LF. */
const FORBIDDEN = /[\0\r\n]/;

/** A line to send (without CR LF); throws a RangeError naming what cannot be sent. */
export function formatIrc(command: string, params: readonly string[] = []): string {
  if (!COMMAND.test(command)) throw new RangeError(`an IRC command is letters or three digits (got ${JSON.stringify(command)})`);
  if (params.length > IRC_MAX_PARAMS) throw new RangeError(`an IRC message has at most ${IRC_MAX_PARAMS} parameters (got ${params.length})`);
  const parts = [command];
  params.forEach((p, i) => {
    if (FORBIDDEN.test(p)) throw new RangeError(`an IRC parameter cannot hold NUL, CR or LF (parameter ${i + 1})`);
    const last = i === params.length - 1;
    const middle = p !== '' && !p.includes(' ') && !p.startsWith(':');
    if (!middle && !last) throw new RangeError(`only the last IRC parameter may be empty, hold a space or start with ':' (parameter ${i + 1})`);
    parts.push(middle ? p : `:${p}`);
  });
  const line = parts.join(' ');
  if (Buffer.byteLength(line) > IRC_MAX_LINE) throw new RangeError(`an IRC line is at most ${IRC_MAX_LINE} bytes without CR LF (got ${Buffer.byteLength(line)})`);
  return line;
}

/** A received line (its CR LF, or a lone CR, already cut off is fine either way); undefined when it is not an IRC message. */
export function parseIrc(raw: string): IrcMessage | undefined {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line === '' || FORBIDDEN.test(line)) return undefined;
  let rest = line;
  let tags: Record<string, string> | undefined;
  if (rest.startsWith('@')) {
    const space = rest.indexOf(' ');
    if (space <= 1) return undefined;
    tags = parseTags(rest.slice(1, space));
    if (tags === undefined) return undefined;
    rest = rest.slice(space + 1);
  }
  let prefix: string | undefined;
  if (rest.startsWith(':')) {
    const space = rest.indexOf(' ');
    if (space <= 1) return undefined;
    prefix = rest.slice(1, space);
    rest = rest.slice(space + 1);
  }
  const params: string[] = [];
  // Each turn takes one word or the trailing parameter: bounded by the parameter limit.
  let command: string | undefined;
  for (let turn = 0; turn <= IRC_MAX_PARAMS && rest !== ''; turn++) {
    if (command !== undefined && rest.startsWith(':')) {
      params.push(rest.slice(1));
      rest = '';
      break;
    }
    const space = rest.indexOf(' ');
    const word = space < 0 ? rest : rest.slice(0, space);
    rest = space < 0 ? '' : rest.slice(space + 1);
    if (word === '') return undefined;
    if (command === undefined) command = word;
    else params.push(word);
  }
  if (command === undefined || !COMMAND.test(command) || rest !== '' || params.length > IRC_MAX_PARAMS) return undefined;
  return tags === undefined ? { prefix, command, params } : { tags, prefix, command, params };
}

/** `a=b;c;+d=e\sf` → { a: 'b', c: '', '+d': 'e f' }; undefined when a key is empty or malformed. */
function parseTags(text: string): Record<string, string> | undefined {
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  const items = text.split(';', IRC_MAX_TAGS);
  for (const item of items) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!/^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/.test(key)) return undefined;
    tags[key] = eq < 0 ? '' : unescapeTagValue(item.slice(eq + 1));
  }
  return tags;
}

const TAG_UNESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/** IRCv3 tag value escapes: `\:` `\s` `\\` `\r` `\n`; any other escaped character stands for itself, a lone trailing `\` is dropped. */
function unescapeTagValue(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\(.?)/gs, (_m, c: string) => TAG_UNESCAPES[c] ?? c);
}

/** The time tag of IRCv3 server-time: `2026-12-07T19:47:50.123Z`. */
export function serverTimeTag(ms: number): string {
  return `@time=${new Date(ms).toISOString()} `;
}
