// bin/dualchat.js as a user meets it: it runs the compiled dist/cli.js, and when dist/ cannot be used
// (missing, older than src/, a package missing from node_modules) it says what to run in one line and
// exits 1 instead of a stack trace. Each case runs a copy of the real bin in a temporary tree, with a
// dist/cli.js of a few lines that reports how it was started.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
const CHILD_TIMEOUT_MS = 20_000;
/** Source times well before the build's (mtime in seconds since the epoch). */
const SOURCE_TIME_S = 1_700_000_000;
const BUILD_TIME_S = SOURCE_TIME_S + 60;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A checkout-like tree: bin/dualchat.js (the real one), and the given files with their mtimes. */
function tree(files: Record<string, { text: string; mtimeS: number }>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dualchat-bin-'));
  trees.push(root);
  mkdirSync(path.join(root, 'bin'));
  copyFileSync(BIN, path.join(root, 'bin', 'dualchat.js'));
  for (const [name, { text, mtimeS }] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    utimesSync(file, mtimeS, mtimeS);
  }
  return root;
}

function run(root: string, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'dualchat.js'), ...args], { timeout: CHILD_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const CLI_REPORTS = { text: "process.stdout.write(`ran ${process.argv.slice(2).join(' ')}\\n`);\n", mtimeS: BUILD_TIME_S };
const source = (mtimeS = SOURCE_TIME_S) => ({ text: 'export {};\n', mtimeS });
const built = (mtimeS = BUILD_TIME_S) => ({ text: 'export {};\n', mtimeS });

/** One line on stderr naming `what`, nothing on stdout, exit status 1. */
function expectRefusal(result: Result, what: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(what);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('bin/dualchat.js', () => {
  it('runs dist/cli.js with the arguments when every output is newer than its source', async () => {
    const root = tree({
      'dist/cli.js': CLI_REPORTS,
      'dist/server/server.js': built(),
      'src/cli.ts': source(),
      'src/server/server.ts': source(),
      'src/types.d.ts': source(BUILD_TIME_S + 60), // a declaration file has no output: never stale
    });
    expect(await run(root, 'server', '--help')).toEqual({ code: 0, stdout: 'ran server --help\n', stderr: '' });
  });

  it('runs dist/cli.js without any check when there is no src/ (an installed package)', async () => {
    const root = tree({ 'dist/cli.js': CLI_REPORTS });
    expect(await run(root, '--version')).toEqual({ code: 0, stdout: 'ran --version\n', stderr: '' });
  });

  it('says to build when dist/ is missing', async () => {
    const root = tree({ 'src/cli.ts': source() });
    expectRefusal(await run(root, '--help'), /^dualchat: dist\/ is missing .*run `npm run build` \(or `npm install`\)$/m);
  });

  it('names the source file that changed since the build, in a subfolder too', async () => {
    const root = tree({
      'dist/cli.js': CLI_REPORTS,
      'dist/server/server.js': built(),
      'src/cli.ts': source(),
      'src/server/server.ts': source(BUILD_TIME_S + 1),
    });
    expectRefusal(await run(root, 'server'), /^dualchat: dist\/ is older than src\/server\/server\.ts: run `npm run build`/m);
  });

  it('names a source file that has no output yet (added since the build)', async () => {
    const root = tree({ 'dist/cli.js': CLI_REPORTS, 'src/cli.ts': source(), 'src/chat/new-module.ts': source() });
    expectRefusal(await run(root, 'client'), /^dualchat: dist\/ is older than src\/chat\/new-module\.ts: /m);
  });

  it('says to install when a package is missing from node_modules', async () => {
    const root = tree({ 'dist/cli.js': { text: "import 'dualchat-test-package-that-is-not-installed';\n", mtimeS: BUILD_TIME_S } });
    expectRefusal(await run(root), /^dualchat: Cannot find package 'dualchat-test-package-that-is-not-installed'.*: run `npm install`$/m);
  });

  it('keeps the stack trace of any other error (a bug, not a setup problem)', async () => {
    const root = tree({ 'dist/cli.js': { text: "throw new Error('boom');\n", mtimeS: BUILD_TIME_S } });
    const result = await run(root);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Error: boom\n\s+at /);
  });
});
