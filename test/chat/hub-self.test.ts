// The hub's door commands for a session's own state: `rename` (IRC NICK) and `away` (IRC AWAY).
import { describe, expect, it } from 'vitest';
import { AWAY_TEXT_MAX_LENGTH } from '../../src/chat/hub.ts';
import { errorTo, hubWith, logs, repliesTo } from './helpers.ts';

describe('hub: rename', () => {
  it('takes the new name, frees the old, tells each room once per member, keeps rooms and counts', () => {
    const hub = hubWith(['alice', 'bob', 'carol']);
    hub.handle(1, { kind: 'enter', room: 'dev' }, 1);
    hub.handle(2, { kind: 'join', room: 'dev' }, 1);
    const out = hub.handle(1, { kind: 'rename', name: 'Alicia' }, 2);
    // alice is in #lobby and #dev: the message to both rooms, each member once per room.
    expect(repliesTo(out, 2)).toEqual([{ kind: 'system', text: 'alice is now known as Alicia' }]);
    expect(repliesTo(out, 3)).toEqual([{ kind: 'system', text: 'alice is now known as Alicia' }]);
    expect(repliesTo(out, 1)).toHaveLength(2);
    expect(logs(out)).toContainEqual({ type: 'rename', from: 'alice', to: 'Alicia' });
    expect(hub.nameOf(1)).toBe('Alicia');
    expect(hub.sessionOf('alicia')).toBe(1);
    expect(hub.sessionOf('alice')).toBeUndefined();
    expect(hub.roomsOf(1)).toEqual(['lobby', 'dev']);
    expect(hub.users().map((u) => u.name)).toEqual(['Alicia', 'bob', 'carol']);
    expect(hub.rooms()).toEqual([{ name: 'lobby', count: 2 }, { name: 'dev', count: 2 }]);
    // The old name is free again.
    hub.open(4, 3);
    expect(repliesTo(hub.handle(4, { kind: 'connect', name: 'alice' }, 3), 4)[0]).toMatchObject({ kind: 'welcome', name: 'alice' });
  });

  it('refuses a taken or invalid name, and changes nothing for the same name', () => {
    const hub = hubWith(['alice', 'bob']);
    expect(errorTo(hub.handle(1, { kind: 'rename', name: 'BOB' }, 1), 1).code).toBe('name-taken');
    expect(errorTo(hub.handle(1, { kind: 'rename', name: 'a b' }, 1), 1).code).toBe('bad-name');
    expect(hub.handle(1, { kind: 'rename', name: 'alice' }, 1)).toEqual([]);
    expect(hub.nameOf(1)).toBe('alice');
  });

  it('a new spelling of the same name is a rename', () => {
    const hub = hubWith(['alice', 'bob']);
    expect(repliesTo(hub.handle(1, { kind: 'rename', name: 'ALICE' }, 1), 2)).toEqual([{ kind: 'system', text: 'alice is now known as ALICE' }]);
    expect(hub.users().map((u) => u.name)).toEqual(['ALICE', 'bob']);
  });

  it('is refused before <connect>', () => {
    const hub = hubWith([]);
    hub.open(9, 0);
    expect(errorTo(hub.handle(9, { kind: 'rename', name: 'x' }, 0), 9).code).toBe('not-connected');
  });
});

describe('hub: away', () => {
  it('marks and clears; a private message to an away user is delivered and its sender told', () => {
    const hub = hubWith(['alice', 'bob']);
    expect(repliesTo(hub.handle(1, { kind: 'away', text: 'lunch' }, 1), 1)).toEqual([{ kind: 'system', text: 'you are marked as away: lunch' }]);
    expect(hub.real.awayOf(1)).toBe('lunch');
    const out = hub.handle(2, { kind: 'private', to: 'alice', text: 'hi' }, 2);
    expect(repliesTo(out, 1)).toMatchObject([{ kind: 'private', from: 'bob', text: 'hi' }]);
    expect(repliesTo(out, 2).at(-1)).toEqual({ kind: 'system', text: 'alice is away: lunch' });
    expect(repliesTo(hub.handle(1, { kind: 'away' }, 3), 1)).toEqual([{ kind: 'system', text: 'you are no longer marked as away' }]);
    expect(repliesTo(hub.handle(2, { kind: 'private', to: 'alice', text: 'back?' }, 4), 2)).toHaveLength(1);
  });

  it('bounds the away text', () => {
    const hub = hubWith(['alice']);
    expect(errorTo(hub.handle(1, { kind: 'away', text: 'x'.repeat(AWAY_TEXT_MAX_LENGTH + 1) }, 1), 1).code).toBe('too-large');
    expect(hub.real.awayOf(1)).toBeUndefined();
  });
});
