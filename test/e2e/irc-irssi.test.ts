// A real IRC client on the IRC door: irssi (Debian's package) in a detached tmux session, driven with
// send-keys — it connects, joins a channel, sends a line that a bracket user receives, and shows a
// line the bracket user sends (read from irssi's own log of the channel); over TLS (`--irc-tls`),
// irssi verifying the server's certificate with the test CA; and signs a registered nick in with SASL
// PLAIN, set up as an irssi user does (/network add -sasl_…), seeing the room's history on JOIN.
// Bounded in time: every wait
// has a deadline and every poll a bounded count. Skipped, saying why, when irssi or tmux is missing
// (.ci/run installs them).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHEAP_SCRYPT } from '../store/helpers.ts';
import { connectedClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';
import { testCertificate } from './tls-helpers.ts';

const missing = ['irssi', 'tmux'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
const SKIP = missing.length > 0 ? ` — SKIPPED: ${missing.join(' and ')} not installed (.ci/run installs them)` : '';

/** A poll's interval and the most polls of one wait (so a wait lasts at most ~15 s). */
const POLL_MS = 100;
const MAX_POLLS = 150;
/** One tmux server per irssi: when an irssi quits, its tmux server exits, and a next session started on
 * that same socket while it is still exiting fails with "server exited unexpectedly". */
const SESSIONS = ['irc', 'irctls', 'sasl'] as const;
type Session = (typeof SESSIONS)[number];
const tmuxSocket = (session: Session): string => `dualchat-irssi-${process.pid}-${session}`;

let ts: TestServer;
const homes: string[] = [];
const raw: RawClient[] = [];

function tmux(session: Session, ...args: string[]): string {
  return execFileSync('tmux', ['-L', tmuxSocket(session), ...args], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with `check()`'s first truthy value, polled every POLL_MS, at most MAX_POLLS times. */
async function poll<T>(check: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < MAX_POLLS; i++) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`irssi: no ${what} within ${(POLL_MS * MAX_POLLS) / 1000} s; screen:\n${screen()}`);
}

function screen(): string {
  return SESSIONS.map((session) => {
    try {
      return `[${session}]\n${tmux(session, 'capture-pane', '-p', '-t', session)}`;
    } catch {
      return `[${session}] (no tmux session)`;
    }
  }).join('\n');
}

/** A home directory for one irssi as `nick`: its config, with every channel logged under `logs/`. */
function irssiHome(nick: string): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'dualchat-irssi-'));
  homes.push(home);
  writeFileSync(
    path.join(home, 'config'),
    `settings = {
  core = { real_name = "irssi test"; user_name = "${nick}"; nick = "${nick}"; };
  "fe-common/core" = { autolog = "yes"; autolog_path = "${home}/logs/$tag/$0.log"; autolog_level = "all"; };
};
`,
  );
  return home;
}

/** What the irssi of `home` logged for `channel` (its autolog), '' until the file exists. */
function channelLog(home: string, channel: string): string {
  const dir = path.join(home, 'logs');
  if (!existsSync(dir)) return '';
  let text = '';
  for (const tag of readdirSync(dir)) {
    const file = path.join(dir, tag, `${channel}.log`);
    if (existsSync(file)) text += readFileSync(file, 'utf8');
  }
  return text;
}

