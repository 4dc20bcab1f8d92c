// The IRC habits in the hub, for every door: actions (`<me>`), room topics (`<topic>`, IRC TOPIC), `<whois>`,
// and idle time.
import { describe, expect, it } from 'vitest';
import { TOPIC_MAX_LENGTH } from '../../src/chat/hub.ts';
import { errorTo, hubWith, logs, repliesTo } from './helpers.ts';

describe('hub: action', () => {
  it('goes to the room: the echo marked self, the others a shared copy', () => {
    const hub = hubWith(['alice', 'bob']);
    const out = hub.handle(1, { kind: 'action', text: 'waves' }, 5);
    expect(repliesTo(out, 1)).toEqual([{ kind: 'action', from: 'alice', room: 'lobby', ts: 5, self: true, text: 'waves' }]);
    expect(repliesTo(out, 2)).toEqual([{ kind: 'action', from: 'alice', room: 'lobby', ts: 5, self: false, text: 'waves' }]);
    expect(logs(out)).toContainEqual({ type: 'message', name: 'alice', room: 'lobby', length: 5, recipients: 1 });
  });

  it('is refused when blank or too long, like a message', () => {
    const hub = hubWith(['alice', 'bob'], { maxTextLength: 10 });
    expect(errorTo(hub.handle(1, { kind: 'action', text: 'x'.repeat(11) }, 1), 1).code).toBe('too-large');
    expect(repliesTo(hub.handle(1, { kind: 'action', text: '   ' }, 1), 2)).toEqual([]);
  });
});

describe('hub: topic', () => {
  it('is set by any member, announced to the room (the setter too), and asked back', () => {
    const hub = hubWith(['alice', 'bob', 'carol']);
    hub.handle(1, { kind: 'join', room: 'dev' }, 1);
    hub.handle(2, { kind: 'join', room: 'dev' }, 1);
    const out = hub.handle(2, { kind: 'topic', text: 'release friday' }, 7);
    const told = { kind: 'topic', room: 'dev', by: 'bob', ts: 7, text: 'release friday' };
    expect(repliesTo(out, 1)).toEqual([told]);
    expect(repliesTo(out, 2)).toEqual([told]);
    expect(repliesTo(out, 3)).toEqual([]);
    expect(logs(out)).toContainEqual({ type: 'topic', name: 'bob', room: 'dev', length: 14 });
    expect(repliesTo(hub.handle(1, { kind: 'topic' }, 8), 1)).toEqual([told]);
    expect(hub.real.topicOf('dev')).toEqual({ text: 'release friday', by: 'bob', ts: 7 });
  });

  it('is shown to whoever enters the room, before its history', () => {
    const hub = hubWith(['alice', 'bob']);
    hub.handle(1, { kind: 'join', room: 'dev' }, 1);
    hub.handle(1, { kind: 'topic', text: 'hello' }, 2);
    const entered = repliesTo(hub.handle(2, { kind: 'join', room: 'dev' }, 3), 2);
    expect(entered).toContainEqual({ kind: 'topic', room: 'dev', by: 'alice', ts: 2, text: 'hello' });
    const ircEntered = hubWith(['carol']);
    expect(repliesTo(ircEntered.handle(1, { kind: 'enter', room: 'dev' }, 1), 1).some((r) => r.kind === 'topic')).toBe(false);
  });

  it('says so when none is set', () => {
    const hub = hubWith(['alice']);
    expect(repliesTo(hub.handle(1, { kind: 'topic' }, 1), 1)).toEqual([{ kind: 'system', text: 'no topic is set in #lobby' }]);
  });

  it('is cleared when the room empties (the lobby too), and not shown to the next one in', () => {
    const hub = hubWith(['alice', 'bob']);
    hub.handle(1, { kind: 'join', room: 'dev' }, 1);
    hub.handle(1, { kind: 'topic', text: 'old news' }, 2);
    hub.handle(1, { kind: 'leave' }, 3);
    expect(hub.real.topicOf('dev')).toBeUndefined();
    expect(repliesTo(hub.handle(2, { kind: 'join', room: 'dev' }, 4), 2).some((r) => r.kind === 'topic')).toBe(false);
    hub.handle(2, { kind: 'topic', text: 'new' }, 5);
    hub.close(2, 6, 'lost');
    expect(hub.real.topicOf('dev')).toBeUndefined();
  });

  it('is bounded: a longer topic is refused and the old one kept', () => {
    const hub = hubWith(['alice']);
    hub.handle(1, { kind: 'topic', text: 'kept' }, 1);
    const error = errorTo(hub.handle(1, { kind: 'topic', text: 'x'.repeat(TOPIC_MAX_LENGTH + 1) }, 2), 1);
    expect(error).toMatchObject({ code: 'too-large', message: `a topic is at most ${TOPIC_MAX_LENGTH} characters` });
    expect(hub.handle(1, { kind: 'topic', text: 'y'.repeat(TOPIC_MAX_LENGTH) }, 3)).not.toHaveLength(0);
    expect(hub.real.topicOf('lobby')?.text).toHaveLength(TOPIC_MAX_LENGTH);
  });

  it('room-topic (IRC TOPIC) sets one of your rooms, clears with blank text, refuses rooms you are not in', () => {
    const hub = hubWith(['alice', 'bob']);
    hub.handle(1, { kind: 'enter', room: 'dev' }, 1);
    hub.handle(1, { kind: 'room-topic', room: 'lobby', text: 'lobby topic' }, 2);
    expect(hub.real.topicOf('lobby')?.text).toBe('lobby topic');
    expect(hub.real.topicOf('dev')).toBeUndefined();
    const cleared = hub.handle(1, { kind: 'room-topic', room: '#lobby', text: ' ' }, 3);
    expect(repliesTo(cleared, 2)).toEqual([{ kind: 'topic', room: 'lobby', by: 'alice', ts: 3, text: '' }]);
    expect(hub.real.topicOf('lobby')).toBeUndefined();
    expect(errorTo(hub.handle(2, { kind: 'room-topic', room: 'dev', text: 'x' }, 4), 2).code).toBe('bad-room');
  });
});

