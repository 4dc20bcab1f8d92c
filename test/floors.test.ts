// The floors of the house, checked on the source itself: every import between folders of src/ is one
// the table below allows (docs/architecture.md shows the same table, and this test holds the two
// together), the table has no cycle, and the pure cores stay pure — no sockets, no files, no clock, no
// Math.random, no timers.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');
const ARCHITECTURE = path.resolve(import.meta.dirname, '../docs/architecture.md');

/** Folder → the folders of src/ it may import (besides itself). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  wire: [],
  reliability: [],
  commands: [],
  chat: ['commands'],
  sim: ['reliability', 'wire'],
  dataplane: ['commands', 'reliability', 'wire'],
  tcp: ['commands'],
  files: ['commands', 'wire'],
  doors: ['chat', 'commands', 'tcp'],
  udp: ['commands', 'dataplane', 'reliability', 'sim', 'wire'],
  store: ['chat'],
  cluster: ['chat', 'commands'],
  server: ['chat', 'cluster', 'commands', 'dataplane', 'doors', 'files', 'reliability', 'store', 'tcp', 'udp', 'wire'],
  client: ['chat', 'commands', 'dataplane', 'files', 'tcp', 'udp'],
  cli: ['chat', 'client', 'cluster', 'commands', 'files', 'server', 'sim', 'store', 'udp'],
};

/**
 * Imports narrower than a whole folder: the data plane takes only the command language's types; the
 * client only the hub's rate bucket (it paces its lines by a copy of it).
 */
const ONLY_FILES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  dataplane: { commands: ['commands/types.ts'] },
  client: { chat: ['chat/rate-limit.ts'] },
};

const PURE = ['wire', 'reliability', 'commands', 'chat', 'sim', 'dataplane', 'doors'];

const IMPURE = /\b(?:Date\.now|performance\.now|Math\.random|setTimeout|setInterval|setImmediate)\b/;
const IO_MODULES = new Set(['node:net', 'net', 'node:dgram', 'dgram', 'node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'node:child_process', 'node:crypto', 'crypto']);

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
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)) {
    const spec = (m[1] ?? m[2]) as string;
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

const folderOf = (file: string): string => file.split(path.sep)[0] ?? '';

describe('floors', () => {
  it('every folder of src/ is in the table', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(folders).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('every import between folders is one the table allows', () => {
    const wrong: string[] = [];
    for (const folder of Object.keys(MAY_IMPORT)) {
      for (const file of sources(folder)) {
        for (const target of importsOf(file).filter((i) => i.endsWith('.ts'))) {
          const to = folderOf(target);
          if (to === folder) continue;
          const narrow = ONLY_FILES[folder]?.[to];
          const ok = MAY_IMPORT[folder]?.includes(to) === true && (narrow === undefined || narrow.includes(target));
          if (!ok) wrong.push(`${file} -> ${target}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the table has no cycle: the folders stand in floors', () => {
    const placed = new Set<string>();
    // Bounded: each pass places at least one folder, or the rest form a cycle.
    for (let pass = 0; pass < Object.keys(MAY_IMPORT).length; pass++) {
      for (const [folder, below] of Object.entries(MAY_IMPORT)) if (below.every((b) => placed.has(b))) placed.add(folder);
    }
    expect(Object.keys(MAY_IMPORT).filter((f) => !placed.has(f))).toEqual([]);
  });

  it('docs/architecture.md shows the same table', () => {
    const doc = readFileSync(ARCHITECTURE, 'utf8');
    for (const [folder, below] of Object.entries(MAY_IMPORT)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`src/${folder}/\` |`));
      expect(row, `a row for src/${folder}/`).toBeDefined();
      const cells = (row ?? '').split(' | ');
      const mayImport = cells[cells.length - 1] ?? '';
      const shown = [...mayImport.matchAll(/`src\/([a-z]+)\/`/g)].map((m) => m[1]).sort();
      expect(shown, `src/${folder}/ may import`).toEqual([...below].sort());
    }
  });

  it('the pure cores stay pure: no sockets, files, crypto, clock, randomness or timers', () => {
    const impure = PURE.flatMap((folder) =>
      sources(folder).flatMap((f) => [
        ...importsOf(f).filter((i) => IO_MODULES.has(i)).map((i) => `${f} imports ${i}`),
        ...(IMPURE.test(codeOf(f)) ? [`${f}: ${IMPURE.exec(codeOf(f))?.[0]}`] : []),
      ]),
    );
    expect(impure).toEqual([]);
  });
});
