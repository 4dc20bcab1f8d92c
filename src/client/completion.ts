// Tab completion for the interactive prompt, pure: slash commands, and user names after the commands
// that take one.

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

/**
 * readline's completer contract: the candidates for the word being completed, and that word.
 * `names` are the user names the client has seen.
 */
export function complete(line: string, names: Iterable<string>): [string[], string] {
  if (/^\/\S*$/.test(line)) {
    const typed = line.toLowerCase();
    return [SLASH_COMMANDS.filter((c) => c.startsWith(typed)).map((c) => `${c} `), line];
  }
  const m = TAKES_USER.exec(line);
  if (m !== null) {
    const partial = m[2] ?? '';
    const lower = partial.toLowerCase();
    const hits = [...new Set(names)].filter((n) => n.toLowerCase().startsWith(lower)).sort();
    return [hits.map((n) => `${n} `), partial];
  }
  return [[], line];
}
