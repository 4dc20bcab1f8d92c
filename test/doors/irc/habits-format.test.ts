// How the IRC door words the habits of other doors: an action as a CTCP ACTION, a topic change as TOPIC.
import { describe, expect, it } from 'vitest';
import { roomText } from '../../../src/doors/irc/format.ts';

describe('IRC: actions and topics of the room', () => {
  it('an action is a CTCP ACTION PRIVMSG to the channel', () => {
    const line = roomText({ kind: 'action', from: 'alice', room: 'lobby', ts: 0, self: false, text: 'waves' }, false);
    expect(line).toBe(':alice!alice@dualchat PRIVMSG #lobby :\x01ACTION waves\x01\r\n');
  });

  it('a long action is split into lines of at most 512 bytes, each a whole CTCP frame', () => {
    const text = 'x'.repeat(1200);
    const lines = roomText({ kind: 'action', from: 'alice', room: 'lobby', ts: 0, self: false, text }, false).split('\r\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(2);
    let joined = '';
    for (const line of lines) {
      expect(Buffer.byteLength(`${line}\r\n`)).toBeLessThanOrEqual(512);
      const m = /^:alice!alice@dualchat PRIVMSG #lobby :\x01ACTION (.*)\x01$/.exec(line);
      expect(m, line).not.toBeNull();
      joined += m?.[1] ?? '';
    }
    expect(joined).toBe(text);
  });

  it('a topic change is TOPIC from its setter, with a server-time tag when asked', () => {
    const topic = { kind: 'topic', room: 'dev', by: 'bob', ts: 0, text: 'release friday' } as const;
    expect(roomText(topic, false)).toBe(':bob!bob@dualchat TOPIC #dev :release friday\r\n');
    expect(roomText({ ...topic, text: '' }, false)).toBe(':bob!bob@dualchat TOPIC #dev :\r\n');
    expect(roomText(topic, true)).toMatch(/^@time=1970-01-01T00:00:00\.000Z :bob!bob@dualchat TOPIC #dev :release friday\r\n$/);
  });
});
