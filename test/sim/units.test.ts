import { describe, expect, it } from 'vitest';
import {
  formatBitRate,
  formatBytes,
  formatDuration,
  formatPercent,
  parseBitRate,
  parseByteSize,
  parseDuration,
  parseNumber,
  parseProbability,
  type Parsed,
} from '../../src/sim/units.ts';

function value<T>(r: Parsed<T>): T {
  if (!r.ok) throw new Error(`expected a value, got error: ${r.error}`);
  return r.value;
}
function error<T>(r: Parsed<T>): string {
  if (r.ok) throw new Error(`expected an error, got ${String(r.value)}`);
  return r.error;
}

describe('units', () => {
  it('parses durations into milliseconds', () => {
    expect(value(parseDuration('20ms'))).toBe(20);
    expect(value(parseDuration('1.5s'))).toBe(1500);
    expect(value(parseDuration('2min'))).toBe(120_000);
    expect(value(parseDuration('250us'))).toBeCloseTo(0.25);
    expect(value(parseDuration('250µs'))).toBeCloseTo(0.25);
    expect(value(parseDuration('40'))).toBe(40);
    expect(value(parseDuration(' 3 S '))).toBe(3000);
    expect(value(parseDuration(7))).toBe(7);
    expect(value(parseDuration('.5s'))).toBe(500);
  });

  it('rejects bad durations with a clear message', () => {
    expect(error(parseDuration('20 parsecs', 'delay'))).toMatch(/delay: unknown time unit "parsecs"/);
    expect(error(parseDuration('-5ms', 'delay'))).toMatch(/delay must not be negative/);
    expect(error(parseDuration('fast', 'delay'))).toMatch(/cannot read "fast"/);
    expect(error(parseDuration('', 'delay'))).toMatch(/delay is empty/);
    expect(error(parseDuration(Number.NaN, 'delay'))).toMatch(/finite/);
    expect(error(parseDuration({}, 'delay'))).toMatch(/number or a string/);
  });

  it('parses rates into bits per second', () => {
    expect(value(parseBitRate('10mbit'))).toBe(10_000_000);
    expect(value(parseBitRate('500kbit'))).toBe(500_000);
    expect(value(parseBitRate('2mbyte'))).toBe(16_000_000);
    expect(value(parseBitRate('1gbit'))).toBe(1e9);
    expect(value(parseBitRate('64000'))).toBe(64_000);
    expect(value(parseBitRate('1.5Mbit'))).toBe(1_500_000);
  });

  it('refuses ambiguous or impossible rates', () => {
    expect(error(parseBitRate('10mbps', 'rate'))).toMatch(/ambiguous.*10mbit.*10mbyte/);
    expect(error(parseBitRate('10mb', 'rate'))).toMatch(/ambiguous/);
    expect(error(parseBitRate('0', 'rate'))).toMatch(/must be positive/);
    expect(error(parseBitRate('5furlongs', 'rate'))).toMatch(/unknown rate unit "furlongs"/);
  });

  it('parses sizes into whole bytes (k/m/g decimal, ki/mi/gi binary)', () => {
    expect(value(parseByteSize('5mb'))).toBe(5_000_000);
    expect(value(parseByteSize('64kib'))).toBe(65_536);
    expect(value(parseByteSize('1.5kb'))).toBe(1500);
    expect(value(parseByteSize('2mbyte'))).toBe(2_000_000);
    expect(value(parseByteSize('1200'))).toBe(1200);
    expect(value(parseByteSize('0'))).toBe(0);
    expect(error(parseByteSize('0.5b', 'file'))).toMatch(/not a whole number of bytes/);
    expect(error(parseByteSize('3 parsecs', 'file'))).toMatch(/unknown size unit/);
    expect(error(parseByteSize('-1kb', 'file'))).toMatch(/must not be negative/);
  });

  it('parses probabilities as fractions or percentages', () => {
    expect(value(parseProbability('0.05'))).toBe(0.05);
    expect(value(parseProbability('5%'))).toBeCloseTo(0.05);
    expect(value(parseProbability(1))).toBe(1);
    expect(error(parseProbability('1.5', 'loss'))).toMatch(/loss must be between 0 and 1/);
    expect(error(parseProbability('5ms', 'loss'))).toMatch(/fraction like 0.05 or a percentage/);
  });

  it('parses plain numbers with bounds', () => {
    expect(value(parseNumber('12', 'n', { min: 1, integer: true }))).toBe(12);
    expect(error(parseNumber('1.5', 'messages', { integer: true }))).toMatch(/messages must be a whole number/);
    expect(error(parseNumber('0', 'burst', { min: 1 }))).toMatch(/burst must be at least 1/);
    expect(error(parseNumber('9', 'x', { max: 5 }))).toMatch(/at most 5/);
    expect(error(parseNumber('4kb', 'messages'))).toMatch(/plain number/);
  });

  it('formats quantities for tables', () => {
    expect(formatDuration(20)).toBe('20 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(0.25)).toBe('250 µs');
    expect(formatDuration(120_000)).toBe('2 min');
    expect(formatBitRate(10_000_000)).toBe('10 Mbit/s');
    expect(formatBitRate(1_234_567)).toBe('1.23 Mbit/s');
    expect(formatBytes(65_536)).toBe('64 KiB');
    expect(formatBytes(65_000)).toBe('65 kB');
    expect(formatBytes(5_000_000)).toBe('5 MB');
    expect(formatBytes(2 * 1024 ** 2)).toBe('2 MiB');
    expect(formatBytes(12)).toBe('12 B');
    expect(formatPercent(0.05)).toBe('5%');
  });
});
