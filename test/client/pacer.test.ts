// The client's pacing of chat lines to the server's announced rate (src/client/pacer.ts): driven against
// the hub's own bucket (src/chat/rate-limit.ts) over a simulated path with jitter, every line arrives
// exactly once — never dropped, never doubled — and, without refusals, in the order typed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatRateRefusal, fullBucket, takeToken } from '../../src/chat/rate-limit.ts';
import type { Command, Reply } from '../../src/commands/types.ts';
import { Pacer } from '../../src/client/pacer.ts';
import { REFUSAL_SETTLE_MS } from '../../src/client/constants.ts';

interface Line {
  command: Command;
  n: number;
}

const say = (n: number): Line => ({ command: { kind: 'broadcast', text: `line ${n}` }, n });
const echo = (text: string): Reply => ({ kind: 'message', from: 'me', room: 'lobby', ts: 0, self: true, text });
const refusal: Reply = { kind: 'error', code: 'rate-limited', message: chatRateRefusal(20, 40, 50) };

describe('Pacer: the budget', () => {
  it('lets a burst go at once, then one line per token, a little under the announced rate', () => {
    const pacer = new Pacer<Line>();
    pacer.configure({ rate: 10, burst: 5 }, 0);
    // Three quarters of the burst (5 → 3).
    for (let i = 0; i < 3; i++) {
      expect(pacer.readyAt(say(i), 0)).toBe(0);
      pacer.sent(say(i), 0);
    }
    const next = pacer.readyAt(say(3), 0);
    // 90 % of 10/s: a token every 111.1 ms.
    expect(next).toBe(112);
    expect(pacer.readyAt(say(3), next)).toBe(next);
  });

  it('does not pace without announced figures, with rate 0, or commands the server does not count', () => {
    const pacer = new Pacer<Line>();
    for (let i = 0; i < 100; i++) pacer.sent(say(i), 0);
    expect(pacer.readyAt(say(100), 0)).toBe(0);
    pacer.configure({ rate: 0, burst: 1 }, 0);
    for (let i = 0; i < 100; i++) pacer.sent(say(i), 0);
    expect(pacer.readyAt(say(100), 0)).toBe(0);
    pacer.configure({ rate: 1, burst: 1 }, 0);
    pacer.sent(say(0), 0);
    expect(pacer.readyAt(say(1), 0)).toBeGreaterThan(0);
    expect(pacer.readyAt({ command: { kind: 'users' }, n: -1 }, 0)).toBe(0);
  });

  it('a refusal holds paced lines until the echoes tell which were refused, then those go again', () => {
    const pacer = new Pacer<Line>();
    pacer.configure({ rate: 100, burst: 100 }, 0);
    for (let i = 0; i < 3; i++) pacer.sent(say(i), 0);
    // The server refused line 1; its refusal (TCP) overtakes the echo of line 0 (UDP).
    expect(pacer.received(refusal, 5)).toEqual({ resend: [], absorbed: true });
    expect(pacer.settling).toBe(true);
    expect(pacer.readyAt(say(3), 5)).toBe(5 + REFUSAL_SETTLE_MS);
    expect(pacer.received(echo('line 0'), 6).resend).toEqual([]);
    expect(pacer.received(echo('line 2'), 7).resend).toEqual([say(1)]);
    expect(pacer.settling).toBe(false);
  });

  it('a refusal that echoes cannot settle takes the newest lines in flight after REFUSAL_SETTLE_MS', () => {
    const pacer = new Pacer<Line>();
    pacer.configure({ rate: 100, burst: 100 }, 0);
    // Line 0 was answered by another error (no echo will come), line 1 refused for the rate.
    pacer.sent({ command: { kind: 'private', to: 'nobody', text: 'hi' }, n: 0 }, 0);
    pacer.sent(say(1), 0);
    pacer.received({ kind: 'error', code: 'unknown-user', message: 'no such user' }, 1);
    pacer.received(refusal, 2);
    expect(pacer.tick(2 + REFUSAL_SETTLE_MS - 1)).toEqual([]);
    expect(pacer.tick(2 + REFUSAL_SETTLE_MS)).toEqual([say(1)]);
    expect(pacer.settling).toBe(false);
  });

  it('a rate-limited error that is not the chat rate (the command budget, wrong passwords) is shown, and sends nothing again', () => {
    const pacer = new Pacer<Line>();
    pacer.configure({ rate: 100, burst: 100 }, 0);
    pacer.sent(say(0), 0);
    // A /join over the bracket door's command budget, refused while line 0's echo (UDP) is on its way.
    const budget: Reply = { kind: 'error', code: 'rate-limited', message: 'slow down: too many commands; this line was ignored (try again in 2 s)' };
    const guard: Reply = { kind: 'error', code: 'rate-limited', message: 'too many wrong operator passwords; try again in 60 s' };
    expect(pacer.received(budget, 1)).toEqual({ resend: [], absorbed: false });
    expect(pacer.received(guard, 2)).toEqual({ resend: [], absorbed: false });
    expect(pacer.settling).toBe(false);
    expect(pacer.tick(2 + REFUSAL_SETTLE_MS)).toEqual([]);
    expect(pacer.received(echo('line 0'), 3).resend).toEqual([]);
  });

  it('an error that refuses nothing in flight is shown, not absorbed', () => {
    const pacer = new Pacer<Line>();
    pacer.configure({ rate: 1, burst: 1 }, 0);
    expect(pacer.received(refusal, 0)).toEqual({ resend: [], absorbed: false });
  });
});

