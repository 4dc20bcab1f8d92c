// Abuse row 8: junk lines on TCP and hellos with random connection ids on UDP grew the log 78× and 82×
// the bytes sent: a line each. Every per-input log line now goes through the input log's throttle
// (src/server/throttle.ts, INPUT_LOGS_PER_SECOND a message a second, the rest counted as `suppressed`):
// the log grows by a bounded amount per second whatever arrives, the counts add up to every input, and
// the bystanders' chat is unaffected. On the bracket door the command budget also closes the junk sender.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeHello, newToken } from '../../src/udp/binding.ts';
import { INPUT_LOGS_PER_SECOND } from '../../src/server/constants.ts';
import { rawClient, startTestServer, type LogRecord, type TestServer } from '../e2e/helpers.ts';
import { rawPeer } from '../e2e/udp-helpers.ts';
import { chatProbe, unaffectedBound } from './probe.ts';

const JUNK_LINES = 20_000;
const HELLOS = 5_000;
/** How often the server's counters are looked at while waiting (a bounded poll, with a deadline). */
const POLL_MS = 20;
const DEADLINE_MS = 20_000;
/** The attack is sent in slices, yielding between them: the attacker shares this process with the server and the probe (a real one would not). */
const SLICE = 250;

const yieldTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

/** Per wall-clock second the attack touched: the lines let through and one count of the rest (the flush). */
const linesAllowed = (seconds: number): number => (INPUT_LOGS_PER_SECOND + 1) * (Math.ceil(seconds) + 1);

const bytesOf = (records: readonly LogRecord[]): number => records.reduce((n, r) => n + JSON.stringify(r).length + 1, 0);

/** Wait until `done()` holds, looking every POLL_MS, at most DEADLINE_MS. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !done(); waited += POLL_MS) {
    if (waited >= DEADLINE_MS) throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Lines of `msg` written and the inputs they stand for (each line is one, plus what it says it suppressed). */
function tally(records: readonly LogRecord[], msg: string): { lines: number; inputs: number } {
  const of = records.filter((r) => r.msg === msg);
  return { lines: of.length, inputs: of.reduce((n, r) => n + (typeof r.suppressed === 'number' ? r.suppressed : 0) + (Object.keys(r).some((k) => k === 'session' || k === 'connId') ? 1 : 0), 0) };
}

describe('abuse row 8: inputs that each wrote a log line', () => {
  it('junk lines on TCP: a bounded log, every one counted; the budget closes the sender', { timeout: 60_000 }, async () => {
    // The budget off (--rate-limit 0) to show the throttle alone; then on, as a server runs by default.
    ts = await startTestServer({ captureLogs: 'info', rateLimit: 0 });
    const probe = await chatProbe(ts.port, 'row8');
    const before = await probe.measure();
    const logBefore = ts.logs.length;
    const attacker = await rawClient(ts.port);
    const lines = Array.from({ length: JUNK_LINES }, (_, i) => `junk ${i} ${'x'.repeat(40)}\n`);
    const junk = lines.join('');
    const started = performance.now();
    const during = probe.measure();
    for (let i = 0; i < JUNK_LINES; i += SLICE) {
      attacker.send(lines.slice(i, i + SLICE).join(''));
      await yieldTurn();
    }
    await attacker.waitFor(() => attacker.lines.length >= JUNK_LINES, 'an error for every junk line', DEADLINE_MS);
    const figures = await during;
    const seconds = (performance.now() - started) / 1000;
    attacker.destroy();
    await ts.close(); // flushes the last count
    const added = ts.logs.slice(logBefore);
    const rejected = tally(added, 'input rejected');
    expect(rejected.inputs).toBe(JUNK_LINES);
    expect(rejected.lines).toBeLessThanOrEqual(linesAllowed(seconds));
    expect(bytesOf(added)).toBeLessThan(junk.length / 10);
    expect(figures.max).toBeLessThanOrEqual(unaffectedBound(before));
    probe.close();
    ts = undefined;

    ts = await startTestServer({ captureLogs: 'info' });
    const flooder = await rawClient(ts.port);
    flooder.send(junk);
    await flooder.waitClosed(DEADLINE_MS);
    expect(flooder.replies.at(-1)).toMatchObject({ kind: 'error', code: 'rate-limited' });
    expect(ts.logs.filter((r) => r.msg === 'input rejected').length).toBeLessThanOrEqual(2 * INPUT_LOGS_PER_SECOND + 1);
  });

  it('hellos with random connection ids on UDP: a bounded log, every one counted', { timeout: 60_000 }, async () => {
    ts = await startTestServer({ captureLogs: 'info' });
    const server = ts.server;
    const probe = await chatProbe(ts.port, 'row8u');
    const before = await probe.measure();
    const logBefore = ts.logs.length;
    const refusedBefore = server.stats().udp.binding.refusedUnknownConnection;
    const attacker = await rawPeer(server.udpPort);
    let sent = 0;
    const started = performance.now();
    const during = probe.measure();
    for (let i = 0; i < HELLOS; i++) {
      const id = 0x1000_0000 + i;
      const body = encodeHello(newToken(), id, 1n);
      attacker.send({ type: 'hello', connectionId: id, body });
      sent += body.length + 10;
      if (i % SLICE === SLICE - 1) await yieldTurn();
    }
    await until(() => server.stats().udp.binding.refusedUnknownConnection - refusedBefore >= HELLOS, `${HELLOS} hellos refused`);
    const figures = await during;
    const seconds = (performance.now() - started) / 1000;
    await attacker.close();
    probe.close();
    await ts.close();
    const added = ts.logs.slice(logBefore);
    const refused = tally(added, 'udp hello refused');
    expect(refused.inputs).toBe(HELLOS);
    expect(refused.lines).toBeLessThanOrEqual(linesAllowed(seconds));
    expect(bytesOf(added)).toBeLessThan(sent / 10);
    expect(figures.max).toBeLessThanOrEqual(unaffectedBound(before));
    ts = undefined;
  });
});
