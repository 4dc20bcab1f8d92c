// The IRC habits on the client's side: what the user types (/nick, /away, /me, /topic, /whois, /r, /query),
// where plain lines go during a /query, what the state learns (our new name, who to reply to), and how
// actions, topics, whois answers and mentions are shown (terminal, --json, the bell).
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { planInput } from '../../src/client/actions.ts';
import { mentions, promptText, toJsonEvent, toTerminalLines, wantsBell } from '../../src/client/render.ts';
import { ClientState } from '../../src/client/state.ts';
import { formatCommand } from '../../src/commands/command-syntax.ts';
import { isPlainText, translateInput } from '../../src/commands/typed-input.ts';
import type { Reply } from '../../src/commands/types.ts';

const plain = pc.createColors(false);
const TS = new Date(2024, 0, 2, 3, 4, 5).getTime();
const ctx = { me: 'alice', now: TS, colors: plain };

describe('typed habits', () => {
  it('translate to the grammar, and the bracket forms round-trip', () => {
    const cases: Array<[string, string]> = [
      ['/nick Alicia', '<nick>Alicia'],
      ['/away at lunch', '<away>at lunch'],
      ['/away', '<away>'],
      ['/me waves hello', '<me>waves hello'],
      ['/ME waves', '<me>waves'],
      ['/topic release friday', '<topic>release friday'],
      ['/topic', '<topic>'],
      ['/whois bob', '<whois>bob'],
    ];
    for (const [typed, line] of cases) {
      const t = translateInput(typed);
      expect(t.kind, typed).toBe('send');
      if (t.kind !== 'send') continue;
      expect(formatCommand(t.command), typed).toBe(line);
      expect(translateInput(line), line).toEqual(t);
    }
  });

  it('say what is missing', () => {
    expect(translateInput('/nick')).toEqual({ kind: 'error', message: '/nick needs your new name (one word): /nick NEW' });
    expect(translateInput('/nick a b')).toMatchObject({ kind: 'error' });
    expect(translateInput('/whois')).toEqual({ kind: 'error', message: '/whois needs a user (one word): /whois NAME' });
    expect(translateInput('/me')).toEqual({ kind: 'error', message: '/me needs an action: /me waves' });
    expect(translateInput('/r')).toEqual({ kind: 'error', message: '/r needs a text: /r TEXT' });
    expect(translateInput('/query a b')).toMatchObject({ kind: 'error' });
  });

  it('/r, /reply and /query are the client\'s own', () => {
    expect(translateInput('/r see you')).toEqual({ kind: 'reply', text: 'see you' });
    expect(translateInput('/reply see you')).toEqual({ kind: 'reply', text: 'see you' });
    expect(translateInput('/query bob')).toEqual({ kind: 'query', name: 'bob' });
    expect(translateInput('/query')).toEqual({ kind: 'query' });
  });

  it('plain text is what has no command in it', () => {
    for (const t of ['hello', '<3 you', ' hi there ', '-_-', 'bye']) expect(isPlainText(t), t).toBe(true);
    for (const t of ['/me x', '//slash', '<set_msg_all>x', '<me>x', '-pr bob hi', '']) expect(isPlainText(t), t).toBe(false);
  });
});

describe('planInput: /reply and /query', () => {
  it('/r goes to whoever last wrote privately, or says nobody did', () => {
    expect(planInput('/r ok', 'lobby', { replyTo: 'bob' })).toEqual({ type: 'send', command: { kind: 'private', to: 'bob', text: 'ok' } });
    expect(planInput('/r ok', 'lobby', {})).toMatchObject({ type: 'show', item: { kind: 'client-error', code: 'bad-argument' } });
  });

  it('during a /query plain lines go privately; commands keep their meaning', () => {
    const talk = { query: 'bob' };
    expect(planInput('hello there', 'lobby', talk)).toEqual({ type: 'send', command: { kind: 'private', to: 'bob', text: 'hello there' } });
    expect(planInput('/broadcast to all', 'lobby', talk)).toEqual({ type: 'send', command: { kind: 'broadcast', text: 'to all' } });
    expect(planInput('/me waves', 'lobby', talk)).toEqual({ type: 'send', command: { kind: 'action', text: 'waves' } });
    expect(planInput('hello', 'lobby', {})).toEqual({ type: 'send', command: { kind: 'broadcast', text: 'hello' } });
    expect(planInput('/query carol', 'lobby', talk)).toEqual({ type: 'query', name: 'carol' });
    expect(planInput('/query', 'lobby', talk)).toEqual({ type: 'query' });
  });
});