describe.skipIf(missing.length > 0)(`irssi on the IRC door${SKIP}`, () => {
  beforeAll(async () => {
    ts = await startTestServer({ ircPort: 0, tls: await testCertificate(), tlsPort: 0, ircTlsPort: 0, passwordCost: CHEAP_SCRYPT, historyOnJoin: 5 });
  });

  afterAll(async () => {
    for (const c of raw) c.destroy();
    for (const session of SESSIONS) {
      try {
        tmux(session, 'kill-server');
      } catch {
        // That irssi quit and its tmux server is gone already.
      }
    }
    await ts?.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it('connects, joins, sends and receives', { timeout: 60_000 }, async () => {
    const bob = await connectedClient(ts.port, 'bob');
    raw.push(bob);
    bob.send('<join>dev\n');
    await bob.waitReply((r) => r.kind === 'joined' && r.name === 'bob' && r.room === 'dev', 'bob in #dev');

    const home = irssiHome('irssi1');
    const cmd = `irssi --home=${home} -c 127.0.0.1 -p ${ts.server.ircPort} -n irssi1`;
    tmux('irc', 'new-session', '-d', '-s', 'irc', '-x', '160', '-y', '40', cmd);
    // Registered: the server placed irssi1 in #lobby (irssi logs the channel once it has joined).
    await poll(() => ts.server.stats().users >= 2 && channelLog(home, '#lobby').includes('irssi1'), 'registration and #lobby');

    tmux('irc', 'send-keys', '-t', 'irc', '/join #dev', 'Enter');
    await bob.waitReply((r) => r.kind === 'joined' && r.name === 'irssi1' && r.room === 'dev', 'irssi1 joining #dev', 15_000);

    tmux('irc', 'send-keys', '-t', 'irc', 'hello from irssi', 'Enter');
    await bob.waitReply((r) => r.kind === 'message' && r.from === 'irssi1' && r.room === 'dev' && r.text === 'hello from irssi', 'irssi1 chatting', 15_000);

    bob.send('<set_msg_all>hello irssi, from brackets\n');
    await poll(() => channelLog(home, '#dev').includes('hello irssi, from brackets'), "bob's line in irssi's #dev log");
    expect(channelLog(home, '#dev')).toMatch(/<.?bob> hello irssi, from brackets/);

    tmux('irc', 'send-keys', '-t', 'irc', '/quit', 'Enter');
    await bob.waitReply((r) => r.kind === 'left' && r.name === 'irssi1' && r.reason === 'disconnect', 'irssi1 quitting', 15_000);
  });

  it('connects over TLS (--irc-tls), verifying the certificate with the test CA, and chats', { timeout: 60_000 }, async () => {
    const carol = await connectedClient(ts.port, 'carol');
    raw.push(carol);
    const home = irssiHome('irssi2');
    const ca = path.join(home, 'ca.pem');
    writeFileSync(ca, (await testCertificate()).cert);
    tmux('irctls', 'new-session', '-d', '-s', 'irctls', '-x', '160', '-y', '40', `irssi --home=${home} -! -n irssi2`);
    // The window is up before it takes a command: wait for irssi's status line.
    await poll(() => tmux('irctls', 'capture-pane', '-p', '-t', 'irctls').includes('(status)'), 'irssi started');
    // By name: irssi matches only the certificate's DNS names, not its IP addresses (-4: the server
    // listens on 127.0.0.1, and localhost may resolve to ::1 first).
    tmux('irctls', 'send-keys', '-t', 'irctls', `/connect -4 -tls -tls_verify -tls_cafile ${ca} localhost ${ts.server.ircTlsPort}`, 'Enter');
    await poll(() => channelLog(home, '#lobby').includes('irssi2'), 'registration over TLS and #lobby');
    // The server placed irssi2 in #lobby; irssi's active window may still be the status window.
    tmux('irctls', 'send-keys', '-t', 'irctls', '/msg #lobby hello over tls from irssi', 'Enter');
    await carol.waitReply((r) => r.kind === 'message' && r.from === 'irssi2' && r.text === 'hello over tls from irssi', 'irssi2 chatting over TLS', 15_000);
    carol.send('<set_msg_all>hello irssi2, from brackets\n');
    await poll(() => channelLog(home, '#lobby').includes('hello irssi2, from brackets'), "carol's line in irssi2's #lobby log");
    tmux('irctls', 'send-keys', '-t', 'irctls', '/quit', 'Enter');
    await carol.waitReply((r) => r.kind === 'left' && r.name === 'irssi2' && r.reason === 'disconnect', 'irssi2 quitting', 15_000);
  });

  it('signs a registered nick in with SASL PLAIN and shows the history of a channel it joins', { timeout: 60_000 }, async () => {
    const owner = await connectedClient(ts.port, 'irssi3');
    raw.push(owner);
    owner.send('<register>irssi3-pw\n<disconnect>\n');
    await owner.waitClosed();
    const bob = await connectedClient(ts.port, 'bobby');
    raw.push(bob);
    bob.send('<join>past\n<set_msg_all>said before irssi3 came\n');
    await bob.waitReply((r) => r.kind === 'message' && r.self && r.text === 'said before irssi3 came', 'the line kept');

    const home = irssiHome('irssi3');
    tmux('sasl', 'new-session', '-d', '-s', 'sasl', '-x', '160', '-y', '40', `irssi --home=${home} -! -n irssi3`);
    const keys = (line: string): string => tmux('sasl', 'send-keys', '-t', 'sasl', line, 'Enter');
    await poll(() => tmux('sasl', 'capture-pane', '-p', '-t', 'sasl').includes('(status)'), 'irssi started');
    keys('/network add -sasl_mechanism PLAIN -sasl_username irssi3 -sasl_password irssi3-pw dualchat');
    keys(`/server add -network dualchat 127.0.0.1 ${ts.server.ircPort}`);
    keys('/connect dualchat');
    await poll(() => channelLog(home, '#lobby').includes('irssi3'), 'irssi3 signed in, in #lobby');
    keys('/join #past');
    await bob.waitReply((r) => r.kind === 'joined' && r.name === 'irssi3' && r.room === 'past', 'irssi3 joining #past', 15_000);
    await poll(() => channelLog(home, '#past').includes('said before irssi3 came'), "the kept line in irssi's #past log");
    expect(channelLog(home, '#past')).toMatch(/<.?bobby> (\[history [^\]]+\] )?said before irssi3 came/);
    keys('/quit');
    await bob.waitReply((r) => r.kind === 'left' && r.name === 'irssi3' && r.reason === 'disconnect', 'irssi3 quitting', 15_000);
  });
});
