// docs/client.md's `--json` tables against the client's own event type: every event type the client can
// write (`JsonEvent` in src/client/render.ts, read with the TypeScript compiler, so a new event or field
// cannot be added without its row) has a row, every field of it is named in that row, and every row
// names an event that exists.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const RENDER = fileURLToPath(new URL('../../src/client/render.ts', import.meta.url));
const DOC = readFileSync(new URL('../../docs/client.md', import.meta.url), 'utf8');

/** Event type → its field names, from the `JsonEvent` union (a member whose `type` is a union counts for each). */
function eventFields(): Map<string, Set<string>> {
  const program = ts.createProgram([RENDER], { strict: true, noEmit: true, allowImportingTsExtensions: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(RENDER);
  if (source === undefined) throw new Error('render.ts not found');
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'JsonEvent');
  if (alias === undefined) throw new Error('no JsonEvent type in render.ts');
  const union = checker.getTypeAtLocation(alias.name);
  const members = union.isUnion() ? union.types : [union];
  const out = new Map<string, Set<string>>();
  for (const member of members) {
    const typeProp = member.getProperty('type');
    if (typeProp === undefined) throw new Error(`a JsonEvent member without a type: ${checker.typeToString(member)}`);
    const typeType = checker.getTypeOfSymbol(typeProp);
    const literals = (typeType.isUnion() ? typeType.types : [typeType]).map((t) => (t.isStringLiteral() ? t.value : undefined));
    const fields = member.getProperties().map((p) => p.name).filter((n) => n !== 'type');
    for (const literal of literals) {
      if (literal === undefined) throw new Error(`a JsonEvent type that is not a string literal: ${checker.typeToString(typeType)}`);
      const known = out.get(literal) ?? new Set<string>();
      for (const f of fields) known.add(f);
      out.set(literal, known);
    }
  }
  return out;
}

/** The rows of the tables under "## `--json` events": the types a row names, and its fields cell. */
function docRows(): Array<{ types: string[]; fields: string }> {
  const start = DOC.indexOf('## `--json` events');
  if (start < 0) throw new Error('docs/client.md has no "## `--json` events" section');
  const end = DOC.indexOf('\n## ', start + 1);
  const section = DOC.slice(start, end < 0 ? undefined : end);
  const rows: Array<{ types: string[]; fields: string }> = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // `| type | fields | …`: skip the header and the rule.
    if (cells.length < 4 || cells[1] === '`type`' || /^-+$/.test(cells[1] ?? '')) continue;
    const types = [...(cells[1] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!);
    if (types.length > 0) rows.push({ types, fields: cells[2] ?? '' });
  }
  return rows;
}

describe('docs/client.md, the --json events', () => {
  const events = eventFields();
  const rows = docRows();

  it('reads the event type (a sanity check of the reading itself)', () => {
    expect(events.get('message')).toEqual(new Set(['from', 'room', 'text', 'ts', 'self', 'transport']));
    expect([...events.keys()]).toEqual(expect.arrayContaining(['download', 'upload', 'send', 'receive', 'outbox', 'transport']));
    expect(rows.length).toBeGreaterThan(20);
  });

  it('has a row for every event the client writes, naming each of its fields', () => {
    for (const [type, fields] of events) {
      const row = rows.find((r) => r.types.includes(type));
      expect(row, `no row for the ${type} event`).toBeDefined();
      for (const field of fields) {
        expect(row!.fields, `the ${type} row does not name its field ${field}`).toMatch(new RegExp(`\`${field}(?=[\`:])`));
      }
    }
  });

  it('names no event the client does not write', () => {
    for (const row of rows) for (const type of row.types) expect(events.has(type), `${type} is documented but never written`).toBe(true);
  });
});
