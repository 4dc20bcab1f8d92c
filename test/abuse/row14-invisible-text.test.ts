// Abuse row 14: U+202E and U+200B in names and text, and `x\u202Egnp.txt` as an upload name, were
// accepted (the file displays as `xtxt.png`). Now names and file names with bidi controls or zero-width
// characters are refused with an error that shows them (`<U+202E>`), reserved names are refused, chat
// text reaches others without them, and the bystanders' chat is unaffected.
import { afterEach, describe, expect, it } from 'vitest';
import { connectedClient, rawClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound } from './probe.ts';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

describe('abuse row 14: invisible characters and reserved names', () => {
  it('refuses them in names and file names with a clear error, removes them from text', { timeout: 60_000 }, async () => {
    ts = await startTestServer();
    const probe = await chatProbe(ts.port, 'row14');
    const before = await probe.measure();
    const during = probe.measure();

    const attacker = await rawClient(ts.port);
    for (const name of ['ad\u202Emin', 'bo\u200Bb', 'ali\u2066ce\u2069', 'eve\u200Dx']) {
      attacker.send(`<connect>${name}\n`);
      const r = await attacker.expectReply((x) => x.kind === 'error', `refusal of ${JSON.stringify(name)}`);
      expect(r).toMatchObject({ kind: 'error', code: 'bad-name', message: expect.stringMatching(/<U\+[0-9A-F]{4}>.*contains the (bidi control|zero-width character) U\+[0-9A-F]{4}/) });
      if (r.kind === 'error') expect(r.message).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b-\u200f]/);
    }
    for (const name of ['server', 'Admin', 'NickServ', 'everyone']) {
      attacker.send(`<connect>${name}\n`);
      const r = await attacker.expectReply((x) => x.kind === 'error', `refusal of ${name}`);
      expect(r).toMatchObject({ kind: 'error', code: 'bad-name', message: expect.stringContaining('is reserved') });
    }
    attacker.send('<connect>mallory\n');
    await attacker.expectReply((x) => x.kind === 'welcome', 'welcome for mallory');

    const reader = await connectedClient(ts.port, 'reader');
    attacker.send('<set_msg_all>get x\u202Egnp.txt from pass\u200Bword\n');
    const heard = await reader.expectReply((x) => x.kind === 'message' && x.from === 'mallory', 'the spoofing line');
    expect(heard).toMatchObject({ text: 'get xgnp.txt from password' });
    attacker.send('<nick>ro\u202Eot\n');
    expect(await attacker.expectReply((x) => x.kind === 'error', 'refused rename')).toMatchObject({ code: 'bad-name' });
    attacker.send('<topic>\u202Ereversed\n');
    expect(await reader.expectReply((x) => x.kind === 'topic', 'the new topic')).toMatchObject({ by: 'mallory', text: 'reversed' });

    attacker.send('<upload>5 00000000 x\u202Egnp.txt\n');
    const refused = await attacker.expectReply((x) => x.kind === 'refused', 'the upload refused');
    expect(refused).toMatchObject({ request: 'upload', code: 'bad-argument', message: expect.stringContaining('contains the bidi control U+202E') });
    if (refused.kind === 'refused') expect(refused.message).toContain('x<U+202E>gnp.txt');

    const figures = await during;
    expect(figures.max).toBeLessThanOrEqual(unaffectedBound(before));
    probe.close();
    attacker.destroy();
    reader.destroy();
  });
});
