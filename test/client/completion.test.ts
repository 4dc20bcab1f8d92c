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
  });

  it('completes a name anywhere in a line: addressed at the start (bob: ), plain further on (as irssi)', () => {
    const names = ['bob', 'Bobby', 'carol'];
    expect(complete('ca', names)).toEqual([['carol: '], 'ca']);
    expect(complete('bo', names)).toEqual([['Bobby: ', 'bob: '], 'bo']);
    expect(complete('hello bo', names)).toEqual([['Bobby ', 'bob '], 'bo']);
    expect(complete('see you, CA', names)).toEqual([['carol '], 'CA']);
    expect(complete('ping @ca', names)).toEqual([['@carol '], '@ca']);
    expect(complete('@ca', names)).toEqual([['@carol '], '@ca']);
    expect(complete('hello zz', names)).toEqual([[], 'hello zz']);
    expect(complete('hello ', names)).toEqual([[], 'hello ']);
    expect(complete('', names)).toEqual([[], '']);
  });

  it('completes room names after /join, /history and -goto (with or without #)', () => {
    const rooms = ['games', 'general', 'lobby'];
    expect(complete('/join ga', [], rooms)).toEqual([['games '], 'ga']);
    expect(complete('/join g', [], rooms)).toEqual([['games ', 'general '], 'g']);
    expect(complete('/history #lo', [], rooms)).toEqual([['#lobby '], '#lo']);
    expect(complete('-goto ', [], rooms)[0]).toHaveLength(3);
    expect(complete('/join x', [], rooms)).toEqual([[], 'x']);
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
        const [hits, word] = complete(line, names, names);
        expect(line.endsWith(word)).toBe(true);
        for (const hit of hits) expect(hit.toLowerCase().startsWith(word.toLowerCase())).toBe(true);
      }),
    );
  });
});
