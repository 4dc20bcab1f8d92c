// docs/protocol.md must describe what the code does: every verb, every reply, every error code
// with the same meaning as src/commands/error-codes.ts, and the headings other sections hang on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_MEANINGS, LEAVE_REASON_MEANINGS } from '../../src/commands/error-codes.ts';
import { KNOWN_VERBS, formatReply, parseCommand, parseReply } from '../../src/commands/grammar.ts';
import { ABORT_CODE_MEANINGS, FILE_REPLY_VERBS, parseTransferCommand, TRANSFER_VERBS } from '../../src/commands/transfer-syntax.ts';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The text of the doc from `heading` up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) return '';
  const level = /^#+/.exec(heading)?.[0] ?? '##';
  const rest = doc.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

describe('docs/protocol.md', () => {
  it('names every command verb', () => {
    for (const verb of KNOWN_VERBS) expect(doc, verb).toContain(`\`${verb}\``);
  });

  it('documents every error code with the meaning the code gives it', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODE_MEANINGS)) {
      const row = section('## Error codes')
        .split('\n')
        .find((l) => l.startsWith(`| \`${code}\` | `));
      expect(row, code).toBeDefined();
      // Backticks in the doc mark code; the meanings in the source are plain.
      expect(row?.replace(/`/g, ''), code).toContain(meaning);
      expect(doc).toContain(`%s"${code}"`);
    }
    for (const reason of Object.keys(LEAVE_REASON_MEANINGS)) expect(doc).toContain(`%s"${reason}"`);
  });

  it('documents every abort code with its meaning, and every file reply and transfer command', () => {
    for (const [code, meaning] of Object.entries(ABORT_CODE_MEANINGS)) {
      const row = section('## File transfers')
        .split('\n')
        .find((l) => l.startsWith(`| \`${code}\` | `));
      expect(row, code).toBeDefined();
      expect(row?.replace(/`/g, ''), code).toContain(meaning);
      expect(doc).toContain(`%s"${code}"`);
    }
    for (const verb of [...TRANSFER_VERBS, ...FILE_REPLY_VERBS]) expect(section('## File transfers'), verb).toContain(`\`<${verb}>`);
    // Every example in the file-transfer tables parses.
    for (const row of section('## File transfers').split('\n').filter((l) => /^\| `<[a-z]+>/.test(l))) {
      const example = /\| `([^`]+)` \|$/.exec(row)?.[1] ?? '';
      const parsed = parseTransferCommand(example) ?? parseReply(example);
      expect(parsed.ok, row).toBe(true);
    }
  });

  it('has a wire form for every reply kind', () => {
    const kinds = ['welcome', 'message', 'private', 'users', 'rooms', 'files', 'joined', 'left', 'error', 'system', 'disconnected'];
    for (const kind of kinds) expect(doc, kind).toContain(`\`<${kind}>`);
    expect(doc).toContain(formatReply({ kind: 'users', users: [{ name: 'alice', room: 'lobby' }, { name: 'bob', room: 'games' }] }));
  });

  it('every command example in the commands table parses', () => {
    const rows = (section('## Commands (client → server)').split('\n### ')[0] ?? '')
      .split('\n')
      .filter((l) => /^\| `<[a-z_]+>/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) {
      const example = /\| `([^`]+)` \|$/.exec(row)?.[1];
      expect(example, row).toBeDefined();
      expect(parseCommand(example ?? '').ok, row).toBe(true);
    }
  });

  it('keeps the headings the other sections are written under', () => {
    expect(doc).toContain('\n## Framing on TCP\n');
    expect(doc).toContain('\n## Engine packets\n');
    expect(doc).toContain('\n## Datagrams, binding and fallback\n');
  });
});
