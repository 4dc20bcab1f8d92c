// Result tables: what a suite reports, rendered as aligned text for the terminal or as Markdown for
// docs/benchmarks.md. Cells are already formatted strings; columns say how to align them.

export type Align = 'left' | 'right';

export interface Column {
  label: string;
  /** Default: the first column left, the others right (numbers). */
  align?: Align;
}

export interface ResultTable {
  title: string;
  columns: Column[];
  rows: string[][];
  /** Lines printed under the table: units, goals met or not, caveats. */
  notes?: string[];
}

function alignOf(columns: readonly Column[], i: number): Align {
  return columns[i]?.align ?? (i === 0 ? 'left' : 'right');
}

/** Display width: code points, so "×", "±" and "–" count as one. */
function width(text: string): number {
  return [...text].length;
}

/** Aligned text, two spaces between columns, a rule under the header. */
export function formatTable(table: ResultTable, indent = '  '): string {
  const header = table.columns.map((c) => c.label);
  const all = [header, ...table.rows];
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, width(cell))));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(cell)));
        return alignOf(table.columns, i) === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [table.title, `${indent}${line(header)}`, `${indent}${widths.map((w) => '─'.repeat(w)).join('  ')}`];
  for (const row of table.rows) out.push(`${indent}${line(row)}`);
  for (const note of table.notes ?? []) out.push(`${indent}${note}`);
  return out.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A GitHub-flavoured Markdown table, with the title as bold text above and the notes below. */
export function markdownTable(table: ResultTable): string {
  const head = `| ${table.columns.map((c) => escapeCell(c.label)).join(' | ')} |`;
  const rule = `| ${table.columns.map((_, i) => (alignOf(table.columns, i) === 'right' ? '---:' : ':---')).join(' | ')} |`;
  const body = table.rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`);
  const notes = (table.notes ?? []).map((n) => `\n${n}`);
  return [`**${table.title}**`, '', head, rule, ...body, ...notes].join('\n');
}
