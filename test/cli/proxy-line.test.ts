// The proxy's live counter line is redrawn in place with `\r`: it must never be wider than the terminal.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterLine } from '../../src/cli/proxy-run.ts';
import { emptyLinkStats } from '../../src/sim/link.ts';
import type { ProxyCounters } from '../../src/udp/proxy.ts';

function counters(n: number): ProxyCounters {
  const side = () => {
    const s = emptyLinkStats();
    s.sent = n;
    s.delivered = Math.floor(n * 0.9);
    s.dropped.loss = n - s.delivered;
    s.duplicated = Math.floor(n / 100);
    s.reordered = Math.floor(n / 40);
    s.corrupted = Math.floor(n / 200);
    return s;
  };
  return { flows: 3, forward: side(), reverse: side() };
}

describe('the proxy counter line', () => {
  it('in a wide terminal: every counter in words', () => {
    const line = counterLine(counters(1_234_567), 400);
    expect(line).toMatch(/^flows 3 \| client→target 1234567 in, 1111110 out, 123457 dropped \(10(\.0)?%\), 12345 dup, 30864 reord, 6172 corrupt \| target→client/);
  });

  it('at 140 and 80 columns: a shorter form, still every count (the line seen wrapping after 7 minutes)', () => {
    const at140 = counterLine(counters(98_765), 139);
    expect([...at140].length).toBeLessThanOrEqual(139);
    expect(at140).toMatch(/^flows 3 \| → 98765 in 88888 out 9877 lost \(10(\.0)?%\) 987 dup 2469 reord 493 bad \| ← /);
    const c = counters(9_876_543);
    const at80 = counterLine(c, 79);
    expect([...at80].length).toBeLessThanOrEqual(79);
    expect(at80).toMatch(/^→ 9876543\/8888888 −987655 \(10(\.0)?%\) \| ← /);
  });

  it('never wider than asked, whatever the counts and the width', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.integer({ min: 0, max: 300 }), (n, width) => {
        expect([...counterLine(counters(n), width)].length).toBeLessThanOrEqual(width);
      }),
    );
  });
});
