// The client fetches every page of a long list and shows it once, whole (docs/protocol.md, "Long lists").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LIST_PAGES } from '../../src/client/constants.ts';
import { ClientState, type Display, type NextPage } from '../../src/client/state.ts';
import { MIN_LIST_REPLY_BYTES } from '../../src/commands/list-pages.ts';
import { pagedReply } from '../../src/commands/reply-syntax.ts';
import type { Command, UserEntry } from '../../src/commands/types.ts';

const T = 1_700_000_000_000;

function welcomed(): ClientState {
  const s = new ClientState();
  s.sent({ kind: 'connect', name: 'alice' }, T);
  s.receive({ kind: 'welcome', name: 'alice', room: 'lobby', text: 'hi' }, T);
  return s;
}

/** Plays the server for `first`: answers each request with the page it asks for, until the client shows something. */
function fetchAll(s: ClientState, first: Command, answer: (c: Command) => Parameters<ClientState['receive']>[0], scope?: 'room' | 'all'): { shown: Display; asked: Command[] } {
  const asked: Command[] = [first];
  s.sent(first, T, scope);
  let out: Display | NextPage = s.receive(answer(first), T);
  while (out.kind === 'next-page') {
    expect(asked.length).toBeLessThan(MAX_LIST_PAGES + 1);
    asked.push(out.command);
    s.sent(out.command, T, out.scope);
    out = s.receive(answer(out.command), T);
  }
  return { shown: out, asked };
}

const users = (n: number): UserEntry[] => Array.from({ length: n }, (_, i) => ({ name: `user${i}`, room: i % 2 === 0 ? 'lobby' : 'games' }));

describe('ClientState: long lists', () => {
  it('asks for +2, +3, … and shows every user once, filtered to the room for /users', () => {
    const all = users(400);
    const s = welcomed();
    const { shown, asked } = fetchAll(
      s,
      { kind: 'users' },
      (c) => pagedReply({ kind: 'users', users: all }, c.kind === 'users' ? c.page : undefined, MIN_LIST_REPLY_BYTES),
      'room',
    );
    expect(asked.length).toBeGreaterThan(3);
    expect(asked.slice(1)).toEqual(asked.slice(1).map((_, i) => ({ kind: 'users', page: i + 2 })));
    expect(shown).toEqual({ kind: 'users', scope: 'room', room: 'lobby', users: all.filter((u) => u.room === 'lobby') });
    expect(s.pendingCount).toBe(0);
    expect(s.knownNames).toHaveLength(400);
  });

  it('files and rooms the same way; an entry seen on two pages (the list moved) is shown once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 5 }), (n, shift) => {
        const files = Array.from({ length: n }, (_, i) => ({ name: `a long file name number ${i}.txt`, size: i }));
        const s = welcomed();
        // The list grows by `shift` entries at its front after page 1: later pages repeat some entries.
        const grown = [...Array.from({ length: shift }, (_, i) => ({ name: `0 new ${i}`, size: 1 })), ...files];
        const { shown } = fetchAll(s, { kind: 'listfiles' }, (c) => {
          const page = c.kind === 'listfiles' ? c.page : undefined;
          return pagedReply({ kind: 'files', files: page === undefined ? files : grown }, page, MIN_LIST_REPLY_BYTES);
        });
        expect(shown.kind).toBe('reply');
        if (shown.kind !== 'reply' || shown.reply.kind !== 'files') return;
        expect(shown.reply.page).toBeUndefined();
        const names = shown.reply.files.map((f) => f.name);
        expect(new Set(names).size).toBe(names.length);
        for (const f of files) expect(names).toContain(f.name);
      }),
      { numRuns: 30 },
    );
    const rooms = Array.from({ length: 300 }, (_, i) => ({ name: `room${i}`, count: i }));
    const { shown } = fetchAll(welcomed(), { kind: 'rooms' }, (c) => pagedReply({ kind: 'rooms', rooms }, c.kind === 'rooms' ? c.page : undefined, MIN_LIST_REPLY_BYTES));
    expect(shown).toEqual({ kind: 'reply', reply: { kind: 'rooms', rooms } });
  });

  it('stops asking after MAX_LIST_PAGES pages of a server that never ends', () => {
    const s = welcomed();
    const { asked, shown } = fetchAll(s, { kind: 'users' }, (c) => ({
      kind: 'users',
      users: [{ name: `u${c.kind === 'users' ? (c.page ?? 1) : 0}`, room: 'lobby' }],
      page: { page: c.kind === 'users' ? (c.page ?? 1) : 1, pages: Number.MAX_SAFE_INTEGER, total: Number.MAX_SAFE_INTEGER },
    }));
    expect(asked).toHaveLength(MAX_LIST_PAGES);
    expect(shown.kind === 'users' && shown.users.length).toBe(MAX_LIST_PAGES);
  });

  it('a page nobody asked for is shown as it came', () => {
    const s = welcomed();
    const page = { kind: 'users' as const, users: [{ name: 'bob', room: 'lobby' }], page: { page: 1, pages: 2, total: 2 } };
    expect(s.receive(page, T)).toEqual({ kind: 'users', scope: 'all', room: undefined, users: page.users });
  });
});
