// Sizes for people: `512 B`, `3.0 MB`, `1.5 GB` (binary multiples, as the limits are set), and a
// progress line's percentage. Pure.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** `0 B`, `1023 B`, `1.0 KB`, `3.0 MB` (1 KB = 1024 B, as the ancestors counted the 3 MB limit). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit] ?? 'B'}`;
}

/** Whole percent done, 0–100 (a 0-byte file is 100 % done once it is done). */
export function percentDone(done: number, size: number): number {
  if (size <= 0) return done >= size ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((done / size) * 100)));
}
