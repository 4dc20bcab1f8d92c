// Abuse row 9: 3,000 join/leave pairs from one signed-in user put 6,001 notices in front of everyone in
// the lobby. Now every bracket command pays on a penalty clock (src/doors/bracket/costs.ts): the first
// ten seconds' worth run, the next twenty are held, the rest refused with an error, and the connection is
// closed with a reason — the lobby hears a bounded handful, and the bystanders' chat is unaffected.
import { afterEach, describe, expect, it } from 'vitest';
import { FLOOD_CLOSING } from '../../src/doors/bracket/connection.ts';
import { BRACKET_PENALTY_RULES, COMMAND_COSTS } from '../../src/doors/bracket/costs.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound } from './probe.ts';

const PAIRS = 3_000;

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

describe('abuse row 9: join/leave flood', () => {
  it('bounds the notices the lobby hears, refuses then drops the flooder, bystanders unaffected', { timeout: 60_000 }, async () => {
    ts = await startTestServer({ captureLogs: 'info' });
    const probe = await chatProbe(ts.port, 'row9');
    const watcher = await connectedClient(ts.port, 'watcher');
    const before = await probe.measure();

    const attacker = await connectedClient(ts.port, 'flooder');
    const noticesBefore = watcher.replies.length;
    const during = probe.measure();
    attacker.send('<join>flood\n<leave>\n'.repeat(PAIRS));
    await attacker.waitClosed(30_000);
    const figures = await during;
    probe.close();

    // The attacker was told: refusals first, then the reason for the close.
    const errors = attacker.replies.filter((r) => r.kind === 'error');
    expect(errors.some((r) => r.kind === 'error' && r.code === 'rate-limited' && r.message.startsWith('slow down: too many commands'))).toBe(true);
    expect(errors.at(-1)).toMatchObject({ kind: 'error', code: 'rate-limited', message: FLOOD_CLOSING });
    expect(ts.logs.some((l) => l.msg === 'flood: connection dropped' && l.name === 'flooder')).toBe(true);

    // The lobby heard at most what the budget lets run (the free burst and the held lines), plus the
    // flooder's own leaving — not 6,001 lines.
    const ran = (BRACKET_PENALTY_RULES.freeMs + BRACKET_PENALTY_RULES.holdMs) / COMMAND_COSTS.join;
    await watcher.waitFor(() => watcher.replies.some((r) => r.kind === 'left' && r.name === 'flooder' && r.reason !== 'moved'), 'the flooder leaving the chat');
    const heard = watcher.replies.slice(noticesBefore).filter((r) => (r.kind === 'joined' || r.kind === 'left') && r.name === 'flooder');
    expect(heard.length).toBeLessThanOrEqual(ran + 1);
    expect(heard.length).toBeGreaterThan(0);

    expect(figures.max).toBeLessThanOrEqual(unaffectedBound(before));
    watcher.destroy();
  });
});
