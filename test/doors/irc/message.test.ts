// The IRC message format of the IRC door and of the fanout clients that speak to ngircd (RFC 2812 §2.3.1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIrc, IRC_MAX_PARAMS, parseIrc } from '../../../src/doors/irc/message.ts';

describe('IRC lines', () => {
  it('formats the commands a benchmark client sends', () => {
    expect(formatIrc('NICK', ['c1'])).toBe('NICK c1');
    expect(formatIrc('USER', ['c1', '0', '*', 'c1'])).toBe('USER c1 0 * c1');
    expect(formatIrc('PRIVMSG', ['#fanout', '#m3:17:xxx'])).toBe('PRIVMSG #fanout #m3:17:xxx');
    expect(formatIrc('PONG', ['bench.invalid'])).toBe('PONG bench.invalid');
    expect(formatIrc('PRIVMSG', ['#r', 'two words'])).toBe('PRIVMSG #r :two words');
    expect(formatIrc('QUIT', [''])).toBe('QUIT :');
  });

  it('refuses what cannot be sent, naming it', () => {
    expect(() => formatIrc('PRIV MSG')).toThrow(/letters or three digits/);
    expect(() => formatIrc('PRIVMSG', ['#a b', 'x'])).toThrow(/only the last IRC parameter/);
    expect(() => formatIrc('PRIVMSG', ['#r', 'a\r\nQUIT'])).toThrow(/NUL, CR or LF/);
    expect(() => formatIrc('PRIVMSG', ['#r', 'x'.repeat(600)])).toThrow(/at most 510 bytes/);
    expect(() => formatIrc('X', Array.from({ length: IRC_MAX_PARAMS + 1 }, () => 'p'))).toThrow(/at most 15 parameters/);
  });

  it('parses what ngircd sends', () => {
    expect(parseIrc(':bench.invalid 001 c1 :Welcome to the Internet Relay Network c1!~c1@127.0.0.1\r')).toEqual({
      prefix: 'bench.invalid',
      command: '001',
      params: ['c1', 'Welcome to the Internet Relay Network c1!~c1@127.0.0.1'],
    });
    expect(parseIrc(':bench.invalid 366 c1 #fanout :End of NAMES list')?.params).toEqual(['c1', '#fanout', 'End of NAMES list']);
    expect(parseIrc('PING :bench.invalid')).toEqual({ prefix: undefined, command: 'PING', params: ['bench.invalid'] });
    expect(parseIrc(':c3!~c3@127.0.0.1 PRIVMSG #fanout :#m3:17:xx')?.params).toEqual(['#fanout', '#m3:17:xx']);
    expect(parseIrc('ERROR :Closing connection')).toEqual({ prefix: undefined, command: 'ERROR', params: ['Closing connection'] });
  });

  it('says undefined for what is not an IRC message', () => {
    for (const bad of ['', ':', ': 001', ':p', 'PRIV-MSG x', '12 x', 'A  B', 'A\nB', `A ${Array.from({ length: 16 }, () => 'p').join(' ')}`]) expect(parseIrc(bad), bad).toBeUndefined();
  });

  it('property: a formatted line parses back to its command and parameters', () => {
    const middle = fc.stringMatching(/^[!-9;-~][!-~]{0,9}$/);
    const trailing = fc.stringMatching(/^[ -~]{0,30}$/);
    fc.assert(
      fc.property(fc.constantFrom('PRIVMSG', 'JOIN', 'NICK', '001', '366'), fc.array(middle, { maxLength: 13 }), fc.option(trailing, { nil: undefined }), (command, mids, last) => {
        const params = last === undefined ? mids : [...mids, last];
        expect(parseIrc(formatIrc(command, params))).toEqual({ prefix: undefined, command, params });
      }),
    );
  });
});
