// `dualchat simulate` as a user runs it: a child process, its output and its exit status.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/dualchat.js', import.meta.url).pathname;
const CHILD_TIMEOUT_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'dualchat-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function simulate(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'simulate', ...args], { timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A deep copy without any `wall` field: what must be identical between identical runs. */
function withoutWall(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWall);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'wall').map(([k, v]) => [k, withoutWall(v)]));
  }
  return value;
}

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), obj);
}

describe('dualchat simulate', () => {
  it('--json prints one object with the documented fields, identical across runs but for `wall`', async () => {
    const args = ['--json', '--messages', '150', '--loss', '0.1', '--burst', '3', '--delay', '20ms', '--jitter', '5ms', '--dup', '0.01', '--reorder', '0.05', '--corrupt', '0.001', '--rate', '10mbit', '--seed', '9'];
    const [a, b] = await Promise.all([simulate(...args), simulate(...args)]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const report = JSON.parse(a.stdout) as unknown;
    for (const path of [
      'messages.sent',
      'messages.delivered',
      'messages.duplicated',
      'messages.outOfOrder',
      'messages.corrupted',
      'datagrams.sent',
      'datagrams.acks',
      'retransmissions.timeout',
      'retransmissions.fast',
      'retransmissions.spurious',
      'latency.p50',
      'latency.p90',
      'latency.p99',
      'latency.max',
      'goodput',
      'virtualDurationMs',
      'wall.ms',
    ]) {
      expect(typeof at(report, path), path).toBe('number');
    }
    expect(at(report, 'messages.delivered')).toBe(150);
    expect(at(report, 'messages.duplicated')).toBe(0);
    expect(at(report, 'ok')).toBe(true);
    expect(withoutWall(JSON.parse(b.stdout))).toEqual(withoutWall(report));
    // A different seed is a different run.
    const c = await simulate(...args.slice(0, -1), '10');
    expect(withoutWall(JSON.parse(c.stdout))).not.toEqual(withoutWall(report));
  });

  it('a sweep prints {runs: [...]} and writes an SVG chart', async () => {
    const svg = join(dir, 'sweep.svg');
    const r = await simulate('--json', '--messages', '60', '--delay', '10ms', '--sweep', 'loss=0,0.1,0.3', '--plot', svg);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runs: Array<{ parameters: Record<string, string>; ok: boolean; messages: { delivered: number } }>; ok: boolean };
    expect(out.ok).toBe(true);
    expect(out.runs.map((run) => run.parameters)).toEqual([{ loss: '0' }, { loss: '0.1' }, { loss: '0.3' }]);
    expect(out.runs.every((run) => run.messages.delivered === 60)).toBe(true);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    expect(text).toContain('latency');
    expect(text).toContain('transmissions per fresh byte'); // chat alone: no goodput panel (it is the workload's rate)
    expect(text).not.toContain('Goodput');
  });

  it('prints a readable table and plots a single run over time', async () => {
    const svg = join(dir, 'run.svg');
    const r = await simulate('--scenario', 'partition', '--plot', svg);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^partition — seed 4/);
    expect(r.stdout).toMatch(/messages\s+expected\s+delivered\s+duplicated\s+out of order\s+corrupted\s+refused/);
    expect(r.stdout).toMatch(/PASS every message delivered exactly once, in order, intact/);
    expect(r.stdout).not.toContain('\u001b['); // no colours when not a terminal
    expect(readFileSync(svg, 'utf8').startsWith('<svg')).toBe(true);
  });

  it('exits 1 when a run fails to deliver, saying why', async () => {
    const r = await simulate('--scenario', 'outage', '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; status: string; lost: Array<{ role: string }>; problems: string[] };
    expect(report.ok).toBe(false);
    expect(report.status).toBe('lost');
    expect(report.lost.map((l) => l.role).sort()).toEqual(['receiver', 'sender']);
  });

  it('exits 2 with a clear message for bad flags and bad scenarios', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ link: { loss: 1.5 }, phases: [{ at: 'soon', link: { partition: true } }] }));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "link": ');
    const [flag, rate, scenario, json, missing, sweep] = await Promise.all([
      simulate('--loss', '2'),
      simulate('--rate', '10mbps'),
      simulate('--scenario', bad),
      simulate('--scenario', broken),
      simulate('--scenario', join(dir, 'nope.json')),
      simulate('--sweep', 'colour=1,2'),
    ]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--loss: loss must be between 0 and 1/);
    expect(rate.stderr).toMatch(/--rate: .*ambiguous/);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toMatch(/link\.loss: loss must be between 0 and 1/);
    expect(scenario.stderr).toMatch(/phases\[0\]\.at: at: cannot read "soon"/);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/not valid JSON/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file.*shipped scenarios: .*partition/);
    expect(sweep.stderr).toMatch(/cannot sweep "colour"/);
    for (const r of [flag, rate, scenario, json, missing, sweep]) expect(r.stdout).toBe('');
  });

  it('--list-scenarios names the shipped scenarios', async () => {
    const r = await simulate('--list-scenarios');
    expect(r.code).toBe(0);
    for (const name of ['lan', 'mobile', 'wifi', 'partition', 'squeeze']) expect(r.stdout).toMatch(new RegExp(`^${name}\\s+\\S`, 'm'));
  });
});
