// The command-line flags of the scripts under bench/micro/ (run directly with tsx, outside the suite
// harness and its own parsing): a positive whole number after `--NAME`, and a directory after `--NAME`.
import path from 'node:path';

/** The positive whole number after `--name`, or `fallback` when the flag is absent. */
export function countFlag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

/** The directory after `--name`, resolved, or undefined when the flag is absent. */
export function dirFlag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : path.resolve(process.argv[at + 1] ?? '.');
}
