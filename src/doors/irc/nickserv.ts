// Accounts in the words IRC users know: `/msg NickServ REGISTER password` and its kin (Atheme's and
// Anope's verbs), read into the hub's account commands; and how a kept room line reads as history for a
// client without server-time. Pure: words in, a hub command or lines of text out. Nothing here repeats a
// password: an unknown verb is not quoted back (a user may have typed the password alone).
import type { HubCommand } from '../../chat/hub.ts';

/** The service name the door answers for (messages to it never reach a user of that name). */
export const NICKSERV = 'NickServ';

/** What a line to NickServ asks: a hub account command, or lines NickServ answers with itself. */
export type NickServStep = { type: 'hub'; command: HubCommand } | { type: 'lines'; lines: string[] };

const HELP: readonly string[] = [
  'Accounts: a registered nick is yours; signing in with it needs its password.',
  'REGISTER <password>            register the nick you are using',
  'PASSWORD <old> <new>           change its password',
  'UNREGISTER <password>          give the nick back (DROP <password> too)',
  'Sign in when you connect: SASL PLAIN (account = your nick) or PASS <password> before NICK/USER.',
];

/** One line to NickServ (`REGISTER hunter22`, `HELP`, …). */
export function nickServStep(text: string): NickServStep {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  const verb = (words[0] ?? '').toUpperCase();
  const args = words.slice(1);
  switch (verb) {
    case 'REGISTER':
      // Atheme and Anope take `REGISTER password email`: the email is not kept here.
      return args[0] === undefined ? usage('REGISTER <password>') : { type: 'hub', command: { kind: 'register', password: args[0] } };
    case 'PASSWORD':
      return args[0] === undefined || args[1] === undefined ? usage('PASSWORD <old> <new>') : { type: 'hub', command: { kind: 'password', old: args[0], password: args[1] } };
    case 'UNREGISTER':
    case 'DROP':
      // `DROP nick password` (Anope) or `DROP password`: the password is the last word.
      return args.length === 0 ? usage(`${verb} <password>`) : { type: 'hub', command: { kind: 'unregister', password: args[args.length - 1]! } };
    case 'IDENTIFY':
    case 'LOGIN':
      return {
        type: 'lines',
        lines: [
          'A registered nick signs in as it connects: SASL PLAIN (account = the nick) or PASS <password> before NICK/USER.',
          'Once connected you already hold your nick; to use another registered nick, reconnect with its password.',
        ],
      };
    case '':
    case 'HELP':
      return { type: 'lines', lines: [...HELP] };
    default:
      return { type: 'lines', lines: ['Unknown command; /msg NickServ HELP lists them.'] };
  }
}

/** The hub's word on an account change that went through, as NickServ says it. */
export function nickServReply(kind: 'register' | 'password' | 'unregister', nick: string, text: string): string {
  return kind === 'register' ? `${nick} is registered: next time sign in with SASL PLAIN (account ${nick}) or PASS <password>` : text;
}

/** `[history 2026-12-07 21:04 UTC] `: what marks a kept line for a client without server-time. */
export function historyPrefix(ts: number): string {
  const iso = new Date(ts).toISOString();
  return `[history ${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC] `;
}

function usage(form: string): NickServStep {
  return { type: 'lines', lines: [`Usage: /msg ${NICKSERV} ${form}`] };
}
