import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESERVED_USER_NAMES } from '../../src/chat/limits.ts';
import { checkRoomName, checkUserName, codePointLength, nameKey, quoteName } from '../../src/chat/names.ts';

describe('user names', () => {
  it('accepts exactly 1–16 ASCII letters or digits (not a reserved word), keeping the spelling', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{1,16}$/).filter((n) => !RESERVED_USER_NAMES.has(n.toLowerCase())), (name) => {
        expect(checkUserName(name)).toEqual({ ok: true, name });
      }),
    );
  });

  it('refuses everything else with the rule in the message', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (raw) => {
        const trimmed = raw.trim();
        const valid = /^[A-Za-z0-9]{1,16}$/.test(trimmed) && !RESERVED_USER_NAMES.has(trimmed.toLowerCase());
        const result = checkUserName(raw);
        expect(result.ok).toBe(valid);
        if (!result.ok) expect(result.message).toContain('names are 1–16 letters or digits');
      }),
    );
  });
});

describe('room names', () => {
  it('accepts 1–32 letters or digits, optional leading #, and returns lower case', () => {
    expect(checkRoomName('#DevOps')).toEqual({ ok: true, name: 'devops' });
    expect(checkRoomName(' Dev ')).toEqual({ ok: true, name: 'dev' });
    expect(checkRoomName('##dev').ok).toBe(false);
    expect(checkRoomName('a'.repeat(33))).toMatchObject({ ok: false, message: expect.stringContaining('33 characters') });
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (raw) => {
        const result = checkRoomName(raw);
        let t = raw.trim();
        if (t.startsWith('#')) t = t.slice(1);
        expect(result.ok).toBe(/^[A-Za-z0-9]{1,32}$/.test(t));
        if (result.ok) expect(result.name).toBe(t.toLowerCase());
      }),
    );
  });
});

describe('helpers', () => {
  it('nameKey folds ASCII case', () => {
    expect(nameKey('AlIcE9')).toBe('alice9');
  });

  it('quoteName escapes control characters and bounds the length', () => {
    expect(quoteName('a"b\n')).toBe('"a\\"b\\n"');
    const q = quoteName('z'.repeat(1000));
    expect(q.length).toBeLessThan(50);
    expect(q.endsWith('…"')).toBe(true);
    expect(quoteName('😀'.repeat(40))).toBe(JSON.stringify('😀'.repeat(40)));
    expect(quoteName('😀'.repeat(41))).toBe(JSON.stringify(`${'😀'.repeat(40)}…`));
  });

  it('codePointLength counts astral characters once', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('')).toBe(0);
  });

  it('refuses bidi controls and zero-width characters, naming them and showing them in the quote', () => {
    for (const ch of ['\u202e', '\u202a', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff']) {
      const result = checkUserName(`ad${ch}min`);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.message).toContain(`<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
        expect(result.message).toMatch(/the (bidi control|zero-width character) U\+[0-9A-F]{4} \(invisible/);
        expect(result.message).not.toContain(ch);
      }
      expect(checkRoomName(`de${ch}v`).ok).toBe(false);
    }
  });

  it('refuses the reserved words in any case, with the reason', () => {
    for (const name of ['server', 'System', 'ADMIN', 'NickServ', 'chanserv', 'everyone', 'operator']) {
      const result = checkUserName(name);
      expect(result).toMatchObject({ ok: false, message: expect.stringContaining('is reserved') });
    }
    expect(checkUserName('servers')).toEqual({ ok: true, name: 'servers' });
    expect(checkUserName('admin2')).toEqual({ ok: true, name: 'admin2' });
  });
});
