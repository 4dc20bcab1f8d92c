// The IRC door over real sockets: irc-framework clients next to bracket-command users and a dualchat
// client in the same rooms — registration, two channels, chat across doors, private messages both ways,
// NAMES/WHO/WHOIS/LIST, nick collisions across doors, QUIT seen by all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInClient, stopAll, type ClientProcess } from './client-helpers.ts';
import { connectedClient, isKind, rawClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';
import { ircClient, type IrcTestClient } from './irc-helpers.ts';

let ts: TestServer;
let ircPort: number;
const irc: IrcTestClient[] = [];
const raw: RawClient[] = [];
const processes: ClientProcess[] = [];

beforeAll(async () => {
  ts = await startTestServer({ ircPort: 0 });
  ircPort = ts.server.ircPort!;
});
afterAll(async () => {
  for (const c of irc) c.close();
  for (const c of raw) c.destroy();
  await stopAll(processes);
  await ts.close();
});

async function ircUser(nick: string, echo = false): Promise<IrcTestClient> {
  const c = await ircClient(ircPort, nick, { echo });
  irc.push(c);
  return c;
}

async function bracketUser(name: string): Promise<RawClient> {
  const c = await connectedClient(ts.port, name);
  raw.push(c);
  return c;
}

describe('IRC door', () => {
  it('binds the port it was asked for and reports it', () => {
    expect(ircPort).toBeGreaterThan(0);
    expect(ircPort).not.toBe(ts.port);
  });

  it('registers, is placed in #lobby, joins two channels and gets their NAMES', async () => {
    const alice = await ircUser('alice');
    expect(alice.lines.some((l) => / 005 alice .*NICKLEN=16.*/.test(l) && l.includes('CHANNELLEN=33') && l.includes('CHANTYPES=#') && l.includes('CASEMAPPING=ascii'))).toBe(true);
    await alice.waitLine(/^:alice!alice@dualchat JOIN #lobby$/, 'the lobby JOIN');
    await alice.waitLine(/ 366 alice #lobby /, 'the lobby NAMES');
    const lists = new Map<string, string[]>();
    alice.client.on('userlist', (e: { channel: string; users: Array<{ nick: string }> }) => lists.set(e.channel, e.users.map((u) => u.nick)));
    alice.client.join('#one');
    alice.client.join('#Two');
    await alice.waitLine(/ 366 alice #two /, 'the NAMES of #two');
    expect(lists.get('#one')).toEqual(['alice']);
    expect(lists.get('#two')).toEqual(['alice']);
    alice.send('NAMES #lobby');
    const names = await alice.waitEvent<{ channel: string; users: Array<{ nick: string }> }>('userlist', (e) => e.channel === '#lobby', 'NAMES #lobby');
    expect(names.users.map((u) => u.nick)).toContain('alice');
  });

  it('chats in one room with a bracket user and a dualchat client, in each door\'s own form', async () => {
    const ivy = await ircUser('ivy');
    ivy.client.join('#mixed');
    await ivy.waitLine(/ 366 ivy #mixed /, 'ivy in #mixed');
    const bob = await bracketUser('bob');
    bob.send('<join>mixed\n');
    await ivy.waitLine(/^:bob!bob@dualchat JOIN #mixed$/, 'bob joining, seen by ivy');
    const carol = spawnedClient(await signedInClient(ts.port, 'carol'));
    carol.send('/join mixed');
    await ivy.waitLine(/^:carol!carol@dualchat JOIN #mixed$/, 'carol joining, seen by ivy');

    ivy.client.say('#mixed', 'hello from irc');
    await bob.waitReply((r) => r.kind === 'message' && r.from === 'ivy' && r.room === 'mixed' && r.text === 'hello from irc', 'ivy at bob');
    await carol.waitFor((e) => e.type === 'message' && e['from'] === 'ivy' && e['text'] === 'hello from irc', 'ivy at carol');

    const seen = ivy.waitEvent<{ nick: string; target: string; message: string }>('privmsg', (e) => e.nick === 'bob', 'bob at ivy');
    bob.send('<set_msg_all>hello from brackets\n');
    expect(await seen).toMatchObject({ nick: 'bob', target: '#mixed', message: 'hello from brackets' });
    carol.send('hello from the client');
    await ivy.waitLine(/^:carol!carol@dualchat PRIVMSG #mixed :hello from the client$/, 'carol at ivy');
    // No echo of its own line without echo-message.
    expect(ivy.lines.some((l) => l.startsWith(':ivy!') && l.includes('PRIVMSG'))).toBe(false);
  });

  it('carries private messages both ways', async () => {
    const jack = await ircUser('jack');
    const dora = await bracketUser('dora');
    jack.client.say('dora', 'psst');
    await dora.waitReply((r) => r.kind === 'private' && r.from === 'jack' && r.text === 'psst' && !r.self, 'jack at dora');
    const got = jack.waitEvent<{ nick: string; target: string; message: string }>('privmsg', (e) => e.nick === 'dora', 'dora at jack');
    dora.send('<set_msg>jack hi back\n');
    expect(await got).toMatchObject({ nick: 'dora', target: 'jack', message: 'hi back' });
    jack.client.say('nobodyhere', 'x');
    await jack.waitLine(/ 401 jack nobodyhere :No such nick/, '401 for an unknown nick');
  });

  it('answers WHO, WHOIS and LIST', async () => {
    const kim = await ircUser('kim');
    kim.client.join('#q');
    await kim.waitLine(/ 366 kim #q /, 'kim in #q');
    const lee = await bracketUser('lee');
    lee.send('<join>q\n');
    await kim.waitLine(/^:lee!lee@dualchat JOIN #q$/, 'lee joining');

    const who = await new Promise<{ users: Array<{ nick: string }> }>((resolve) => kim.client.who('#q', resolve));
    expect(who.users.map((u) => u.nick).sort()).toEqual(['kim', 'lee']);
    const whois = await new Promise<Record<string, unknown>>((resolve) => kim.client.whois('lee', resolve));
    expect(whois['nick']).toBe('lee');
    expect(String(whois['channels'])).toContain('#q');
    const listed: Array<{ channel: string; num_users: number }> = [];
    kim.client.on('channel list', (rooms: Array<{ channel: string; num_users: number }>) => listed.push(...rooms));
    kim.client.list();
    await kim.waitEvent('channel list end', () => true, 'the end of LIST');
    expect(listed).toContainEqual(expect.objectContaining({ channel: '#q', num_users: 2 }));
    expect(listed.map((r) => r.channel)).toContain('#lobby');

    // The list queries clients make on join end at once; changing a mode is refused.
    kim.send('MODE #q');
    await kim.waitLine(/ 324 kim #q \+nt$/, 'the modes');
    for (const [mode, numeric, text] of [['b', '368', 'ban'], ['e', '349', 'exception'], ['I', '347', 'invite']] as const) {
      kim.send(`MODE #q ${mode}`);
      await kim.waitLine(new RegExp(` ${numeric} kim #q :End of channel ${text} list$`), `the end of the ${text} list`);
    }
    kim.send('MODE #q +m');
    await kim.waitLine(/ 482 kim #q :Channel modes are fixed here/, 'a mode change refused');
  });

  it('refuses a nick that another door holds, and the other way round', async () => {
    await bracketUser('mona');
    const late = await ircClient(ircPort, 'Mona', { registered: false });
    irc.push(late);
    await late.waitLine(/ 433 \* Mona :Nickname is already in use/, '433 for Mona');
    const nell = await ircUser('nell');
    expect(nell.lines.some((l) => / 001 nell /.test(l))).toBe(true);
    const other = await bracketUser('other');
    other.send('<disconnect>\n');
    const clash = await connectedClientRefused('NELL');
    expect(clash).toMatch(/taken/);
  });

  it('QUIT is seen by everyone: IRC users once, bracket and dualchat users as a leave', async () => {
    const oz = await ircUser('oz');
    const pat = await ircUser('pat');
    for (const c of [oz, pat]) {
      c.client.join('#q1');
      c.client.join('#q2');
    }
    await pat.waitLine(/^:oz!oz@dualchat JOIN #q2$/, 'oz in #q2, seen by pat');
    await oz.waitLine(/ 366 oz #q2 /, 'oz in #q2');
    const quinn = await bracketUser('quinn');
    quinn.send('<join>q1\n');
    await pat.waitLine(/^:quinn!quinn@dualchat JOIN #q1$/, 'quinn joining');
    const rita = spawnedClient(await signedInClient(ts.port, 'rita'));
    rita.send('/join q2');
    await pat.waitLine(/^:rita!rita@dualchat JOIN #q2$/, 'rita joining');

    const from = pat.lines.length;
    oz.client.quit('bye');
    await oz.waitLine(/^ERROR :Closing Link/, 'ERROR to oz');
    await pat.waitLine(/^:oz!oz@dualchat QUIT :Quit$/, 'oz quitting, seen by pat', from);
    await quinn.waitReply((r) => r.kind === 'left' && r.name === 'oz' && r.room === 'q1' && r.reason === 'disconnect', 'oz leaving, at quinn');
    await rita.waitFor((e) => e.type === 'left' && e['name'] === 'oz', 'oz leaving, at rita');
    // pat shares #lobby, #q1 and #q2 with oz: one QUIT line, not three.
    pat.send('PING :sync');
    await pat.waitLine(/PONG dualchat :sync/, 'the PONG after the quit', from);
    expect(pat.lines.slice(from).filter((l) => l.startsWith(':oz!') && l.includes(' QUIT '))).toHaveLength(1);
  });

  it('negotiates server-time and echo-message', async () => {
    const sam = await ircUser('sam', true);
    expect(sam.lines.some((l) => /CAP \S+ ACK :.*echo-message/.test(l))).toBe(true);
    sam.client.join('#t');
    await sam.waitLine(/ 366 sam #t /, 'sam in #t');
    sam.client.say('#t', 'echoed');
    await sam.waitLine(/^:sam!sam@dualchat PRIVMSG #t :echoed$/, 'the echo');
    sam.send('CAP REQ :server-time');
    await sam.waitLine(/CAP sam ACK :server-time/, 'server-time acknowledged');
    const tina = await bracketUser('tina');
    tina.send('<join>t\n');
    const joined = await sam.waitLine(/^:tina!tina@dualchat JOIN #t$/, 'tina joining', sam.lines.length);
    expect(sam.tagged[joined.index]).toMatch(/^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :tina!tina@dualchat JOIN #t$/);
  });

  it('tells IRC users where the files are', async () => {
    const uma = await ircUser('uma');
    await uma.waitLine(new RegExp(`NOTICE uma :Files are not offered over IRC\\..*${ts.port}`), 'the files notice');
  });
});

/** A bracket <connect> that must be refused: the error text. */
async function connectedClientRefused(name: string): Promise<string> {
  const c = await rawClient(ts.port);
  raw.push(c);
  c.send(`<connect>${name}\n`);
  const r = await c.waitReply(isKind('error'), `the refusal of ${name}`);
  return r.kind === 'error' ? r.message : '';
}

function spawnedClient(c: ClientProcess): ClientProcess {
  processes.push(c);
  return c;
}

describe('IRC door: NICK and AWAY are the hub\'s', () => {
  it('NICK renames across doors: every room hears it once, the old name is free, a taken one is 433', async () => {
    const vic = await ircUser('vic');
    const wes = await ircUser('wes');
    for (const c of [vic, wes]) c.client.join('#n1');
    await vic.waitLine(/^:wes!wes@dualchat JOIN #n1$/, 'wes in #n1, seen by vic');
    await wes.waitLine(/ 366 wes #n1 /, 'wes in #n1');
    const xena = await bracketUser('xena');
    xena.send('<join>n1\n');
    await vic.waitLine(/^:xena!xena@dualchat JOIN #n1$/, 'xena in #n1');
    const from = wes.lines.length;
    vic.send('NICK victor');
    await vic.waitLine(/^:vic!vic@dualchat NICK :victor$/, 'vic told of its own rename');
    await wes.waitLine(/^:vic!vic@dualchat NICK :victor$/, 'wes told of the rename', from);
    await xena.waitReply((r) => r.kind === 'system' && r.text === 'vic is now known as victor', 'xena told of the rename');
    // wes shares #lobby and #n1 with vic: one NICK line.
    wes.send('PING :sync');
    await wes.waitLine(/PONG dualchat :sync/, 'the PONG', from);
    expect(wes.lines.slice(from).filter((l) => l.includes(' NICK '))).toHaveLength(1);
    // Numerics follow the new nick; chat carries it; the old name is free, a taken one refused.
    vic.send('PING :x');
    vic.client.say('#n1', 'as victor');
    await xena.waitReply((r) => r.kind === 'message' && r.from === 'victor' && r.text === 'as victor', 'a message from victor');
    vic.send('NICK xena');
    await vic.waitLine(/ 433 victor xena :Nickname is already in use/, '433 for a taken nick');
    const again = await bracketUser('vic');
    expect(again.replies.some((r) => r.kind === 'welcome')).toBe(true);
  });

  it('AWAY: 306 and 305, 301 to whoever messages the away user, G in WHO, 301 in WHOIS', async () => {
    const yan = await ircUser('yan');
    const zed = await bracketUser('zed');
    yan.send('AWAY :lunch');
    await yan.waitLine(/ 306 yan :You have been marked as being away/, '306');
    const kai = await ircUser('kai');
    kai.client.say('yan', 'there?');
    await kai.waitLine(/ 301 kai yan :lunch/, '301 to an IRC sender');
    zed.send('<set_msg>yan are you?\n');
    await zed.waitReply((r) => r.kind === 'system' && r.text === 'yan is away: lunch', 'the away notice to a bracket sender');
    await yan.waitLine(/^:zed!zed@dualchat PRIVMSG yan :are you\?$/, 'the message still delivered');
    kai.send('WHO yan');
    await kai.waitLine(/ 352 kai #lobby yan dualchat dualchat yan G :0 yan/, 'G in WHO');
    kai.send('WHOIS yan');
    await kai.waitLine(/ 301 kai yan :lunch/, '301 in WHOIS', kai.lines.length - 1);
    yan.send('AWAY');
    await yan.waitLine(/ 305 yan :You are no longer marked as being away/, '305');
  });
});
