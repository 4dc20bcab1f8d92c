// The command-line flags of the micro benchmarks (`--name value`), one reader for all of them.
import path from 'node:path';

/** `--name N`: a positive whole number, or `fallback` when the flag is absent. */
export function countFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

/** `--name DIR`: a path made absolute, or undefined when the flag is absent. */
export function pathFlag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined) throw new Error(`--${name} takes a path`);
  return path.resolve(value);
}
