// Long lists in pages: every page's line stays within the bound, the pages together are the list, and
// the marker reads back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LIST_REPLY_BYTES, MIN_LIST_REPLY_BYTES, PAGE_SNAPSHOT_MS, parsePageMarker, slicePage, utf8Bytes } from '../../src/commands/list-pages.ts';
import { ListSnapshot } from '../../src/commands/list-snapshot.ts';
import { formatReply, pagedReply, parseReply, type ListReply } from '../../src/commands/reply-syntax.ts';
import type { FileEntry } from '../../src/commands/types.ts';

/** A file name of up to 200 UTF-8 bytes, escapes and all (the shared directory's limit). */
const fileName = fc
  .string({ unit: fc.constantFrom('a', 'Z', ' ', ',', ':', '%', 'é', '字', '😀', '.', '+'), minLength: 1, maxLength: 60 })
  .filter((s) => Buffer.byteLength(s) <= 200);
const files = fc.array(fc.record({ name: fileName, size: fc.maxSafeNat() }).map(({ name, size }): FileEntry => ({ name, size })), { maxLength: 300 });
const bound = fc.integer({ min: MIN_LIST_REPLY_BYTES, max: 4 * MIN_LIST_REPLY_BYTES });

/** Every page of `whole`, asked +1, +2, … until the marker says it was the last (bounded by the list's length). */
function allPages(whole: ListReply, maxBytes: number): ListReply[] {
  const out: ListReply[] = [];
  for (let page = 1; page <= Math.max(1, lengthOf(whole)) + 1; page++) {
    const r = pagedReply(whole, page, maxBytes);
    out.push(r);
    if (r.page === undefined || r.page.page >= r.page.pages) break;
  }
  return out;
}

function lengthOf(r: ListReply): number {
  return r.kind === 'users' ? r.users.length : r.kind === 'rooms' ? r.rooms.length : r.files.length;
}

describe('list pages', () => {
  it('every page is within the bound, the pages together are the list, and each line reads back', () => {
    fc.assert(
      fc.property(files, bound, (list, maxBytes) => {
        const whole: ListReply = { kind: 'files', files: list };
        const pages = allPages(whole, maxBytes);
        const seen: FileEntry[] = [];
        for (const [i, r] of pages.entries()) {
          const line = formatReply(r);
          expect(utf8Bytes(line)).toBeLessThanOrEqual(maxBytes);
          expect(utf8Bytes(line)).toBe(Buffer.byteLength(line));
          expect(parseReply(line)).toStrictEqual({ ok: true, value: r });
          expect(r.page).toStrictEqual({ page: i + 1, pages: pages.length, total: list.length });
          if (r.kind === 'files') seen.push(...r.files);
        }
        expect(seen).toStrictEqual(list);
      }),
    );
  });

  it('a list that fits is sent whole without a marker; asked for a page, it is page 1 of 1', () => {
    const whole: ListReply = { kind: 'users', users: [{ name: 'alice', room: 'lobby' }] };
    expect(formatReply(pagedReply(whole, undefined, MIN_LIST_REPLY_BYTES))).toBe('<users>alice@lobby');
    expect(formatReply(pagedReply(whole, 1, MIN_LIST_REPLY_BYTES))).toBe('<users>alice@lobby,+page 1/1 of 1');
    expect(formatReply(pagedReply({ kind: 'rooms', rooms: [] }, 1, MIN_LIST_REPLY_BYTES))).toBe('<rooms>+page 1/1 of 0');
  });

  it('a page beyond the last is empty, with its marker', () => {
    const users = Array.from({ length: 500 }, (_, i) => ({ name: `user${i}`, room: 'lobby' }));
    const r = pagedReply({ kind: 'users', users }, 99, MIN_LIST_REPLY_BYTES);
    expect(r.users).toEqual([]);
    expect(r.page?.page).toBe(99);
    expect(r.page!.pages).toBeLessThan(99);
  });

  it('20,000 users at the default bound: each page under 8 KiB, all pages give every user once', () => {
    const users = Array.from({ length: 20_000 }, (_, i) => ({ name: `someone${String(i).padStart(5, '0')}`, room: `room${i % 37}` }));
    const pages = allPages({ kind: 'users', users }, 8 * 1024);
    expect(pages.length).toBeGreaterThan(40);
    expect(pages.every((p) => Buffer.byteLength(formatReply(p)) <= 8 * 1024)).toBe(true);
    expect(pages.flatMap((p) => (p.kind === 'users' ? p.users : []))).toEqual(users);
  });

  it('an entry longer than any page goes alone on its page', () => {
    expect(slicePage([10, 5000, 10], 7, 1024, 2)).toEqual({ from: 1, to: 2, page: { page: 2, pages: 3, total: 3 } });
  });

  it('markers: only the exact form, numbers from 1', () => {
    expect(parsePageMarker('+page 2/3 of 40')).toEqual({ page: 2, pages: 3, total: 40 });
    for (const bad of ['+page 0/3 of 40', '+page 1/0 of 0', '+page 1/3  of 40', 'page 1/3 of 40', '+page 1/3 of 99999999999999999999', '+1/3:40']) {
      expect(parsePageMarker(bad), bad).toBeUndefined();
    }
    expect(MAX_LIST_REPLY_BYTES).toBeGreaterThan(MIN_LIST_REPLY_BYTES);
  });
});

describe('list snapshots', () => {
  it('later pages come from the list page 1 was cut from, for PAGE_SNAPSHOT_MS; page 1 is always fresh', () => {
    const snapshot = new ListSnapshot<'users'>(MIN_LIST_REPLY_BYTES);
    let taken = 0;
    const users = (n: number) => (): Extract<ListReply, { kind: 'users' }> => {
      taken++;
      return { kind: 'users', users: Array.from({ length: n }, (_, i) => ({ name: `user${String(i).padStart(4, '0')}`, room: 'lobby' })) };
    };
    const page = (asked: number | undefined, now: number, n: number) => (snapshot.reuse(asked, now) ?? snapshot.keep(users(n)(), now))(asked);
    expect(page(undefined, 0, 300).page).toMatchObject({ page: 1, total: 300 });
    // The list grows, but pages 2 and 3 are cut from the one page 1 came from.
    expect(page(2, 5_000, 400).page).toMatchObject({ page: 2, total: 300 });
    expect(page(3, PAGE_SNAPSHOT_MS, 400).page).toMatchObject({ page: 3, total: 300 });
    expect(taken).toBe(1);
    // Too old, or a first page: a fresh list.
    expect(page(2, PAGE_SNAPSHOT_MS + 1, 400).page).toMatchObject({ page: 2, total: 400 });
    expect(page(1, PAGE_SNAPSHOT_MS + 2, 500).page).toMatchObject({ page: 1, total: 500 });
    expect(taken).toBe(3);
    // A clock that went back does not reuse.
    expect(page(2, 0, 600).page).toMatchObject({ total: 600 });
  });
});