describe('ClientState: the habits', () => {
  function welcomed(): ClientState {
    const s = new ClientState();
    s.sent({ kind: 'connect', name: 'alice' }, 0);
    s.receive({ kind: 'welcome', name: 'alice', room: 'lobby', text: 'hi' }, 0);
    return s;
  }

  it('follows our own rename, and the reply target\'s and query partner\'s', () => {
    const s = welcomed();
    s.receive({ kind: 'private', from: 'bob', to: 'alice', ts: 1, self: false, text: 'psst' }, 1);
    expect(s.replyTarget).toBe('bob');
    s.setQuery('bob');
    s.sent({ kind: 'rename', name: 'Alicia' }, 2);
    expect(s.pendingCount).toBe(1);
    s.receive({ kind: 'system', text: 'alice is now known as Alicia' }, 3);
    expect(s.name).toBe('Alicia');
    expect(s.pendingCount).toBe(0);
    s.receive({ kind: 'system', text: 'bob is now known as robert' }, 4);
    expect(s.replyTarget).toBe('robert');
    expect(s.query).toBe('robert');
    expect(s.knownNames).toContain('robert');
    expect(s.knownNames).not.toContain('bob');
    // A notice that merely looks similar changes nothing.
    s.receive({ kind: 'system', text: 'the cat is now known as a dog' }, 5);
    expect(s.name).toBe('Alicia');
  });

  it('our own private copy does not change the reply target', () => {
    const s = welcomed();
    s.receive({ kind: 'private', from: 'alice', to: 'carol', ts: 1, self: true, text: 'x' }, 1);
    expect(s.replyTarget).toBeUndefined();
  });

  it('matches the answers of the new commands', () => {
    const s = welcomed();
    s.sent({ kind: 'whois', name: 'bob' }, 1);
    s.sent({ kind: 'action', text: 'waves' }, 1);
    s.sent({ kind: 'topic' }, 1);
    s.receive({ kind: 'whois', name: 'bob', rooms: ['lobby'], idle: 3 }, 2);
    s.receive({ kind: 'action', from: 'alice', room: 'lobby', ts: 2, self: true, text: 'waves' }, 2);
    s.receive({ kind: 'system', text: 'no topic is set in #lobby' }, 2);
    expect(s.pendingCount).toBe(0);
  });
});

describe('rendering the habits', () => {
  const action: Reply = { kind: 'action', from: 'bob', room: 'lobby', ts: TS, self: false, text: 'waves' };
  const topic: Reply = { kind: 'topic', room: 'dev', by: 'bob', ts: TS, text: 'release friday' };

  it('an action reads * NAME ACTION', () => {
    expect(toTerminalLines({ kind: 'reply', reply: action }, ctx)).toEqual(['[03:04:05] * bob waves']);
    expect(toJsonEvent({ kind: 'reply', reply: action }, ctx)).toEqual({ type: 'action', from: 'bob', room: 'lobby', text: 'waves', ts: TS, self: false });
  });

  it('a topic, a cleared topic, a whois answer, a query notice', () => {
    expect(toTerminalLines({ kind: 'reply', reply: topic }, ctx)).toEqual(['[03:04:05] * Topic of #dev: release friday (set by bob)']);
    expect(toTerminalLines({ kind: 'reply', reply: { ...topic, text: '' } }, ctx)).toEqual(['[03:04:05] * bob cleared the topic of #dev']);
    expect(toJsonEvent({ kind: 'reply', reply: topic }, ctx)).toEqual({ type: 'topic', room: 'dev', by: 'bob', text: 'release friday', ts: TS });
    const whois: Reply = { kind: 'whois', name: 'bob', rooms: ['lobby', 'dev'], idle: 75, away: 'lunch' };
    expect(toTerminalLines({ kind: 'reply', reply: whois }, ctx)).toEqual(['[03:04:05] bob is in #lobby, #dev; idle 1m 15s; away: lunch']);
    expect(toJsonEvent({ kind: 'reply', reply: whois }, ctx)).toEqual({ type: 'whois', name: 'bob', rooms: ['lobby', 'dev'], idle: 75, away: 'lunch' });
    expect(toJsonEvent({ kind: 'reply', reply: { kind: 'whois', name: 'x', rooms: ['a'] } }, ctx)).toEqual({ type: 'whois', name: 'x', rooms: ['a'], idle: null, away: null });
    expect(toJsonEvent({ kind: 'query', name: 'bob' }, ctx)).toEqual({ type: 'query', name: 'bob' });
    expect(toJsonEvent({ kind: 'query', name: undefined }, ctx)).toEqual({ type: 'query', name: null });
    expect(toTerminalLines({ kind: 'query', name: undefined }, ctx)).toEqual(['[03:04:05] * plain lines go to your room again']);
  });

  it('mentions are whole words, any case', () => {
    expect(mentions('alice, look', 'alice')).toBe(true);
    expect(mentions('hi @ALICE!', 'alice')).toBe(true);
    expect(mentions('malice aforethought', 'alice')).toBe(false);
    expect(mentions('alice2 is here', 'alice')).toBe(false);
    expect(mentions('anything', undefined)).toBe(false);
  });

  it('highlights a mention and rings for it and for a private message, never for our own lines', () => {
    const coloured = pc.createColors(true);
    const mention: Reply = { kind: 'message', from: 'bob', room: 'lobby', ts: TS, self: false, text: 'alice: look' };
    const line = toTerminalLines({ kind: 'reply', reply: mention }, { ...ctx, colors: coloured })[0] ?? '';
    expect(line).toContain(coloured.bold(coloured.yellow('alice: look')));
    expect(wantsBell({ kind: 'reply', reply: mention }, 'alice')).toBe(true);
    expect(wantsBell({ kind: 'reply', reply: { ...mention, text: 'nothing for you' } }, 'alice')).toBe(false);
    expect(wantsBell({ kind: 'reply', reply: { ...mention, self: true } }, 'alice')).toBe(false);
    expect(wantsBell({ kind: 'reply', reply: { ...action, text: 'pokes alice' } }, 'alice')).toBe(true);
    expect(wantsBell({ kind: 'reply', reply: { kind: 'private', from: 'bob', to: 'alice', ts: TS, self: false, text: 'x' } }, 'alice')).toBe(true);
    expect(wantsBell({ kind: 'reply', reply: { kind: 'private', from: 'alice', to: 'bob', ts: TS, self: true, text: 'x' } }, 'alice')).toBe(false);
  });

  it('the prompt shows the query partner', () => {
    expect(promptText('alice', 'lobby', plain, 'bob')).toBe('alice@lobby→bob> ');
    expect(promptText('alice', 'lobby', plain)).toBe('alice@lobby> ');
  });
});
