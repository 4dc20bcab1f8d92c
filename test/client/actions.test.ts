import { describe, expect, it } from 'vitest';
import { planInput, planNameInput } from '../../src/client/actions.ts';

describe('planInput (signed in)', () => {
  it('sends server commands, with the /users scope', () => {
    expect(planInput('hello there')).toEqual({ type: 'send', command: { kind: 'broadcast', text: 'hello there' } });
    expect(planInput('/msg bob hi')).toEqual({ type: 'send', command: { kind: 'private', to: 'bob', text: 'hi' } });
    expect(planInput('/users')).toEqual({ type: 'send', command: { kind: 'users' }, scope: 'room' });
    expect(planInput('/users all')).toEqual({ type: 'send', command: { kind: 'users' }, scope: 'all' });
    expect(planInput('<get_users>')).toMatchObject({ type: 'send', command: { kind: 'users' }, scope: 'all' });
  });

  it('hands file commands to the file features', () => {
    expect(planInput('/download notes.txt')).toEqual({ type: 'file', file: { kind: 'download', name: 'notes.txt' } });
    expect(planInput('<download>notes.txt')).toEqual({ type: 'file', file: { kind: 'download', name: 'notes.txt' } });
    expect(planInput('/upload ./a.txt')).toEqual({ type: 'file', file: { kind: 'upload', path: './a.txt' } });
    expect(planInput('-file "my notes.txt"')).toEqual({ type: 'file', file: { kind: 'upload', path: 'my notes.txt' } });
    expect(planInput('/sendfile bob ./a.txt')).toEqual({ type: 'file', file: { kind: 'sendfile', to: 'bob', path: './a.txt', image: false } });
    expect(planInput('/sendfile ./a.txt bob')).toEqual({ type: 'file', file: { kind: 'sendfile', to: 'bob', path: './a.txt', image: false } });
    expect(planInput('/sendimage bob cat.png')).toEqual({ type: 'file', file: { kind: 'sendfile', to: 'bob', path: 'cat.png', image: true } });
    expect(planInput('/cancel 7')).toEqual({ type: 'file', file: { kind: 'cancel', id: 7 } });
    expect(planInput('<cancel>7')).toEqual({ type: 'file', file: { kind: 'cancel', id: 7 } });
    expect(planInput('/cancel')).toEqual({ type: 'file', file: { kind: 'cancel' } });
    expect(planInput('/accept 3')).toEqual({ type: 'file', file: { kind: 'accept', id: 3 } });
    expect(planInput('/decline 4')).toEqual({ type: 'file', file: { kind: 'decline', id: 4 } });
  });

  it('handles local commands locally', () => {
    expect(planInput('/quit')).toEqual({ type: 'quit' });
    expect(planInput('<disconnect>')).toEqual({ type: 'quit' });
    expect(planInput('bye')).toMatchObject({ type: 'send' }); // said to the room, not a way out
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
    expect(planInput('/cancel x7')).toMatchObject({ item: { kind: 'client-error', code: 'bad-argument', message: expect.stringContaining('transfer number') as string } });
    expect(planInput('/cancel 0')).toMatchObject({ item: { kind: 'client-error', code: 'bad-argument' } });
    expect(planInput('/accept')).toMatchObject({ item: { kind: 'client-error', code: 'bad-command', message: expect.stringContaining('/accept ID') as string } });
    expect(planInput('/decline 99999999999')).toMatchObject({ item: { kind: 'client-error' } });
    // A size and CRC typed by hand would not match any file: the client announces files itself.
    expect(planInput('<upload>5 0000abcd up.txt')).toMatchObject({ item: { kind: 'client-error', message: expect.stringContaining('/upload PATH') as string } });
    expect(planInput('<sendfile>bob 5 0000abcd up.txt')).toMatchObject({ item: { kind: 'client-error', code: 'bad-argument' } });
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
