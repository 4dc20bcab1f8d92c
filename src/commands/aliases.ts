// The verb table: every spelling a client may use for a command, and the one spelling we write.
// Verbs are compared after ASCII lower-casing; this table holds lowercase verbs only.
import type { CommandKind } from './types.ts';

/**
 * Verb → command kind. The first group is the seed "Python Chat" language, the second the
 * aliases used by its sibling clients, the third dualchat's own extensions.
 */
export const VERB_KINDS: ReadonlyMap<string, CommandKind> = new Map<string, CommandKind>([
  // Seed "Python Chat".
  ['connect', 'connect'],
  ['disconnect', 'disconnect'],
  ['get_users', 'users'],
  ['set_msg', 'private'],
  ['set_msg_all', 'broadcast'],
  ['listfiles', 'listfiles'],
  ['download', 'download'],
  // Aliases of the family.
  ['get_list_file', 'listfiles'],
  ['get_files', 'listfiles'],
  ['msg_all', 'broadcast'],
  ['end_connection', 'disconnect'],
  // dualchat extensions.
  ['join', 'join'],
  ['leave', 'leave'],
  ['rooms', 'rooms'],
  ['help', 'help'],
  ['stats', 'stats'],
  ['upload', 'upload'],
  ['sendfile', 'sendfile'],
  ['cancel', 'cancel'],
  ['register', 'register'],
  ['password', 'password'],
  ['unregister', 'unregister'],
  ['history', 'history'],
  ['oper', 'oper'],
  // The IRC habits: the names IRC users type.
  ['nick', 'rename'],
  ['away', 'away'],
  ['me', 'action'],
  ['topic', 'topic'],
  ['whois', 'whois'],
  // Reconnecting: a lost connection's name held for its owner.
  ['hold', 'hold'],
  ['reconnect', 'reconnect'],
]);

/** The verb formatCommand writes for each kind: the seed's spelling where the seed has one. */
export const CANONICAL_VERBS: Readonly<Record<CommandKind, string>> = {
  connect: 'connect',
  disconnect: 'disconnect',
  users: 'get_users',
  private: 'set_msg',
  broadcast: 'set_msg_all',
  listfiles: 'listfiles',
  download: 'download',
  join: 'join',
  leave: 'leave',
  rooms: 'rooms',
  help: 'help',
  stats: 'stats',
  upload: 'upload',
  sendfile: 'sendfile',
  cancel: 'cancel',
  register: 'register',
  password: 'password',
  unregister: 'unregister',
  history: 'history',
  oper: 'oper',
  rename: 'nick',
  away: 'away',
  action: 'me',
  topic: 'topic',
  whois: 'whois',
  hold: 'hold',
  reconnect: 'reconnect',
};

/** Lower-cases A–Z only. Verbs are ASCII; full Unicode lower-casing would change string lengths
 * (e.g. U+0130) and map non-ASCII letters onto ASCII ones (U+212A KELVIN SIGN → "k"). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** The kind a verb (any case) names, or undefined if it is not a command verb. */
export function kindOfVerb(verb: string): CommandKind | undefined {
  return VERB_KINDS.get(asciiLower(verb));
}
