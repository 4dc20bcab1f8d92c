// `npm test`'s first step in one compiler pass instead of two: type-checks everything tsconfig.json
// covers (src, test, bench) — what `tsc --noEmit` does — and writes src/'s JavaScript to dist/ with
// tsconfig.build.json's options — what `npm run build` does, file for file — so the tests that start
// bin/dualchat.js run the sources they test. Type errors are printed and fail the step (after writing
// dist/, as tsc does). Run by `npm test`: node --import tsx scripts/check-and-build.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Every file to type-check, and the options shared by all of them. */
const CHECK_CONFIG = path.join(ROOT, 'tsconfig.json');
/** The emit options of the real build (outDir dist/, rootDir src/, .ts → .js imports). */
const BUILD_CONFIG = path.join(ROOT, 'tsconfig.build.json');

function readConfig(file: string): ts.ParsedCommandLine {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail([diagnostic]),
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(file, undefined, host);
  if (parsed === undefined) return fail([]);
  if (parsed.errors.length > 0) fail(parsed.errors);
  return parsed;
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => '\n',
};

function report(diagnostics: readonly ts.Diagnostic[]): void {
  if (diagnostics.length === 0) return;
  const format = process.stdout.isTTY === true ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, formatHost));
}

function fail(diagnostics: readonly ts.Diagnostic[]): never {
  report(diagnostics);
  process.exit(1);
}

const check = readConfig(CHECK_CONFIG);
const build = readConfig(BUILD_CONFIG);
const sourceDir = build.options.rootDir;
const outDir = build.options.outDir;
if (sourceDir === undefined || outDir === undefined) throw new Error(`${BUILD_CONFIG} must set rootDir and outDir`);

// The build's options over every checked file. test/ and bench/ lie outside the build's rootDir, so the
// program's root is the repository and src/x.ts is emitted as dist/src/x.js: written as dist/x.js.
const program = ts.createProgram(check.fileNames, { ...build.options, rootDir: ROOT });
const emittedRoot = path.join(outDir, path.relative(ROOT, sourceDir));
const writeFile: ts.WriteFileCallback = (fileName, text) => {
  const relative = path.relative(emittedRoot, fileName);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`unexpected output ${fileName}`);
  const target = path.join(outDir, relative);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
};

const diagnostics = [...ts.getPreEmitDiagnostics(program)];
let emitted = 0;
for (const file of program.getSourceFiles()) {
  if (file.isDeclarationFile || path.relative(sourceDir, file.fileName).startsWith('..')) continue;
  diagnostics.push(...program.emit(file, writeFile).diagnostics);
  emitted += 1;
}
const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
if (errors > 0) fail(diagnostics);
report(diagnostics);
process.stdout.write(`type-checked ${check.fileNames.length} files; built ${emitted} into ${path.relative(process.cwd(), outDir) || '.'}/\n`);
