import { describe, expect, it } from 'vitest';
import { planInput, planNameInput } from '../../src/client/actions.ts';

describe('planInput (signed in)', () => {
  it('sends server commands, with the /users scope', () => {
    expect(planInput('hello there')).toEqual({ type: 'send', command: { kind: 'broadcast', text: 'hello there' } });
    expect(planInput('/msg bob hi')).toEqual({ type: 'send', command: { kind: 'private', to: 'bob', text: 'hi' } });
    expect(planInput('/users')).toEqual({ type: 'send', command: { kind: 'users' }, scope: 'room' });
    expect(planInput('/users all')).toEqual({ type: 'send', command: { kind: 'users' }, scope: 'all' });
    expect(planInput('<get_users>')).toMatchObject({ type: 'send', command: { kind: 'users' }, scope: 'all' });
    expect(planInput('/download notes.txt')).toEqual({
      type: 'send',
      command: { kind: 'download', file: 'notes.txt' },
    });
    expect(planInput('/cancel 7')).toEqual({ type: 'send', command: { kind: 'cancel', id: '7' } });
  });

  it('handles local commands locally', () => {
    expect(planInput('/quit')).toEqual({ type: 'quit' });
    expect(planInput('<disconnect>')).toEqual({ type: 'quit' });
    expect(planInput('bye')).toEqual({ type: 'quit' });
    expect(planInput('/help')).toEqual({ type: 'show', item: { kind: 'help' } });
    expect(planInput('/status')).toEqual({ type: 'status' });
    expect(planInput('   ')).toEqual({ type: 'none' });
  });

  it('refuses locally what cannot be done, with a clear message', () => {
    expect(planInput('/frobnicate')).toMatchObject({ type: 'show', item: { kind: 'client-error', code: 'bad-command' } });
    expect(planInput('/msg bob')).toMatchObject({
      type: 'show',
      item: { kind: 'client-error', code: 'bad-command', message: expect.stringContaining('USER TEXT') as string },
    });
    expect(planInput('/upload ./a.txt')).toMatchObject({
      type: 'show',
      item: { kind: 'client-error', code: 'refused', message: expect.stringContaining('not available yet') as string },
    });
    expect(planInput('/sendfile bob ./a.txt')).toMatchObject({ item: { code: 'refused' } });
    expect(planInput('/cancel')).toMatchObject({ item: { kind: 'client-error', code: 'bad-argument' } });
  });
});

describe('planNameInput (before welcome)', () => {
  it('takes a plain line as the name', () => {
    expect(planNameInput('  alice ')).toEqual({ type: 'send', command: { kind: 'connect', name: 'alice' } });
    expect(planNameInput('<connect>bob')).toEqual({ type: 'send', command: { kind: 'connect', name: 'bob' } });
  });

  it('keeps local commands working and refuses others with a hint', () => {
    expect(planNameInput('/quit')).toEqual({ type: 'quit' });
    expect(planNameInput('/help')).toEqual({ type: 'show', item: { kind: 'help' } });
    expect(planNameInput('/status')).toEqual({ type: 'status' });
    expect(planNameInput('')).toEqual({ type: 'none' });
    expect(planNameInput('/join games')).toMatchObject({ item: { kind: 'client-error', code: 'not-connected' } });
    expect(planNameInput('<set_msg_all>hi')).toMatchObject({ item: { kind: 'client-error', code: 'not-connected' } });
  });
});
