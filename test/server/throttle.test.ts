// The input log's throttle: at most N lines of a message a second, the rest counted and reported — on the
// next line of that message, or by a line of their own when the junk stops — so no count is lost.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputLog, type LevelLogger } from '../../src/server/throttle.ts';

function recorder(enabled: readonly string[] = ['info', 'debug']): LevelLogger & { lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    isLevelEnabled: (level) => enabled.includes(level),
    info: (fields, msg) => lines.push({ level: 'info', fields: fields as Record<string, unknown>, msg }),
    debug: (fields, msg) => lines.push({ level: 'debug', fields: fields as Record<string, unknown>, msg }),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('InputLog', () => {
  it('writes N lines a second per message, carries the count to the next line, and counts every input', () => {
    let now = 0;
    const logger = recorder();
    const log = new InputLog(logger, 3, () => now);
    for (let i = 0; i < 10; i++) log.info({ i }, 'input rejected');
    for (let i = 0; i < 2; i++) log.info({ i }, 'udp hello refused');
    expect(logger.lines.map((l) => l.msg)).toEqual(['input rejected', 'input rejected', 'input rejected', 'udp hello refused', 'udp hello refused']);
    now = 1_000;
    log.info({ i: 10 }, 'input rejected');
    expect(logger.lines.at(-1)).toEqual({ level: 'info', fields: { i: 10, suppressed: 7 }, msg: 'input rejected' });
    log.close();
  });

  it('writes the count by itself when the junk stops, at the same level', () => {
    vi.useFakeTimers();
    const logger = recorder();
    const log = new InputLog(logger, 1, () => 0);
    for (let i = 0; i < 5; i++) log.debug({ i }, 'udp datagram rejected');
    expect(logger.lines).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(logger.lines.at(-1)).toEqual({ level: 'debug', fields: { suppressed: 4 }, msg: 'udp datagram rejected' });
    vi.advanceTimersByTime(5_000);
    expect(logger.lines).toHaveLength(2);
    log.close();
  });

  it('counts nothing at a level the logger does not write', () => {
    const logger = recorder(['info']);
    const log = new InputLog(logger, 1, () => 0);
    for (let i = 0; i < 5; i++) log.debug({ i }, 'udp datagram dropped');
    log.close();
    expect(logger.lines).toHaveLength(0);
  });
});
