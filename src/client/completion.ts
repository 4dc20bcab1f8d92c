// Tab completion for the interactive prompt, pure: slash commands, room names after the commands that
// take one, and user names anywhere in a line — as irssi does it, a name that starts the line is
// addressed (`bo⇥` → `bob: `), one further on is just the name (`hi bo⇥` → `hi bob `).

/** Every slash command the typed-input grammar knows, with aliases. */
export const SLASH_COMMANDS: readonly string[] = [
  '/accept',
  '/away',
  '/broadcast',
  '/cancel',
  '/decline',
  '/download',
  '/exit',
  '/files',
  '/help',
  '/history',
  '/join',
  '/leave',
  '/me',
  '/msg',
  '/nick',
  '/oper',
  '/password',
  '/private',
  '/query',
  '/quit',
  '/r',
  '/register',
  '/reply',
  '/rooms',
  '/sendfile',
  '/sendimage',
  '/stats',
  '/status',
  '/topic',
  '/unregister',
  '/upload',
  '/users',
  '/whisper',
  '/whois',
];

/** Commands whose first argument is a user name. */
const TAKES_USER = /^(\/(?:msg|private|whisper|sendfile|sendimage|whois|query)|-pr)\s+(\S*)$/i;

/** Commands whose first argument is a room (`#` allowed before it). */
const TAKES_ROOM = /^(\/(?:join|history)|-goto)\s+(#?)(\S*)$/i;

/** The word being typed at the end of the line, with an `@` before a name kept (`@bo⇥` → `@bob `). */
const LAST_WORD = /(^|\s)(@?)(\S*)$/;

/** `known` entries that start with `partial` (case-insensitively), each once, sorted. */
function startingWith(known: Iterable<string>, partial: string): string[] {
  const lower = partial.toLowerCase();
  return [...new Set(known)].filter((n) => n.toLowerCase().startsWith(lower)).sort();
}

/**
 * readline's completer contract: the candidates for the word being completed, and that word (`line` is
 * the text before the cursor). `names` are the user names the client has seen, `rooms` the rooms.
 */
export function complete(line: string, names: Iterable<string>, rooms: Iterable<string> = []): [string[], string] {
  if (/^\/\S*$/.test(line)) {
    const typed = line.toLowerCase();
    return [SLASH_COMMANDS.filter((c) => c.startsWith(typed)).map((c) => `${c} `), line];
  }
  const room = TAKES_ROOM.exec(line);
  if (room !== null) {
    const [, , hash = '', partial = ''] = room;
    return [startingWith(rooms, partial).map((r) => `${hash}${r} `), `${hash}${partial}`];
  }
  const m = TAKES_USER.exec(line);
  if (m !== null) {
    const partial = m[2] ?? '';
    return [startingWith(names, partial).map((n) => `${n} `), partial];
  }
  const word = LAST_WORD.exec(line);
  const partial = word?.[3] ?? '';
  // A command's other words, an empty word, or no name that fits: nothing to offer.
  if (word === null || partial === '' || line.startsWith('/')) return [[], line];
  const at = word[2] ?? '';
  const addressed = at === '' && word.index === 0 && word[1] === '';
  const hits = startingWith(names, partial).map((n) => (addressed ? `${n}: ` : `${at}${n} `));
  return hits.length === 0 ? [[], line] : [hits, `${at}${partial}`];
}
