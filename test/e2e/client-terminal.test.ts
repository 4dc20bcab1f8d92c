// The interactive client as a person sees it: run in a detached tmux session (a real pseudo-terminal),
// typed into with send-keys and read back with capture-pane. A half-typed line stays intact under the
// prompt while lines arrive; Ctrl-C clears it (nothing is sent); `/me` reaches the room as an action; Tab
// completes a name (`bo⇥` → `bob: `); a 200-line paste, five times the server's burst, is queued (the prompt counts it) and arrives complete
// and in order; Ctrl-C twice leaves. One tmux server (-L socket) of its own: a tmux server exits with
// its last session. Every wait has a deadline and every poll a bounded count; skipped, saying why,
// when tmux is missing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './client-helpers.ts';
import { connectedClient, type RawClient } from './helpers.ts';
import { hasTmux, terminal } from './tmux-helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
const SKIP = hasTmux ? '' : ' — SKIPPED: tmux not installed';

const SOCKET = `dualchat-client-${process.pid}`;
const SESSION = 'client';
const PASTE_LINES = 200;
/** 200 lines at 18/s after a burst of 30: ~9.5 s; room for a loaded machine. */
const PASTE_DEADLINE_MS = 40_000;

let ts: TestServer;
let bob: RawClient | undefined;
const dirs: string[] = [];
const { tmux, screen, lastRow, poll, sessionAlive } = terminal(SOCKET, SESSION);

describe.skipIf(!hasTmux)(`the interactive client in a terminal (tmux)${SKIP}`, () => {
  beforeAll(async () => {
    ts = await startTestServer();
  });

  afterAll(async () => {
    bob?.destroy();
    try {
      tmux('kill-server');
    } catch {
      // The client left and its tmux server exited with it.
    }
    await ts.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the typed line under arriving lines, clears it on Ctrl-C, sends /me, completes a name, queues a 200-line paste, leaves on Ctrl-C twice', { timeout: 120_000 }, async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'dualchat-terminal-'));
    dirs.push(cwd);
    const command = `cd ${cwd} && exec ${process.execPath} ${BIN} client --tcp ${ts.server.tcpPort} --name alice --no-bell`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', command);
    await poll(() => lastRow().startsWith('alice@lobby>'), 'prompt');
    bob = await connectedClient(ts.server.tcpPort, 'bob');
    const me = bob;

    // A half-typed line stays intact while lines arrive above it.
    tmux('send-keys', '-t', SESSION, '-l', 'half typed words');
    await poll(() => lastRow() === 'alice@lobby> half typed words', 'the half-typed line');
    for (let i = 1; i <= 5; i++) me.send(`<set_msg_all>incoming ${i}\n`);
    await poll(() => screen().includes('bob: incoming 5'), 'the arriving lines');
    const shown = screen();
    expect(lastRow()).toBe('alice@lobby> half typed words');
    for (let i = 1; i <= 5; i++) expect(shown.split('\n').filter((row) => row.endsWith(`bob: incoming ${i}`))).toHaveLength(1);
    // Only the prompt row holds the half-typed words: no stale copy above.
    expect(shown.split('\n').filter((row) => row.includes('half typed words'))).toHaveLength(1);

    // Ctrl-C clears the line; nothing is sent.
    tmux('send-keys', '-t', SESSION, 'C-c');
    await poll(() => lastRow() === 'alice@lobby>', 'the cleared prompt');
    expect(sessionAlive()).toBe(true);

    // /me reaches the room as an action and is shown as one.
    tmux('send-keys', '-t', SESSION, '/me waves', 'Enter');
    await me.waitReply((r) => r.kind === 'action' && r.from === 'alice' && r.text === 'waves', "alice's action", 15_000);
    await poll(() => screen().split('\n').some((row) => row.endsWith('* alice waves')), 'the action on screen');
    expect(me.replies.some((r) => r.kind === 'message' && r.from === 'alice' && r.text.includes('half typed'))).toBe(false);

    // Tab completes a name: addressed at the start of the line (as irssi).
    tmux('send-keys', '-t', SESSION, '-l', 'bo');
    tmux('send-keys', '-t', SESSION, 'Tab');
    await poll(() => lastRow() === 'alice@lobby> bob:', 'the completed name');
    tmux('send-keys', '-t', SESSION, '-l', 'over to you');
    tmux('send-keys', '-t', SESSION, 'Enter');
    await me.waitReply((r) => r.kind === 'message' && r.from === 'alice' && r.text === 'bob: over to you', 'the addressed line', 15_000);

    // A 200-line paste: queued (the prompt counts it), then all of it, in order.
    const lines = Array.from({ length: PASTE_LINES }, (_, i) => `pasted ${i + 1} of ${PASTE_LINES}`);
    const buffer = path.join(cwd, 'paste.txt');
    writeFileSync(buffer, `${lines.join('\n')}\n`);
    tmux('load-buffer', '-b', 'paste', buffer);
    tmux('paste-buffer', '-b', 'paste', '-t', SESSION);
    await poll(() => /\(\d+ queued\) alice@lobby>/.test(lastRow()), 'the queued count in the prompt');
    const last = lines.at(-1)!;
    await me.waitReply((r) => r.kind === 'message' && r.from === 'alice' && r.text === last, 'the last pasted line', PASTE_DEADLINE_MS);
    const got = me.replies.filter((r): r is Extract<typeof r, { kind: 'message' }> => r.kind === 'message' && r.from === 'alice' && r.text.startsWith('pasted ')).map((r) => r.text);
    expect(got).toEqual(lines);
    expect(me.replies.filter((r) => r.kind === 'error')).toEqual([]);
    await poll(() => lastRow() === 'alice@lobby>', 'the prompt without a queue');
    expect(screen()).not.toMatch(/rate-limited|slow down/);

    // Ctrl-C twice on an empty line leaves: bob hears alice leave, the terminal's session ends.
    tmux('send-keys', '-t', SESSION, 'C-c');
    await poll(() => screen().includes('press Ctrl-C again'), 'the second-press hint');
    tmux('send-keys', '-t', SESSION, 'C-c');
    await me.waitReply((r) => r.kind === 'left' && r.name === 'alice' && r.reason === 'disconnect', 'alice leaving', 15_000);
    await poll(() => !sessionAlive(), 'the client to exit');
  });
});
