// Long lists in pages (docs/protocol.md, "Long lists"). A list reply (`<users>`, `<rooms>`, `<files>`)
// is one line; a list too long for one line of at most `maxBytes` bytes is cut into pages, and each
// page ends with a marker entry saying where it sits:
//
//   <get_users>          → <users>alice@lobby,bob@games,…,+page 1/3 of 2000
//   <get_users>+2        → <users>carol@lobby,…,+page 2/3 of 2000
//
// The marker holds spaces, which every real entry writes as %20 (field-encoding.ts), so it can never be
// mistaken for an entry. A client that does not know pages (the Python chats) sees page 1 and the
// marker; dualchat's client asks for `+2`, `+3`, … until it has them all. Pure: sizes in, pages out.
import { parseDecimal } from './numbers.ts';
import type { ListPage } from './types.ts';

/**
 * The longest list reply line by default, in bytes without its "\n". 8 KiB is 1/128 of the 1 MiB of
 * unread replies after which the server drops a connection as not reading
 * (src/server/constants.ts MAX_PENDING_WRITE_BYTES) and of the longest line dualchat's client buffers
 * (src/tcp/client-connection.ts MAX_REPLY_LINE_BYTES): before pages, 5,600 long file names made one
 * 1 MB `<files>` line and every client that listed them was dropped. An old client reading with
 * recv(1024) gets a page in at most 8 reads; and a listing of 5,600 names of 200 bytes (~1.2 MB) takes
 * ~150 requests rather than the ~1,200 of a 1 KiB page.
 */
export const DEFAULT_LIST_REPLY_BYTES = 8 * 1024;

/**
 * The smallest bound allowed. 1024 bytes is what the old clients read at once (recv(1024)) and holds
 * the longest single entry with the marker: a 200-byte file name whose every byte is escaped (600
 * bytes), its size, the verb and a marker of 16-digit numbers.
 */
export const MIN_LIST_REPLY_BYTES = 1024;

/** The largest bound allowed: the longest line the server itself reads (src/tcp/constants.ts MAX_LINE_BYTES). */
export const MAX_LIST_REPLY_BYTES = 64 * 1024;

/**
 * How long later pages are cut from the snapshot of the list that page 1 was cut from
 * (list-snapshot.ts). A client asks for every page at once, a round trip each (milliseconds apiece), so
 * 10 s covers the ~190 pages of 5,600 long file names with room to spare, while a page asked later
 * still sees a list at most 10 s old.
 */
export const PAGE_SNAPSHOT_MS = 10_000;

/** Starts a page marker; no real entry starts so and holds a space. */
const MARKER_START = '+page ';
const MARKER = /^\+page ([0-9]+)\/([0-9]+) of ([0-9]+)$/;
/** `+N`: a page asked for. A user name is letters and digits only, so it is never one. */
const PAGE_ARGUMENT = /^\+([0-9]+)$/;

/** The marker entry for `page`: `+page PAGE/PAGES of TOTAL`. */
export function formatPageMarker(page: ListPage): string {
  return `${MARKER_START}${page.page}/${page.pages} of ${page.total}`;
}

/** A list item read as a page marker, or undefined when it is not one (or its numbers do not fit). */
export function parsePageMarker(item: string): ListPage | undefined {
  const m = MARKER.exec(item);
  if (m === null) return undefined;
  const page = parseDecimal(m[1] ?? '');
  const pages = parseDecimal(m[2] ?? '');
  const total = parseDecimal(m[3] ?? '');
  if (page === undefined || pages === undefined || total === undefined || page < 1 || pages < 1) return undefined;
  return { page, pages, total };
}

/**
 * A list command's argument read as a page: `{ page }` for `+N` (N ≥ 1), a reason for `+0` or a
 * number too large, undefined when the argument is not of the `+N` form (an own name, say).
 */
export function readPageArgument(arg: string): { ok: true; page: number } | { ok: false; why: string } | undefined {
  const m = PAGE_ARGUMENT.exec(arg);
  if (m === null) return undefined;
  const page = parseDecimal(m[1] ?? '');
  if (page === undefined || page < 1) return { ok: false, why: `pages are numbered from +1, got "${arg}"` };
  return { ok: true, page };
}

/** Page N as a command argument. */
export function formatPageArgument(page: number): string {
  return `+${page}`;
}

/** UTF-8 bytes of `s`, without allocating. */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Which entries a reply carries: `[from, to)` of the list, and the marker (absent: the whole list, no marker). */
export interface PageSlice {
  from: number;
  to: number;
  page?: ListPage;
}

/**
 * Cuts a list whose entries take `sizes[i]` bytes (joined by ",", after a head of `headBytes`) into
 * pages of lines at most `maxBytes` long, and picks page `asked` (undefined: the first, without a
 * marker when the whole list fits). Entries stay in order and whole; an entry too long for any page
 * (never with maxBytes ≥ MIN_LIST_REPLY_BYTES) has a page of its own. A page asked beyond the last is
 * empty, with its marker. Linear in the list's length.
 */
export function slicePage(sizes: readonly number[], headBytes: number, maxBytes: number, asked: number | undefined): PageSlice {
  const total = sizes.length;
  let whole = headBytes + Math.max(0, total - 1);
  for (const size of sizes) whole += size;
  if (asked === undefined && whole <= maxBytes) return { from: 0, to: total };
  // Room kept for the marker: its longest form for this list (page and pages are at most the total).
  const most = Math.max(total, 1);
  const reserve = 1 + formatPageMarker({ page: most, pages: most, total }).length;
  const budget = maxBytes - headBytes - reserve;
  const want = asked ?? 1;
  let pages = 1;
  let start = 0;
  let used = 0;
  let found: { from: number; to: number } | undefined;
  for (let i = 0; i < total; i++) {
    const size = sizes[i] ?? 0;
    const cost = used === 0 ? size : used + 1 + size;
    if (i > start && cost > budget) {
      if (pages === want) found = { from: start, to: i };
      pages++;
      start = i;
      used = size;
    } else used = cost;
  }
  if (pages === want) found = { from: start, to: total };
  const page: ListPage = { page: want, pages, total };
  return found === undefined ? { from: total, to: total, page } : { ...found, page };
}
