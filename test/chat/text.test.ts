import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeChatText } from '../../src/chat/text.ts';

/** Characters that matter here (breaks, controls, colons, astral) mixed with ordinary ones. */
const awkwardChar = fc.oneof(
  fc.constantFrom('\r', '\n', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u009f', ' ', ':', '😀', 'é'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);

describe('normalizeChatText', () => {
  it('strips only the family’s `SENDER : ` prefix, never what a person typed', () => {
    expect(normalizeChatText('alice : hi', 'alice', 100)).toEqual({ ok: true, text: 'hi', length: 2 });
    expect(normalizeChatText('Alice  :  hi', 'alice', 100)).toMatchObject({ text: 'hi' });
    expect(normalizeChatText('Alice:hi', 'alice', 100)).toMatchObject({ text: 'Alice:hi' });
    expect(normalizeChatText('alice: did you see this?', 'alice', 100)).toMatchObject({ text: 'alice: did you see this?' });
    expect(normalizeChatText('alice:5:1234', 'alice', 100)).toMatchObject({ text: 'alice:5:1234' });
    expect(normalizeChatText('alice : alice: hi', 'alice', 100)).toMatchObject({ text: 'alice: hi' });
    expect(normalizeChatText('alicia: hi', 'alice', 100)).toMatchObject({ text: 'alicia: hi' });
    expect(normalizeChatText('alice', 'alice', 100)).toMatchObject({ text: 'alice' });
  });

  it('refuses empty text and text over the limit', () => {
    expect(normalizeChatText(' \r\n\t ', 'a', 10)).toMatchObject({ ok: false, code: 'bad-argument' });
    expect(normalizeChatText('x'.repeat(11), 'a', 10)).toMatchObject({
      ok: false,
      code: 'too-large',
      message: 'the message has 11 characters; the limit is 10',
    });
  });

  it('never lets a line break or control character through, and never returns blank text', () => {
    fc.assert(
      fc.property(fc.string({ unit: awkwardChar, maxLength: 60 }), fc.stringMatching(/^[a-z]{1,5}$/), (raw, me) => {
        const result = normalizeChatText(raw, me, 30);
        if (result.ok) {
          expect(result.text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
          expect(result.text.trim()).toBe(result.text);
          expect(result.text.length).toBeGreaterThan(0);
          expect([...result.text].length).toBe(result.length);
          expect(result.length).toBeLessThanOrEqual(30);
        } else {
          expect(['bad-argument', 'too-large']).toContain(result.code);
        }
      }),
    );
  });

  it('keeps ordinary text intact', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9 .,!?]{0,40}[a-z0-9]$/), (text) => {
        fc.pre(!text.includes(':'));
        expect(normalizeChatText(text, 'zz', 100)).toMatchObject({ ok: true, text });
      }),
    );
  });

  it('removes bidi controls and hiding zero-width characters from displayed text, keeps the joiners', () => {
    expect(normalizeChatText('see x\u202Egnp.txt', 'bob', 100)).toEqual({ ok: true, text: 'see xgnp.txt', length: 12 });
    expect(normalizeChatText('\u2066a\u2069 \u200eb\u200f \u061cc pass\u200bword \u2060\ufeff', 'bob', 100)).toMatchObject({ ok: true, text: 'a b c password' });
    expect(normalizeChatText('👨\u200d👩\u200d👧 and می\u200cخواهم', 'bob', 100)).toMatchObject({ ok: true, text: '👨\u200d👩\u200d👧 and می\u200cخواهم' });
    expect(normalizeChatText('\u202e\u200b', 'bob', 100)).toMatchObject({ ok: false, code: 'bad-argument' });
    // Characters drawn as nothing (soft hyphen, Hangul fillers, …) go too; U+2028/2029 are line breaks: a space.
    expect(normalizeChatText('ad\u00admin \u3164\u115f\u1160\uffa0\u034f\u180e\u2061x', 'bob', 100)).toMatchObject({ ok: true, text: 'admin x' });
    expect(normalizeChatText('one\u2028two\u2029three', 'bob', 100)).toMatchObject({ ok: true, text: 'one two three' });
    expect(normalizeChatText('\u3164', 'bob', 100)).toMatchObject({ ok: false, code: 'bad-argument' });
    // A region's flag keeps its tag characters.
    const scotland = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}';
    expect(normalizeChatText(`go ${scotland}`, 'bob', 100)).toMatchObject({ ok: true, text: `go ${scotland}` });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\u200b', '\u2060', '\ufeff') }), (raw) => {
        const result = normalizeChatText(raw, 'bob', 1_000);
        if (result.ok) expect(result.text).toMatch(/^[a ]+$/);
      }),
    );
  });
});
