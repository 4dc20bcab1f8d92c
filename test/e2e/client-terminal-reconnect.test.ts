// The interactive client in a terminal (tmux) when its server is killed and started again on the same
// ports: the banner says the connection is lost and the prompt counts down, the half-typed line stays
// on the prompt throughout, the client is back in its room, and the line, finished and entered, is said
// there. Skipped, saying why, when tmux is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerChild } from './hardening-helpers.ts';
import { connectedClient, type RawClient } from './helpers.ts';
import { hasTmux, terminal } from './tmux-helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
const SKIP = hasTmux ? '' : ' — SKIPPED: tmux not installed';
const SESSION = 'client';
const { tmux, screen, lastRow, poll, sessionAlive } = terminal(`dualchat-reconnect-${process.pid}`, SESSION);

const servers: ServerChild[] = [];
const raws: RawClient[] = [];
const dirs: string[] = [];

describe.skipIf(!hasTmux)(`the interactive client reconnecting in a terminal (tmux)${SKIP}`, () => {
  afterAll(async () => {
    for (const r of raws) r.destroy();
    try {
      tmux('kill-server');
    } catch {
      // The client left and its tmux server exited with it.
    }
    for (const s of servers) s.kill();
    await Promise.all(servers.map((s) => s.exited));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the banner and the countdown, keeps the half-typed line, and is back in its room', { timeout: 90_000 }, async () => {
    const first = await spawnServer([]);
    servers.push(first);
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'dualchat-terminal-reconnect-'));
    dirs.push(cwd);
    tmux('new-session', '-d', '-s', SESSION, '-x', '140', '-y', '40', `cd ${cwd} && exec ${process.execPath} ${BIN} client --tcp ${first.tcpPort} --name ann --no-bell`);
    await poll(() => lastRow().startsWith('ann@lobby>'), 'prompt');
    tmux('send-keys', '-t', SESSION, '/join den', 'Enter');
    await poll(() => lastRow().startsWith('ann@den>'), 'the prompt in #den');

    tmux('send-keys', '-t', SESSION, '-l', 'half typed');
    await poll(() => lastRow() === 'ann@den> half typed', 'the half-typed line');
    first.kill();
    await first.exited;
    await poll(() => screen().includes('* connection lost (') && screen().includes('what you type is kept'), 'the banner');
    await poll(() => /^\(reconnecting in \d+ s\) ann@den> half typed$/.test(lastRow()), 'the countdown in the prompt, the line intact');

    const second = await spawnServer(['--tcp', String(first.tcpPort), '--udp', String(first.udpPort)]);
    servers.push(second);
    const ben = await connectedClient(second.tcpPort, 'ben');
    raws.push(ben);
    ben.send('<join>den\n');
    await poll(() => screen().includes('* reconnected: you are ann in #den'), 'the reconnected line');
    await poll(() => lastRow() === 'ann@den> half typed', 'the prompt back, the line intact');
    tmux('send-keys', '-t', SESSION, '-l', ' words');
    tmux('send-keys', '-t', SESSION, 'Enter');
    await ben.waitReply((r) => r.kind === 'message' && r.from === 'ann' && r.room === 'den' && r.text === 'half typed words', 'the finished line in #den', 10_000);
    expect(screen().split('\n').filter((row) => row.includes('ann@den> half typed'))).toHaveLength(0);

    tmux('send-keys', '-t', SESSION, '/quit', 'Enter');
    await poll(() => !sessionAlive(), 'the client to exit');
  });
});
