// Abuse row 15: `<stats>` as an ordinary user showed every user's RTT and loss and the server's memory
// and CPU. Now the whole server's figures are an operator's (`--operator-password` and `<oper>PASSWORD`,
// IRC's OPER, or connections from this machine with `--operator-local`); anyone else gets their own
// link. Wrong operator passwords are counted like logins; the bystanders' chat is unaffected.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LOGIN_FAILURES_PER_NAME } from '../../src/chat/limits.ts';
import type { Reply } from '../../src/commands/types.ts';
import { connectedClient, startTestServer, waitOn, type RawClient, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound } from './probe.ts';

const PASSWORD = 'op-s3cret';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

/** The system lines of one `<stats>` answer (it ends before the `<rooms>` asked right after it). */
async function statsLines(c: RawClient): Promise<string[]> {
  const from = c.replies.length;
  c.send('<stats>\n<rooms>\n');
  await c.waitFor(() => c.replies.slice(from).some((r) => r.kind === 'rooms'), 'stats and rooms');
  return c.replies.slice(from).flatMap((r: Reply) => (r.kind === 'system' ? [r.text] : []));
}

describe('abuse row 15: <stats>', () => {
  it("gives an ordinary user their own link only, an operator the server's figures", { timeout: 60_000 }, async () => {
    ts = await startTestServer({ operatorPassword: PASSWORD, ircPort: 0 });
    const probe = await chatProbe(ts.port, 'row15');
    const before = await probe.measure();
    const during = probe.measure();

    const user = await connectedClient(ts.port, 'curious');
    const own = await statsLines(user);
    expect(own).toEqual(['your link: transport=tcp (round trips and losses are measured on UDP links only)', "the server's figures are for operators (<oper>PASSWORD)"]);
    expect(own.join('\n')).not.toMatch(/rss=|cpu-|sessions=|row15a/);

    // Guessing: refused with a clear error, then refused at once.
    for (let i = 0; i < LOGIN_FAILURES_PER_NAME; i++) {
      user.send(`<oper>guess${i}\n`);
      expect(await user.expectReply((r) => r.kind === 'error', 'a wrong password refused')).toMatchObject({ code: 'bad-password', message: 'wrong operator password' });
    }
    user.send(`<oper>${PASSWORD}\n`);
    expect(await user.expectReply((r) => r.kind === 'error', 'the guesser refused at once')).toMatchObject({ code: 'rate-limited' });
    expect((await statsLines(user))[0]).toMatch(/^your link: /);

    const ops = await connectedClient(ts.port, 'ops');
    ops.send(`<oper>${PASSWORD}\n`);
    await ops.expectReply((r) => r.kind === 'system' && r.text.startsWith('you are an operator now'), 'operator');
    const all = await statsLines(ops);
    expect(all[0]).toMatch(/^stats: sessions=\d+ users=\d+ /);
    expect(all.some((l) => l.startsWith('process: rss='))).toBe(true);

    // IRC's OPER: 464 for a wrong password, 381 for the right one.
    const irc = net.connect({ host: '127.0.0.1', port: ts.server.ircPort! });
    let text = '';
    const waiters = new Set<() => void>();
    irc.setEncoding('utf8');
    irc.on('data', (chunk: string) => {
      text += chunk;
      for (const w of [...waiters]) w();
    });
    const waitIrc = (pattern: RegExp, what: string): Promise<true> => waitOn(waiters, () => pattern.test(text), () => `${what}; got:\n${text}`);
    irc.write('NICK ircop\r\nUSER ircop 0 * :IRC op\r\n');
    await waitIrc(/ 001 ircop /, 'the IRC welcome');
    irc.write('OPER ircop wrong\r\n');
    await waitIrc(/ 464 ircop :Password incorrect: wrong operator password/, '464');
    irc.write(`OPER ircop ${PASSWORD}\r\n`);
    await waitIrc(/ 381 ircop :You are now an IRC operator/, '381');
    irc.destroy();

    const figures = await during;
    expect(figures.max).toBeLessThanOrEqual(unaffectedBound(before));
    probe.close();
    user.destroy();
    ops.destroy();
  });

  it('--operator-local: connections from this machine are operators without a password', { timeout: 30_000 }, async () => {
    ts = await startTestServer({ operatorLocal: true });
    const local = await connectedClient(ts.port, 'admin2');
    expect((await statsLines(local))[0]).toMatch(/^stats: sessions=1 /);
    local.send('<oper>anything\n');
    expect(await local.expectReply((r) => r.kind === 'error', 'no password taken')).toMatchObject({ code: 'refused', message: expect.stringContaining("server's own machine") });
    local.destroy();
  });
});
