// The top entries of a V8 CPU profile (`node --cpu-prof`'s .cpuprofile) by self time: where the
// process's CPU went, function by function (name, file:line), with each one's share of the samples.
// `--skip S` leaves out the first S seconds (a process's start: module loading and transpiling), so
// the figures are those of the workload.
//
//   node --import tsx bench/micro/cpu-profile-top.ts FILE.cpuprofile [--top 30] [--skip 0]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  /** Node id of each sample, in time order, and the µs before each. */
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: cpu-profile-top.ts FILE.cpuprofile [--top N]');
const topAt = process.argv.indexOf('--top');
const top = topAt < 0 ? 30 : Number(process.argv[topAt + 1]);
const skipAt = process.argv.indexOf('--skip');
const skipUs = skipAt < 0 ? 0 : Number(process.argv[skipAt + 1]) * 1e6;

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const keyOf = new Map<number, string>();
for (const node of profile.nodes) {
  const f = node.callFrame;
  const where = f.url === '' ? '' : ` ${path.basename(f.url)}:${f.lineNumber + 1}`;
  keyOf.set(node.id, `${f.functionName === '' ? '(anonymous)' : f.functionName}${where}`);
}
const selfHits = new Map<string, number>();
let total = 0;
let t = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < skipUs) continue;
  const key = keyOf.get(profile.samples[i]!) ?? '(unknown)';
  total++;
  selfHits.set(key, (selfHits.get(key) ?? 0) + 1);
}
const busy = total - [...selfHits].filter(([k]) => k.startsWith('(idle)')).reduce((sum, [, h]) => sum + h, 0);
console.log(`${path.basename(file)}: ${total} samples over ${((profile.endTime - profile.startTime - skipUs) / 1e6).toFixed(1)} s (the first ${skipUs / 1e6} s left out), ${busy} not idle`);
for (const [key, hits] of [...selfHits].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * hits) / busy).toFixed(1).padStart(5)} %  ${key}`);
}
