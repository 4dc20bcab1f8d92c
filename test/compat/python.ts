// Running the stdlib Python client (python_chat_client.py) from tests.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python_chat_client.py');
export const hasPython = spawnSync('python3', ['--version']).status === 0;

/** A describe title that says plainly when and why the suite is skipped. */
export function pythonSuiteTitle(what: string): string {
  return hasPython ? `${what} (python3)` : `${what} — SKIPPED: python3 is not installed`;
}

/** What the Python client prints: its steps' outcome, what it sent and every line it received. */
export interface PythonRecord {
  ok: boolean;
  error: string | null;
  sent: string[];
  received: string[];
}

export function runPython(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python client did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}


/** Runs the client to the end and returns its record, with the received lines parsed as replies. */
export async function runPythonSteps(args: string[], timeoutMs: number): Promise<PythonRecord & { code: number | null; replies: Reply[] }> {
  const result = await runPython(args, timeoutMs);
  let record: PythonRecord;
  try {
    record = JSON.parse(result.stdout) as PythonRecord;
  } catch {
    throw new Error(`the python client printed no record (exit ${String(result.code)}); stderr: ${result.stderr}`);
  }
  const replies = record.received.map((line) => {
    const parsed = parseReply(line);
    if (!parsed.ok) throw new Error(`unparsable line from the server: ${line}`);
    return parsed.value;
  });
  return { ...record, code: result.code, replies };
}

export function repliesOfKind<K extends Reply['kind']>(replies: Reply[], kind: K): Array<Extract<Reply, { kind: K }>> {
  return replies.filter((r): r is Extract<Reply, { kind: K }> => r.kind === kind);
}
