// The shipped scenarios, run as `dualchat simulate --scenario NAME` would: each passes, except
// `outage`, which shows the dead-peer limit and must end with both ends reporting the peer lost.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultEngineFactory } from '../../src/sim/engine.ts';
import { buildReport } from '../../src/sim/report.ts';
import { runSimulation } from '../../src/sim/runner.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const dir = new URL('../../scenarios/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('shipped scenarios', () => {
  it.each(files)('%s', (file) => {
    const parsed = parseScenario(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const report = buildReport(parsed.spec, runSimulation(parsed.spec, defaultEngineFactory));
    if (file === 'outage.json') {
      expect(report.status).toBe('lost');
      expect(report.lost.map((l) => l.role).sort()).toEqual(['receiver', 'sender']);
      expect(report.messages.duplicated + report.messages.outOfOrder + report.messages.corrupted).toBe(0);
    } else {
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    }
  });
});
