// Accounts over the IRC door, over real sockets: NickServ REGISTER, SASL PLAIN with irc-framework (right
// and wrong password), PASS, a registered nick without its password (at registration and as a rename),
// history on JOIN (server-time tags of the original time, or marked in the text), and no password in
// any line or log record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHEAP_SCRYPT } from '../store/helpers.ts';
import { connectedClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';
import { ircConnections, type IrcTestClient } from './irc-helpers.ts';

const PASSWORD = 'Pw-alice-77';

let ts: TestServer;
let ircPort: number;
const connections = ircConnections(() => ircPort);
const irc = connections.irc;
const rawIrc = connections.raw;

beforeAll(async () => {
  ts = await startTestServer({ ircPort: 0, passwordCost: CHEAP_SCRYPT, historyOnJoin: 5, captureLogs: 'debug' });
  ircPort = ts.server.ircPort!;
  // alice registers from IRC, with NickServ's words, then leaves.
  const alice = await irc('alice');
  alice.send(`PRIVMSG NickServ :REGISTER ${PASSWORD}`);
  await alice.waitLine(/^:NickServ!NickServ@dualchat NOTICE alice :alice is registered: next time sign in with SASL PLAIN/, 'NickServ: registered');
  await quit(alice);
});
afterAll(async () => {
  connections.closeAll();
  await ts.close();
});

/** QUIT, and wait until the server closed the connection (the nick is free again). */
async function quit(c: IrcTestClient): Promise<void> {
  const closed = c.waitEvent('close', () => true, 'the close after QUIT');
  c.client.quit();
  await closed;
}

async function line(c: RawClient, match: RegExp, what: string): Promise<void> {
  await c.waitFor(() => c.lines.some((l) => match.test(l.replace(/\r$/, ''))), what);
}

describe('IRC door with accounts', () => {
  it('offers sasl=PLAIN in CAP LS 302', async () => {
    const c = await rawIrc();
    c.send('CAP LS 302\r\n');
    await line(c, /^:dualchat CAP \* LS :.*\bsasl=PLAIN\b/, 'sasl=PLAIN offered');
  });

  it('signs a registered nick in with SASL PLAIN (900, 903, then the welcome)', async () => {
    const alice = await irc('alice', { sasl: { account: 'alice', password: PASSWORD } });
    const order = ['900', '903', '001'].map((code) => alice.lines.findIndex((l) => l.split(' ')[1] === code));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(alice.lines.find((l) => / 900 /.test(l))).toMatch(/ 900 \* alice!alice@dualchat alice :You are now logged in as alice$/);
    expect(alice.lines.find((l) => / 001 /.test(l))).toMatch(/ 001 alice /);
    await quit(alice);
  });

  it('a SASL sign-in is welcomed under the account\'s name whatever NICK said', async () => {
    const signedIn = await irc('zed', { sasl: { account: 'Alice', password: PASSWORD } });
    await signedIn.waitLine(/ 001 alice /, 'the welcome as alice');
    expect(signedIn.client.user.nick).toBe('alice');
    await quit(signedIn);
  });

  it('a wrong SASL password is 904; the registered nick is then refused with 433 saying it is registered', async () => {
    const failed: Array<{ reason: string; message?: string }> = [];
    const wrong = await irc('alice', { registered: false, sasl: { account: 'alice', password: 'not-the-one' } });
    wrong.client.on('sasl failed', (e: { reason: string; message?: string }) => failed.push(e));
    await wrong.waitLine(/ 904 \* :SASL authentication failed: wrong password for alice$/, '904');
    await wrong.waitLine(/ 433 \* alice :Nickname is registered: sign in with SASL PLAIN or PASS password, or choose another$/, '433 registered');
    expect(failed).toEqual([expect.objectContaining({ reason: 'fail' })]);
    // It may pick another nick.
    wrong.client.changeNick('alice2');
    await wrong.waitLine(/ 001 alice2 /, 'welcome under another nick');
    expect(wrong.lines.some((l) => l.includes('not-the-one'))).toBe(false);
  });

  it('PASS before NICK/USER signs the registered nick in; a wrong PASS is 464', async () => {
    const bad = await rawIrc();
    bad.send('PASS wrong-pass-1\r\nNICK alice\r\nUSER a 0 * :A\r\n');
    await line(bad, /^:dualchat 464 \* :Password incorrect: wrong password for alice$/, '464');
    const good = await rawIrc();
    good.send(`PASS ${PASSWORD}\r\nNICK Alice\r\nUSER a 0 * :A\r\n`);
    await line(good, /^:dualchat 001 alice /, 'the welcome as alice');
    // Without accounts involved, PASS is ignored for a guest's nick.
    const guest = await rawIrc();
    guest.send('PASS whatever-1\r\nNICK guest7\r\nUSER g 0 * :G\r\n');
    await line(guest, /^:dualchat 001 guest7 /, 'a guest with a PASS');
    // NICK into a registered name after registration: refused the same way.
    guest.send('NICK alice\r\n');
    await line(guest, /^:dualchat 433 guest7 alice :Nickname is registered/, '433 on a rename into a registered nick');
    good.send('QUIT\r\n');
    await good.waitFor(() => good.closed, 'alice gone');
  });

  it('NickServ: PASSWORD and UNREGISTER, HELP; an unknown verb is not quoted back', async () => {
    const dan = await irc('dan');
    dan.send('PRIVMSG NickServ :REGISTER dan-pw-1');
    await dan.waitLine(/NickServ@dualchat NOTICE dan :dan is registered/, 'dan registered');
    dan.send('PRIVMSG NickServ :PASSWORD dan-pw-1 dan-pw-2');
    await dan.waitLine(/NickServ@dualchat NOTICE dan :the password of dan is changed/, 'password changed');
    dan.send('PRIVMSG NickServ :UNREGISTER dan-pw-1');
    await dan.waitLine(/NickServ@dualchat NOTICE dan :wrong password for dan$/, 'wrong password');
    dan.send('NS DROP dan-pw-2');
    await dan.waitLine(/NickServ@dualchat NOTICE dan :dan is no longer registered/, 'unregistered');
    dan.send('PRIVMSG NickServ :hunter2-secret');
    await dan.waitLine(/NickServ@dualchat NOTICE dan :Unknown command; \/msg NickServ HELP lists them\.$/, 'unknown verb');
    dan.send('PRIVMSG NickServ :HELP');
    await dan.waitLine(/NickServ@dualchat NOTICE dan :REGISTER <password>/, 'help');
    expect(dan.lines.some((l) => /dan-pw|hunter2/.test(l))).toBe(false);
  });

  it('replays history on JOIN: with the original time as server-time, or marked as history', async () => {
    const bob = await connectedClient(ts.port, 'bob');
    connections.keep(bob);
    bob.send('<join>past\n');
    await bob.waitReply((r) => r.kind === 'joined' && r.name === 'bob' && r.room === 'past', 'bob in #past');
    bob.send('<set_msg_all>first line\n<set_msg_all>second line\n');
    await bob.waitReply((r) => r.kind === 'message' && r.self && r.text === 'second line', 'the echo of the second line');
    const sent = bob.replies.filter((r): r is Extract<typeof r, { kind: 'message' }> => r.kind === 'message' && r.self).map((r) => r.ts);

    const timed = await irc('erin');
    timed.client.join('#past');
    await timed.waitLine(/^:bob!bob@dualchat PRIVMSG #past :second line$/, 'the second kept line');
    const kept = timed.tagged.filter((l) => l.includes('PRIVMSG #past'));
    expect(kept.map((l) => /^@time=(\S+) /.exec(l)?.[1])).toEqual(sent.map((ts) => new Date(ts).toISOString()));

    const plain = await rawIrc();
    plain.send('NICK fay\r\nUSER f 0 * :F\r\nJOIN #past\r\n');
    await line(plain, /^:bob!bob@dualchat PRIVMSG #past :\[history \d{4}-\d\d-\d\d \d\d:\d\d UTC\] second line$/, 'a marked kept line');
    expect(plain.lines.filter((l) => l.includes('[history ')).length).toBe(2);
  });

  it('no password in any log record', () => {
    const logged = JSON.stringify(ts.logs);
    for (const secret of [PASSWORD, 'not-the-one', 'wrong-pass-1', 'dan-pw-1', 'dan-pw-2', 'hunter2']) expect(logged).not.toContain(secret);
    expect(ts.logs.some((r) => JSON.stringify(r).includes('"authenticate"'))).toBe(true);
  });
});
