// Every command form of the Python chat family, written by a stdlib Python client exactly as those
// clients write them: no terminator, `!@#$` terminators, `<a><b>` bracketed arguments, `a,b`
// arguments, the client's own name appended to <get_users>/<get_files>/<disconnect>/<download>, and
// `NAME : text` prefixes on broadcasts. All must work.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectedClient, startTestServer, type RawClient, type TestServer } from '../e2e/helpers.ts';
import { hasPython, pythonSuiteTitle, repliesOfKind, runPythonSteps } from './python.ts';

let ts: TestServer;
let bob: RawClient;
beforeEach(async () => {
  ts = await startTestServer();
  bob = await connectedClient(ts.port, 'bob');
});
afterEach(async () => {
  bob.destroy();
  await ts.close();
});

const run = (steps: string[]) => runPythonSteps(['127.0.0.1', String(ts.port), ...steps], 20_000);

describe.skipIf(!hasPython)(pythonSuiteTitle('Python chat family: every command form'), () => {
  it('no terminator, with the own name appended and a NAME : prefix', async () => {
    const r = await run([
      'send:<connect>pya',
      'expect:<welcome>',
      'send:<get_users>pya',
      'expect:<users>',
      'send:<get_files>pya',
      'expect:<files>',
      'send:<set_msg_all>pya : hello everyone',
      'expect:<message>',
      'send:<set_msg>bob,psst bob',
      'expect:<private>',
      'send:<disconnect>pya',
      'expect:<disconnected>',
    ]);
    expect(r.error).toBeNull();
    expect(repliesOfKind(r.replies, 'users')[0]!.users.map((u) => u.name)).toEqual(['bob', 'pya']);
    expect(repliesOfKind(r.replies, 'message')).toMatchObject([{ from: 'pya', self: true, text: 'hello everyone' }]);
    expect(repliesOfKind(r.replies, 'private')).toMatchObject([{ from: 'pya', to: 'bob', text: 'psst bob' }]);
    expect(repliesOfKind(r.replies, 'error')).toEqual([]);
    await bob.expectReply((x) => x.kind === 'private' && x.text === 'psst bob', 'the private message');
  });

  it('!@#$ terminators, several commands in one send()', async () => {
    const r = await run([
      'send:<connect>pyb!@#$',
      'expect:<welcome>',
      'send:<get_users>!@#$<set_msg_all>one!@#$<set_msg_all>two, with <brackets> and commas!@#$',
      'expect:<users>',
      'expect:<message>',
      'expect:<message>',
      'send:<end_connection>!@#$',
      'expect:<disconnected>',
    ]);
    expect(r.error).toBeNull();
    expect(repliesOfKind(r.replies, 'message').map((m) => m.text)).toEqual(['one', 'two, with <brackets> and commas']);
  });

  it('bracketed <a><b> arguments and comma arguments', async () => {
    const r = await run([
      'send:<connect><pyc>',
      'expect:<welcome>',
      'send:<set_msg><bob><hi there>',
      'expect:<private>',
      'send:<set_msg>bob, hello, again',
      'expect:<private>',
      'send:<msg_all><to all>',
      'expect:<message>',
      'send:<get_list_file>',
      'expect:<files>',
      'send:<download>pyc,nothing.txt',
      'expect:<refused>',
      'send:<disconnect>',
      'expect:<disconnected>',
    ]);
    expect(r.error).toBeNull();
    expect(repliesOfKind(r.replies, 'private').map((p) => p.text)).toEqual(['hi there', 'hello, again']);
    expect(repliesOfKind(r.replies, 'message').map((m) => m.text)).toEqual(['to all']);
    // The own name was dropped from <download>NAME,FILE: the refusal names the file alone.
    const refusal = repliesOfKind(r.replies, 'refused')[0];
    expect(refusal).toMatchObject({ request: 'download', code: 'unknown-file', name: 'nothing.txt' });
    expect(refusal?.message).not.toMatch(/pyc,/);
  });

  it('two unterminated commands coalesced into one send() are both executed', async () => {
    const r = await run(['send:<connect>pyd<get_users>', 'expect:<welcome>', 'expect:<users>', 'send:<disconnect>', 'expect:<disconnected>']);
    expect(r.error).toBeNull();
  });
});
