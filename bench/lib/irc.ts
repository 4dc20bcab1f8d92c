// The IRC message format (RFC 2812 §2.3.1) for the benchmark clients that talk to ngircd: one line
// is `[:prefix SPACE] command *(SPACE middle) [SPACE ":" trailing]`, without its CR LF. Only what a
// client that registers, joins a channel, chats and answers PING needs; nothing here trusts a line
// to be well formed.
//
//   formatIrc('PRIVMSG', ['#room', 'hello there'])  → "PRIVMSG #room :hello there"
//   parseIrc(':bench.invalid 001 c1 :Welcome')      → { prefix: 'bench.invalid', command: '001', params: ['c1', 'Welcome'] }

export interface IrcMessage {
  /** The sender (server name or nick!user@host); undefined when the line has none. */
  prefix: string | undefined;
  /** A command word in upper case as sent ("PRIVMSG") or a three-digit numeric reply ("001"). */
  command: string;
  params: string[];
}

/** RFC 2812 §2.3: at most 15 parameters. */
export const IRC_MAX_PARAMS = 15;
/** RFC 2812 §2.3: 512 bytes with the CR LF. */
export const IRC_MAX_LINE = 510;

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
  return { prefix, command, params };
}
