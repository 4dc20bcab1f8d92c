import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { complete, SLASH_COMMANDS } from '../../src/client/completion.ts';
import { translateInput } from '../../src/commands/typed-input.ts';

describe('complete', () => {
  it('completes slash commands', () => {
    expect(complete('/whi', [])).toEqual([['/whisper '], '/whi']);
    expect(complete('/wh', [])).toEqual([['/whisper ', '/whois '], '/wh']);
    expect(complete('/s', [])[0]).toEqual(['/sendfile ', '/sendimage ', '/stats ', '/status ']);
    expect(complete('/J', [])).toEqual([['/join '], '/J']);
    expect(complete('/zzz', [])).toEqual([[], '/zzz']);
  });

  it('completes user names after commands that take one', () => {
    const names = ['bob', 'Bobby', 'carol'];
    expect(complete('/msg bo', names)).toEqual([['Bobby ', 'bob '], 'bo']);
    expect(complete('-pr c', names)).toEqual([['carol '], 'c']);
    expect(complete('/msg ', names)[0]).toHaveLength(3);
    expect(complete('/msg bob hel', names)).toEqual([[], '/msg bob hel']);
    expect(complete('hello bo', names)).toEqual([[], 'hello bo']);
  });

  it('offers only commands the typed-input grammar knows', () => {
    for (const command of SLASH_COMMANDS) {
      const typed = translateInput(`${command} x y`);
      if (typed.kind === 'error') expect(typed.message, command).not.toMatch(/unknown command/);
    }
  });

  it('always answers with candidates that extend the word being completed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.array(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), { maxLength: 5 }), (line, names) => {
        const [hits, word] = complete(line, names);
        expect(line.endsWith(word)).toBe(true);
        for (const hit of hits) expect(hit.toLowerCase().startsWith(word.toLowerCase())).toBe(true);
      }),
    );
  });
});
