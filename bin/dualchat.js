#!/usr/bin/env node
// Entry of the `dualchat` command: runs the compiled JavaScript in dist/ (built from src/ by
// `npm install` through the `prepare` script, or by `npm run build`). Plain JavaScript with no
// dependency, so it can tell the user what to run when dist/ cannot be used — one line, no stack trace:
// - dist/ missing (installed with --ignore-scripts, or deleted);
// - dist/ older than src/ in a checkout (a `git pull` or an edit since the last build): a file of src/
//   whose compiled output is missing or older than it. An installed package ships no src/: no check;
// - a package missing from node_modules (`npm install` not run, or interrupted).
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ENTRY = new URL('../dist/cli.js', import.meta.url);
const BUILD = 'run `npm run build` (or `npm install`)';

/** mtime in ms, or undefined when the file does not exist. */
function modifiedAt(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs;
}

/** Paths of the .ts files under `dir`, relative to it (`server/server.ts`); [] when `dir` does not exist. */
function sourcesUnder(dir) {
  const found = [];
  const pending = [''];
  while (pending.length > 0) {
    const sub = pending.pop();
    let entries;
    try {
      entries = readdirSync(`${dir}${sub}`, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) pending.push(`${sub}${entry.name}/`);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(`${sub}${entry.name}`);
    }
  }
  return found;
}

/** The first file of src/ whose output in dist/ is missing or older than it; undefined when all are current. */
function staleSource() {
  for (const name of sourcesUnder(`${ROOT}src/`)) {
    const source = modifiedAt(`${ROOT}src/${name}`);
    const built = modifiedAt(`${ROOT}dist/${name.slice(0, -'.ts'.length)}.js`);
    if (source !== undefined && (built === undefined || built < source)) return name;
  }
  return undefined;
}

function refuse(message) {
  process.stderr.write(`dualchat: ${message}\n`);
  process.exit(1);
}

if (modifiedAt(fileURLToPath(ENTRY)) === undefined) refuse(`dist/ is missing (the compiled program): ${BUILD}`);
const stale = staleSource();
if (stale !== undefined) refuse(`dist/ is older than src/${stale}: ${BUILD}`);

try {
  await import(ENTRY.href);
} catch (error) {
  // A package of ours missing from node_modules. Other errors keep their stack: they are bugs.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/Cannot find package/.test(error.message)) throw error;
  refuse(`${error.message.split('\n')[0]}: run \`npm install\``);
}
