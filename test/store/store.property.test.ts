// Any sequence of register / login / room message / private message / restart, on the real hub over the
// real SQLite store on a file: no room message lost or duplicated in history, no login with a wrong
// password, every private message kept for an offline registered user handed over exactly once, in order.
// Failures print fast-check's seed and the shrunk sequence.
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Hub, type HubCommand, type HubOutput } from '../../src/chat/hub.ts';
import { normalizeChatText } from '../../src/chat/text.ts';
import type { HubReply } from '../../src/chat/replies.ts';
import type { SqliteStore } from '../../src/store/sqlite-store.ts';
import { openStore, settle, tempDir } from './helpers.ts';

type Action =
  | { type: 'register'; user: string; password: string }
  | { type: 'login'; user: string; password: string }
  | { type: 'message'; user: string; room: string; text: string }
  | { type: 'private'; from: string; to: string; text: string }
  | { type: 'restart' };

const USERS = ['ann', 'bob', 'cy'];
const PASSWORDS = ['pw-aaaa', 'pw-bbbb'];
const ROOMS = ['lobby', 'dev'];
const user = fc.constantFrom(...USERS);
const password = fc.constantFrom(...PASSWORDS);
const text = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom("'; DROP TABLE messages; --", 'a\u0000b', '😀😀', '  x  '));
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant('register' as const), user, password }),
  fc.record({ type: fc.constant('login' as const), user, password }),
  fc.record({ type: fc.constant('message' as const), user, room: fc.constantFrom(...ROOMS), text }),
  fc.record({ type: fc.constant('private' as const), from: user, to: user, text }),
  fc.constant<Action>({ type: 'restart' }),
);

function repliesTo(outputs: readonly HubOutput[], session: number): HubReply[] {
  return outputs.flatMap((o) => (o.type === 'reply' && o.to === session ? [o.reply] : []));
}

/** A chat over the store at `file`, rebuilt from the file on restart (the hub forgets everything). */
class Chat {
  store: SqliteStore;
  hub: Hub;
  now = 1_000;
  private nextSession = 1;

  constructor(private readonly file: string) {
    this.store = this.open();
    this.hub = this.newHub();
  }

  /** The store on the file, without a checkpoint thread (tested on its own): restarts by the hundred stay fast. */
  private open(): SqliteStore {
    return openStore(this.file, undefined, { checkpointIntervalMs: 0 });
  }

  async restart(): Promise<void> {
    await this.store.close();
    this.store = this.open();
    this.hub = this.newHub();
  }

  /** Open a session, run `commands` in order (each settled before the next), close it; every reply it got. */
  async session(commands: HubCommand[]): Promise<HubReply[][]> {
    const id = this.nextSession++;
    // A minute apart: failed-login windows never carry over from one step to the next.
    this.now += 61_000;
    this.hub.open(id, this.now, '127.0.0.1');
    const answers: HubReply[][] = [];
    for (const command of commands) answers.push(repliesTo(await settle(this.hub.handle(id, command, this.now)), id));
    this.hub.close(id, this.now, 'disconnect');
    return answers;
  }

  private newHub(): Hub {
    return new Hub({ rateLimit: 0 }, { store: this.store, history: this.store, accounts: this.store, historyOnJoin: 0 });
  }
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  tmp.remove();
});

describe('the store under any sequence of actions', () => {
  it('loses and duplicates nothing, lets no wrong password in, hands each kept message over once', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
        const chat = new Chat(path.join(tmp.dir, `p${run++}.db`));
        const passwords = new Map<string, string>();
        const history = new Map<string, string[]>(ROOMS.map((r) => [r, []]));
        const mailbox = new Map<string, string[]>();
        const connectAs = (name: string): HubCommand => {
          const pw = passwords.get(name);
          return { kind: 'connect', name: pw === undefined ? name : `${name} ${pw}` };
        };
        try {
          for (const a of actions) {
            switch (a.type) {
              case 'restart':
                await chat.restart();
                break;
              case 'register': {
                const [welcome, answer] = await chat.session([connectAs(a.user), { kind: 'register', password: a.password }]);
                expect(welcome?.[0]?.kind).toBe('greeting');
                if (passwords.has(a.user)) expect(answer?.[0]).toMatchObject({ kind: 'error', code: 'name-registered' });
                else {
                  expect(answer?.[0]).toMatchObject({ kind: 'system' });
                  passwords.set(a.user, a.password);
                }
                mailbox.delete(a.user); // a sign-in empties it (checked under login)
                break;
              }
              case 'login': {
                const [answer] = await chat.session([{ kind: 'connect', name: `${a.user} ${a.password}` }]);
                const right = passwords.get(a.user) === a.password;
                expect(answer?.some((r) => r.kind === 'greeting')).toBe(right);
                if (right) {
                  const handed = (answer ?? []).flatMap((r) => (r.kind === 'private' ? [r.text] : []));
                  expect(handed).toEqual(mailbox.get(a.user) ?? []);
                  mailbox.delete(a.user);
                } else {
                  expect(answer?.[0]).toMatchObject({ kind: 'error', code: passwords.has(a.user) ? 'bad-password' : 'bad-name' });
                }
                break;
              }
              case 'message': {
                const commands: HubCommand[] = [connectAs(a.user)];
                if (a.room !== 'lobby') commands.push({ kind: 'join', room: a.room });
                commands.push({ kind: 'broadcast', text: a.text });
                const answers = await chat.session(commands);
                const expected = normalizeChatText(a.text, a.user, 4096);
                const echo = answers.at(-1)?.[0];
                if (expected.ok) {
                  expect(echo).toMatchObject({ kind: 'message', self: true, text: expected.text });
                  history.get(a.room)?.push(expected.text);
                } else expect(echo).toMatchObject({ kind: 'error' });
                mailbox.delete(a.user);
                break;
              }
              case 'private': {
                if (a.from === a.to) break;
                const [, answer] = await chat.session([connectAs(a.from), { kind: 'private', to: a.to, text: a.text }]);
                mailbox.delete(a.from);
                const expected = normalizeChatText(a.text, a.from, 4096);
                if (!expected.ok) expect(answer?.[0]).toMatchObject({ kind: 'error' });
                else if (passwords.has(a.to)) {
                  expect(answer?.[0]).toMatchObject({ kind: 'private', self: true, text: expected.text });
                  mailbox.set(a.to, [...(mailbox.get(a.to) ?? []), expected.text]);
                } else expect(answer?.[0]).toMatchObject({ kind: 'error', code: 'unknown-user' });
                break;
              }
            }
          }
          await chat.restart();
          for (const room of ROOMS) {
            const kept = await chat.store.roomHistory(room, 200);
            expect(kept.map((m) => m.text)).toEqual(history.get(room));
            // Ids grow in the order sent: paging is exact.
            expect(kept.map((m) => m.id)).toEqual([...kept.map((m) => m.id)].sort((x, y) => x - y));
          }
        } finally {
          await chat.store.close();
        }
      }),
      { numRuns: 60 },
    );
    // Each restart opens a file and checks it: a few ms each, far more on a busy machine.
  }, 120_000);
});