/** One run: `typed` lines typed at the given times, through a path with jitter, to the hub's bucket. */
function simulate(typedAt: number[], rate: number, burst: number, maxDelay: number, delays: number[]): { delivered: number[]; refusals: number; end: number } {
  const pacer = new Pacer<Line>();
  pacer.configure({ rate, burst }, 0);
  const server = fullBucket(burst, 0);
  const outbox: Line[] = [];
  let delayAt = 0;
  const delay = (): number => delays[delayAt++ % delays.length]! % (maxDelay + 1);
  // Datagrams to the server keep their order (the reliable stream); the replies come back on two paths.
  type Event = { at: number; what: 'type' | 'arrive'; line: Line } | { at: number; what: 'reply'; reply: Reply };
  const events: Array<Event & { seq: number }> = [];
  let seq = 0;
  const push = (e: Event): void => {
    events.push({ ...e, seq: seq++ });
  };
  typedAt.forEach((at, n) => push({ at, what: 'type', line: say(n) }));
  let lastArrival = 0;
  const delivered: number[] = [];
  let refusals = 0;
  let now = 0;
  let wake = Infinity;
  const pump = (): void => {
    outbox.unshift(...pacer.tick(now));
    wake = Infinity;
    for (let guard = 0; guard < 10_000 && outbox.length > 0; guard++) {
      const ready = pacer.readyAt(outbox[0]!, now);
      if (ready > now) {
        wake = ready;
        return;
      }
      const line = outbox.shift()!;
      pacer.sent(line, now);
      lastArrival = Math.max(lastArrival, now + delay());
      push({ at: lastArrival, what: 'arrive', line });
    }
  };
  for (let step = 0; step < 100_000; step++) {
    events.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = events[0];
    if (next === undefined && wake === Infinity) break;
    if (next === undefined || wake < next.at) {
      now = wake;
      pump();
      continue;
    }
    events.shift();
    now = next.at;
    if (next.what === 'reply') {
      const verdict = pacer.received(next.reply, now);
      outbox.unshift(...verdict.resend);
    } else if (next.what === 'type') {
      outbox.push(next.line);
    } else {
      if (takeToken(server, rate, burst, now)) {
        delivered.push(next.line.n);
        push({ at: now + delay(), what: 'reply', reply: echo(`line ${next.line.n}`) });
      } else {
        refusals += 1;
        push({ at: now + delay(), what: 'reply', reply: refusal });
      }
    }
    pump();
  }
  return { delivered, refusals, end: now };
}

describe('Pacer against the hub bucket (property)', () => {
  it('every line arrives exactly once; without refusals in the order typed; a paste takes about lines / rate', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 250 }),
        fc.constantFrom(5, 20, 50),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 50 }),
        (gaps, rate, burst, maxDelay, delays) => {
          let t = 0;
          const typedAt = gaps.map((g) => (t += g));
          const { delivered, refusals, end } = simulate(typedAt, rate, burst, maxDelay, delays);
          expect([...delivered].sort((a, b) => a - b)).toEqual(typedAt.map((_, i) => i));
          if (refusals === 0) expect(delivered).toEqual(typedAt.map((_, i) => i));
          // Bounded: all of it in the time the rate needs, plus the settling of each refusal.
          const need = t + ((typedAt.length / (rate * 0.9)) * 1000 + 2 * maxDelay + 1000) + refusals * (REFUSAL_SETTLE_MS + 2 * maxDelay);
          expect(end).toBeLessThanOrEqual(need);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 200-line paste at the default 20/s (burst 40) over a jittery path: complete, in order, no refusal', () => {
    const { delivered, refusals, end } = simulate(new Array(200).fill(0), 20, 40, 80, [3, 80, 11, 0, 47, 66, 20]);
    expect(delivered).toEqual([...Array(200).keys()]);
    expect(refusals).toBe(0);
    expect(end).toBeLessThan(10_000);
  });
});
