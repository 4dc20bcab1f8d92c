// Sizes for people: `512 B`, `3.0 MiB`, `1.5 GiB`, and a progress line's percentage. Pure. The one
// size format of the server's and the client's words (listings, progress, limits, errors): binary
// multiples, as the limits are set (the ancestors' "3 MB" limit is 3 × 1024 × 1024 bytes), named as
// such, so a file listed as 20.0 MiB downloads as 20.0 MiB.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `0 B`, `1023 B`, `1.0 KiB`, `3.0 MiB` (1 KiB = 1024 B). */
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