describe('hub: whois', () => {
  it('tells rooms, idle seconds since the last chat line and the away text', () => {
    const hub = hubWith(['alice', 'bob']);
    hub.handle(2, { kind: 'enter', room: 'dev' }, 1000);
    hub.handle(2, { kind: 'broadcast', text: 'hi' }, 2000);
    expect(repliesTo(hub.handle(1, { kind: 'whois', name: 'BOB' }, 65_500), 1)).toEqual([{ kind: 'whois', name: 'bob', rooms: ['lobby', 'dev'], idle: 63 }]);
    hub.handle(2, { kind: 'away', text: 'lunch' }, 66_000);
    hub.handle(2, { kind: 'action', text: 'eats' }, 70_000);
    expect(repliesTo(hub.handle(1, { kind: 'whois', name: 'bob' }, 71_000), 1)).toEqual([
      { kind: 'whois', name: 'bob', rooms: ['lobby', 'dev'], idle: 1, away: 'lunch' },
    ]);
  });

  it('refuses an unknown name', () => {
    const hub = hubWith(['alice']);
    expect(errorTo(hub.handle(1, { kind: 'whois', name: 'nobody' }, 1), 1)).toMatchObject({ code: 'unknown-user', message: 'no user named "nobody" is online' });
  });
});

describe('hub: the habits before <connect>', () => {
  it('are refused with not-connected', () => {
    const hub = hubWith([]);
    hub.open(9, 0);
    for (const command of [{ kind: 'action', text: 'x' }, { kind: 'topic' }, { kind: 'whois', name: 'a' }, { kind: 'rename', name: 'a' }, { kind: 'away' }] as const) {
      expect(errorTo(hub.handle(9, command, 1), 9).code).toBe('not-connected');
    }
  });
});
