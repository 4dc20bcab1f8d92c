// The habits across doors over real sockets: an IRC client (irc-framework) and a dualchat client in one
// room — TOPIC numerics and changes both ways, topics shown on JOIN, and `/me` as a CTCP ACTION.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInClient, stopAll, type ClientProcess, type JsonObject } from './client-helpers.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { ircClient, type IrcTestClient } from './irc-helpers.ts';

let ts: TestServer;
const irc: IrcTestClient[] = [];
const processes: ClientProcess[] = [];

beforeAll(async () => {
  ts = await startTestServer({ ircPort: 0 });
});
afterAll(async () => {
  for (const c of irc) c.close();
  await stopAll(processes);
  await ts.close();
});

describe('IRC door: topics and actions', () => {
  it('TOPIC reads and sets the hub topic; /me reaches IRC as a CTCP ACTION', async () => {
    const ivy = await ircClient(ts.server.ircPort!, 'ivy');
    irc.push(ivy);
    ivy.client.join('#plans');
    await ivy.waitLine(/ 366 ivy #plans /, 'ivy in #plans');
    ivy.send('TOPIC #plans');
    await ivy.waitLine(/^:dualchat 331 ivy #plans :No topic is set$/, '331 before any topic');

    const carol = await signedInClient(ts.port, 'carol');
    processes.push(carol);
    carol.send('/join plans');
    await ivy.waitLine(/^:carol!carol@dualchat JOIN #plans$/, 'carol joining');

    // An IRC user sets it: the dualchat client is told; IRC members see TOPIC.
    ivy.send('TOPIC #plans :ship it');
    await carol.waitFor((e: JsonObject) => e.type === 'topic' && e['by'] === 'ivy' && e['text'] === 'ship it', 'topic from IRC at carol');
    await ivy.waitLine(/^:ivy!ivy@dualchat TOPIC #plans :ship it$/, 'ivy sees her own TOPIC');

    // The dualchat client sets it: IRC sees TOPIC from carol; TOPIC then answers 332 and 333.
    carol.send('/topic ship it friday');
    await ivy.waitLine(/^:carol!carol@dualchat TOPIC #plans :ship it friday$/, 'carol\'s topic at ivy');
    const mark = ivy.lines.length;
    ivy.send('TOPIC #plans');
    await ivy.waitLine(/^:dualchat 332 ivy #plans :ship it friday$/, '332', mark);
    await ivy.waitLine(/^:dualchat 333 ivy #plans carol \d+$/, '333', mark);

    // A second IRC user entering the room is shown the topic.
    const jo = await ircClient(ts.server.ircPort!, 'jo');
    irc.push(jo);
    jo.client.join('#plans');
    await jo.waitLine(/^:dualchat 332 jo #plans :ship it friday$/, '332 on JOIN');

    // An action from the dualchat client is a CTCP ACTION on IRC.
    const action = ivy.waitEvent<{ nick: string; target: string; message: string }>('action', (e) => e.nick === 'carol', 'carol\'s action');
    carol.send('/me waves');
    expect(await action).toMatchObject({ nick: 'carol', target: '#plans', message: 'waves' });

    // And an IRC user's /me in a channel is an action for every door: the client gets an `action` event.
    const joAction = jo.waitEvent<{ nick: string; target: string; message: string }>('action', (e) => e.nick === 'ivy', 'ivy\'s action at jo');
    ivy.client.action('#plans', 'nods');
    await carol.waitFor((e: JsonObject) => e.type === 'action' && e['from'] === 'ivy' && e['room'] === 'plans' && e['text'] === 'nods', 'ivy\'s action at carol');
    expect(await joAction).toMatchObject({ target: '#plans', message: 'nods' });

    // Clearing on IRC: the client hears an empty topic; TOPIC answers 331 again.
    ivy.send('TOPIC #plans :');
    await carol.waitFor((e: JsonObject) => e.type === 'topic' && e['by'] === 'ivy' && e['text'] === '', 'cleared topic at carol');
    const after = ivy.lines.length;
    ivy.send('TOPIC #plans');
    await ivy.waitLine(/ 331 ivy #plans /, '331 after clearing', after);
    expect(carol.junk).toEqual([]);
  });
});
