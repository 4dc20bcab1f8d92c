// User and room names: what is valid, how names compare, and how a name is quoted back in an error.
//
// User names are 1–16 ASCII letters or digits and keep the spelling their owner chose ("Alice");
// they compare case-insensitively, so "alice" cannot connect while "Alice" is online.
// Room names are 1–32 ASCII letters or digits, case-insensitive, and canonically lower-case:
// `<join>Dev` and `<join>dev` enter the same room, listed as "dev". A leading `#` (IRC habit) is
// accepted and dropped. Lower-case canonical names make room identity independent of who created it.
// Bidi controls and zero-width characters are refused like any other non-alphanumeric character, and
// named as what they are (src/commands/invisible.ts); a refused name is quoted with them made visible.
// Some user names are reserved (RESERVED_USER_NAMES: the server's and staff's, services, the room).

import { codePointName, describeInvisible, firstInvisible, showInvisible } from '../commands/invisible.ts';
import { QUOTED_NAME_MAX_LENGTH, RESERVED_USER_NAMES, ROOM_NAME_MAX_LENGTH, USER_NAME_MAX_LENGTH } from './limits.ts';

export type NameCheck = { ok: true; name: string } | { ok: false; message: string };

const USER_NAME_RULE = `names are 1–${USER_NAME_MAX_LENGTH} letters or digits`;
const ROOM_NAME_RULE = `room names are 1–${ROOM_NAME_MAX_LENGTH} letters or digits`;
const ALNUM = /^[A-Za-z0-9]+$/;
const NON_ALNUM = /[^A-Za-z0-9]/u;

/** The key under which a user or room name is unique: ASCII lower-case. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * Validate a user name (surrounding blanks ignored; not a reserved word); the result keeps the user's spelling.
 * A reserved name that `isRegistered` already (an account made before the word was reserved) passes:
 * its owner can still sign in and read its mailbox; nobody can take or register it anew.
 */
export function checkUserName(raw: string, isRegistered: (key: string) => boolean = () => false): NameCheck {
  const checked = checkName(raw.trim(), USER_NAME_MAX_LENGTH, 'a name', USER_NAME_RULE);
  if (!checked.ok || isRegistered(nameKey(checked.name))) return checked;
  const reserved = reservedNameRefusal(checked.name);
  return reserved === undefined ? checked : { ok: false, message: reserved };
}

/** Why `name` may not be taken or registered (a reserved word), or undefined when it may. */
export function reservedNameRefusal(name: string): string | undefined {
  if (!RESERVED_USER_NAMES.has(nameKey(name))) return undefined;
  return `${quoteName(name)} is reserved (it would pass for the server, its staff or services, or the whole room); choose another name`;
}

/** Validate a room name (surrounding blanks and one leading `#` ignored); the result is lower-case. */
export function checkRoomName(raw: string): NameCheck {
  let name = raw.trim();
  if (name.startsWith('#')) name = name.slice(1);
  const checked = checkName(name, ROOM_NAME_MAX_LENGTH, 'a room name', ROOM_NAME_RULE);
  return checked.ok ? { ok: true, name: nameKey(checked.name) } : checked;
}

function checkName(name: string, max: number, what: string, rule: string): NameCheck {
  if (name.length === 0) return { ok: false, message: `${what} is required: ${rule}` };
  if (name.length <= max && ALNUM.test(name)) return { ok: true, name };
  const length = codePointLength(name);
  if (length > max) {
    return { ok: false, message: `${quoteName(name)} has ${length} characters: ${rule}` };
  }
  const bad = firstInvisible(name) ?? NON_ALNUM.exec(name)?.[0] ?? '';
  return { ok: false, message: `${quoteName(name)} contains ${describeChar(bad)}: ${rule}` };
}

/**
 * A name as it appears inside an error message: double-quoted with JSON escapes (so control
 * characters and quotes are visible, never interpreted), bidi controls and zero-width characters shown
 * as `<U+202E>`, cut to a bounded length with "…".
 */
export function quoteName(raw: string): string {
  const points = Array.from(raw.slice(0, QUOTED_NAME_MAX_LENGTH * 2));
  const cut = points.length > QUOTED_NAME_MAX_LENGTH || raw.length > QUOTED_NAME_MAX_LENGTH * 2;
  const shown = cut ? `${points.slice(0, QUOTED_NAME_MAX_LENGTH).join('')}…` : raw;
  return JSON.stringify(showInvisible(shown));
}

/** Number of Unicode code points (what a person calls characters, near enough). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return 'a space';
  if (firstInvisible(ch) !== undefined) return describeInvisible(ch);
  const hex = codePointName(ch);
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `the control character ${hex}`;
  if (code >= 0xd800 && code <= 0xdfff) return `an unpaired surrogate ${hex}`;
  return `${JSON.stringify(ch)} (only A–Z, a–z and 0–9 are allowed)`;
}
