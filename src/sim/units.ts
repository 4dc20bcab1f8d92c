// Quantities as people write them — `20ms`, `1.5s`, `10mbit`, `500kbit`, `2mbyte`, `5mb`, `5%` — parsed
// into one unit each (milliseconds, bits per second, bytes, probability), and formatted back for reports.
// Pure and total: every parser returns a value or an error in words, never throws.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const NUMBER_WITH_UNIT = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zµ%]*)$/i;

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}
function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

/** Splits `12.5ms` into 12.5 and `ms`. Numbers pass through with an empty unit. */
function split(input: unknown, what: string): Parsed<{ amount: number; unit: string }> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(`${what} must be a finite number (got ${String(input)})`);
    return ok({ amount: input, unit: '' });
  }
  if (typeof input !== 'string') return fail(`${what} must be a number or a string like the examples (got ${typeof input})`);
  const text = input.trim();
  if (text === '') return fail(`${what} is empty`);
  const m = NUMBER_WITH_UNIT.exec(text);
  if (m === null || m[1] === undefined) return fail(`${what}: cannot read "${input}" as a number with an optional unit`);
  const amount = Number(m[1]);
  if (!Number.isFinite(amount)) return fail(`${what}: "${input}" is not a finite number`);
  return ok({ amount, unit: (m[2] ?? '').toLowerCase() });
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  '': 1,
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/** A duration in milliseconds: `20ms`, `1.5s`, `2min`, `250us`; a bare number is milliseconds. Not negative. */
export function parseDuration(input: unknown, what = 'duration'): Parsed<number> {
  const s = split(input, what);
  if (!s.ok) return s;
  const factor = DURATION_UNITS_MS[s.value.unit];
  if (factor === undefined) {
    return fail(`${what}: unknown time unit "${s.value.unit}" in "${String(input)}" (use us, ms, s, min or h)`);
  }
  if (s.value.amount < 0) return fail(`${what} must not be negative (got ${String(input)})`);
  return ok(s.value.amount * factor);
}

/** Bits per second for each rate unit; k/m/g are decimal as in networking (1 kbit/s = 1000 bit/s). */
const RATE_UNITS_BPS: Readonly<Record<string, number>> = {
  '': 1,
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  byte: 8,
  kbyte: 8e3,
  mbyte: 8e6,
  gbyte: 8e9,
};
/** Units that mean bits to some people and bytes to others (tc reads `kbps` as kilobytes/s). */
const AMBIGUOUS_RATE_UNITS = new Set(['bps', 'kbps', 'mbps', 'gbps', 'b', 'kb', 'mb', 'gb', 'k', 'g']);

/** A rate in bits per second: `10mbit`, `500kbit`, `2mbyte` (bytes/s); a bare number is bits/s. Positive. */
export function parseBitRate(input: unknown, what = 'rate'): Parsed<number> {
  const s = split(input, what);
  if (!s.ok) return s;
  const { amount, unit } = s.value;
  if (AMBIGUOUS_RATE_UNITS.has(unit)) {
    return fail(
      `${what}: "${String(input)}" is ambiguous (bits or bytes?): write ${amount}${unit.replace(/b(ps)?$/, '')}bit for bits/s or ${amount}${unit.replace(/b(ps)?$/, '')}byte for bytes/s`,
    );
  }
  const factor = RATE_UNITS_BPS[unit];
  if (factor === undefined) {
    return fail(`${what}: unknown rate unit "${unit}" in "${String(input)}" (use bit, kbit, mbit, gbit, byte, kbyte, mbyte or gbyte)`);
  }
  if (amount <= 0) return fail(`${what} must be positive (got ${String(input)})`);
  return ok(amount * factor);
}

/** Bytes per unit: k/m/g decimal, ki/mi/gi binary. */
const SIZE_UNITS_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  kbyte: 1e3,
  m: 1e6,
  mb: 1e6,
  mbyte: 1e6,
  g: 1e9,
  gb: 1e9,
  gbyte: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A size in whole bytes: `1500`, `64kb` (64,000), `64kib` (65,536), `5mb`, `2mbyte`. Not negative. */
export function parseByteSize(input: unknown, what = 'size'): Parsed<number> {
  const s = split(input, what);
  if (!s.ok) return s;
  const factor = SIZE_UNITS_BYTES[s.value.unit];
  if (factor === undefined) {
    return fail(`${what}: unknown size unit "${s.value.unit}" in "${String(input)}" (use b, kb, mb, gb, kib, mib or gib)`);
  }
  if (s.value.amount < 0) return fail(`${what} must not be negative (got ${String(input)})`);
  const bytes = s.value.amount * factor;
  const whole = Math.round(bytes);
  if (Math.abs(bytes - whole) > 1e-6) return fail(`${what}: "${String(input)}" is not a whole number of bytes`);
  if (!Number.isSafeInteger(whole)) return fail(`${what}: "${String(input)}" is too large`);
  return ok(whole);
}

/** A probability: `0.05` or `5%`, within [0, 1]. */
export function parseProbability(input: unknown, what = 'probability'): Parsed<number> {
  const s = split(input, what);
  if (!s.ok) return s;
  const { amount, unit } = s.value;
  if (unit !== '' && unit !== '%') return fail(`${what}: "${String(input)}" must be a fraction like 0.05 or a percentage like 5%`);
  const p = unit === '%' ? amount / 100 : amount;
  if (p < 0 || p > 1) return fail(`${what} must be between 0 and 1 (or 0% and 100%) (got ${String(input)})`);
  return ok(p);
}

/** A plain number, optionally bounded; `integer` rejects fractions. */
export function parseNumber(
  input: unknown,
  what: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): Parsed<number> {
  const s = split(input, what);
  if (!s.ok) return s;
  if (s.value.unit !== '') return fail(`${what}: "${String(input)}" must be a plain number`);
  const n = s.value.amount;
  if (opts.integer === true && !Number.isSafeInteger(n)) return fail(`${what} must be a whole number (got ${String(input)})`);
  if (opts.min !== undefined && n < opts.min) return fail(`${what} must be at least ${opts.min} (got ${String(input)})`);
  if (opts.max !== undefined && n > opts.max) return fail(`${what} must be at most ${opts.max} (got ${String(input)})`);
  return ok(n);
}

/** Significant digits that read well in a table: 3 for most, none after the point for big numbers. */
function short(n: number): string {
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1).replace(/\.0$/, '');
  if (abs >= 1) return n.toFixed(2).replace(/\.?0+$/, '');
  return n.toPrecision(2).replace(/\.?0+$/, '');
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 60_000) return `${short(ms / 60_000)} min`;
  if (ms >= 1000) return `${short(ms / 1000)} s`;
  if (ms > 0 && ms < 1) return `${short(ms * 1000)} µs`;
  return `${short(ms)} ms`;
}

export function formatBitRate(bps: number): string {
  if (!Number.isFinite(bps)) return '–';
  if (bps >= 1e9) return `${short(bps / 1e9)} Gbit/s`;
  if (bps >= 1e6) return `${short(bps / 1e6)} Mbit/s`;
  if (bps >= 1e3) return `${short(bps / 1e3)} kbit/s`;
  return `${short(bps)} bit/s`;
}

/** Decimal units, except exact multiples of 1 KiB / 1 MiB (as queues and chunks usually are): 64 KiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0 && bytes < 1024 ** 2) return `${bytes / 1024} KiB`;
  if (bytes >= 1e9) return `${short(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${short(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${short(bytes / 1e3)} kB`;
  return `${bytes} B`;
}

export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return `${short(p * 100)}%`;
}
