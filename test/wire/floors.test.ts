// The floors of the data path, checked on the source itself: src/wire/ at the bottom imports nothing of
// ours; src/sim/ stands on src/wire/ and src/reliability/ and never on src/udp/ (the proxy in udp uses
// the simulator's link model, so an import the other way would be a cycle); src/dataplane/ (the
// data-plane machine) stands on src/wire/, src/reliability/ and the command types, under the UDP and
// server shells that drive it. All stay pure: no sockets, no files, no clock, no Math.random, no timers.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Every .ts file under src/`folder` (recursively), as paths relative to src/. */
function sources(folder: string): string[] {
  return readdirSync(path.join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(folder, f));
}

/** What a file imports: src/-relative paths for our modules, the bare specifier for packages. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
    const spec = m[1] as string;
    out.push(spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), spec)) : spec);
  }
  return out;
}

/** The code without its comments (so a comment saying "no Math.random" is not a use of it). */
function codeOf(file: string): string {
  return readFileSync(path.join(SRC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

const IMPURE = /\b(?:Date\.now|performance\.now|Math\.random|setTimeout|setInterval|setImmediate)\b/;
const IO_MODULES = new Set(['node:net', 'net', 'node:dgram', 'dgram', 'node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'node:child_process']);

describe('floors of the data path', () => {
  it('src/wire/ imports nothing of ours outside itself', () => {
    const files = sources('wire');
    expect(files.length).toBeGreaterThan(0);
    const outside = files.flatMap((f) => importsOf(f).filter((i) => i.includes('/') && !i.startsWith('wire/') && !i.startsWith('node:')).map((i) => `${f} -> ${i}`));
    expect(outside).toEqual([]);
  });

  it('src/sim/ imports only itself, src/wire/ and src/reliability/ (never src/udp/)', () => {
    const files = sources('sim');
    expect(files.length).toBeGreaterThan(0);
    const ours = (i: string) => !i.startsWith('node:') && i.endsWith('.ts');
    const wrong = files.flatMap((f) =>
      importsOf(f)
        .filter((i) => ours(i) && !['sim/', 'wire/', 'reliability/'].some((floor) => i.startsWith(floor)))
        .map((i) => `${f} -> ${i}`),
    );
    expect(wrong).toEqual([]);
  });

  it('src/dataplane/ imports only itself, src/wire/, src/reliability/ and src/commands/types.ts (no node: module, node:crypto included)', () => {
    const files = sources('dataplane');
    expect(files.length).toBeGreaterThan(0);
    const allowed = (i: string) => ['dataplane/', 'wire/', 'reliability/'].some((floor) => i.startsWith(floor)) || i === 'commands/types.ts';
    const wrong = files.flatMap((f) => importsOf(f).filter((i) => !allowed(i)).map((i) => `${f} -> ${i}`));
    expect(wrong).toEqual([]);
  });

  it('src/wire/, src/sim/ and src/dataplane/ stay pure: no sockets, files, clock, randomness or timers', () => {
    const files = [...sources('wire'), ...sources('sim'), ...sources('dataplane')];
    const impure = files.flatMap((f) => [
      ...importsOf(f).filter((i) => IO_MODULES.has(i)).map((i) => `${f} imports ${i}`),
      ...(IMPURE.test(codeOf(f)) ? [`${f}: ${IMPURE.exec(codeOf(f))?.[0]}`] : []),
    ]);
    expect(impure).toEqual([]);
  });
});
