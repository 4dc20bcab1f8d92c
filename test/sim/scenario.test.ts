import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_BYTES } from '../../src/sim/constants.ts';
import { parseScenario, type ScenarioResult, type SimulationSpec } from '../../src/sim/scenario.ts';

function ok(r: ScenarioResult): SimulationSpec {
  if (!r.ok) throw new Error(`expected a valid scenario: ${r.errors.join('; ')}`);
  return r.spec;
}
function errors(r: ScenarioResult): string[] {
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('parseScenario', () => {
  it('reads every field, with units, per-direction overrides and phases', () => {
    const spec = ok(
      parseScenario({
        name: 'test',
        description: 'd',
        seed: 9,
        link: { delay: '20ms', jitter: '2ms', loss: '5%', burst: 3, rate: '10mbit', queue: '64kib' },
        forward: { dup: 0.01 },
        reverse: { rate: 'none' },
        workload: { messages: 10, size: '1kb', rate: 5, file: '2mb', chunk: '8kib' },
        phases: [
          { at: '8s', link: { partition: false } },
          { at: '5s', link: { partition: true }, reverse: { delay: '1s' } },
        ],
        limits: { duration: '2min', events: 1000 },
        engine: { idleTimeoutMs: 5000 },
      }),
    );
    expect(spec.name).toBe('test');
    expect(spec.seed).toBe(9);
    expect(spec.forward).toEqual({
      loss: 0.05,
      burst: 3,
      delayMs: 20,
      jitterMs: 2,
      dup: 0.01,
      reorder: 0,
      corrupt: 0,
      rateBps: 10_000_000,
      queueBytes: 65_536,
      partition: false,
    });
    expect(spec.reverse.rateBps).toBeUndefined();
    expect(spec.reverse.dup).toBe(0);
    expect(spec.workload).toEqual({ messages: 10, messageBytes: 1000, messageRate: 5, fileBytes: 2_000_000, chunkBytes: 8192 });
    expect(spec.phases).toEqual([
      { atMs: 5000, forward: { partition: true }, reverse: { partition: true, delayMs: 1000 } },
      { atMs: 8000, forward: { partition: false }, reverse: { partition: false } },
    ]);
    expect(spec.limits).toEqual({ durationMs: 120_000, events: 1000 });
    expect(spec.engine).toEqual({ idleTimeoutMs: 5000 });
  });

  it('fills in defaults: an empty object is a valid scenario', () => {
    const spec = ok(parseScenario({}));
    expect(spec.forward.queueBytes).toBe(DEFAULT_QUEUE_BYTES);
    expect(spec.workload.messages).toBeGreaterThan(0);
    expect(spec.phases).toEqual([]);
  });

  it('a workload with only a file sends only the file', () => {
    const spec = ok(parseScenario({ workload: { file: '1mb' } }));
    expect(spec.workload.messages).toBe(0);
    expect(spec.workload.fileBytes).toBe(1_000_000);
  });

  it('keeps phases at the same instant in the order written', () => {
    const spec = ok(
      parseScenario({
        phases: [
          { at: '1s', link: { loss: 0.5 } },
          { at: '1s', link: { loss: 0.1 } },
          { at: 0, link: { loss: 0.2 } },
        ],
      }),
    );
    expect(spec.phases.map((p) => p.forward.loss)).toEqual([0.2, 0.5, 0.1]);
  });

  it.each([
    [{ lnk: {} }, /^lnk: unknown field/],
    [{ link: { loss: 1.5 } }, /^link\.loss: loss must be between 0 and 1/],
    [{ link: { losss: 0.1 } }, /^link\.losss: unknown link property/],
    [{ link: { delay: '20 parsecs' } }, /^link\.delay: delay: unknown time unit/],
    [{ link: { rate: '10mbps' } }, /^link\.rate: .*ambiguous/],
    [{ link: { burst: 0.5 } }, /^link\.burst: burst must be at least 1/],
    [{ link: 5 }, /^link: must be an object/],
    [{ forward: { partition: 'yes' } }, /^forward\.partition: partition must be true or false/],
    [{ seed: -1 }, /^seed: must be a whole number/],
    [{ name: '' }, /^name: must be a non-empty string/],
    [{ workload: { messages: 1.5 } }, /^workload\.messages: messages must be a whole number/],
    [{ workload: { messages: 0 } }, /^workload: the workload is empty/],
    [{ workload: { size: '1.5b' } }, /^workload\.size: size: .*whole number of bytes/],
    [{ workload: { colour: 'red' } }, /^workload\.colour: unknown field/],
    [{ workload: { chunk: 0 } }, /^workload\.chunk: must be at least 1 byte/],
    [{ phases: {} }, /^phases: must be an array/],
    [{ phases: [{ link: { loss: 1 } }] }, /^phases\[0\]\.at: is required/],
    [{ phases: [{ at: '1s' }] }, /^phases\[0\]: changes nothing/],
    [{ phases: [{ at: '1s', link: { loss: 0 } }, { at: 'soon', link: {} }] }, /^phases\[1\]\.at: at: cannot read "soon"/],
    [{ phases: [{ at: '1s', link: { jitter: -2 } }] }, /^phases\[0\]\.link\.jitter: jitter must not be negative/],
    [{ limits: { duration: 0 } }, /^limits\.duration: must be positive/],
    [{ limits: { events: 0 } }, /^limits\.events: events must be at least 1/],
    [{ engine: { idleTimeoutMs: -5 } }, /^engine: idleTimeoutMs must be a number in/],
    [{ engine: { warpDrive: 9 } }, /^engine: unknown engine option 'warpDrive'/],
  ])('names the field of a bad value: %j', (input, pattern) => {
    const list = errors(parseScenario(input));
    expect(list.some((e) => pattern.test(e)), `${list.join('\n')}\n  does not match ${String(pattern)}`).toBe(true);
  });

  it('reports every problem, not just the first', () => {
    const list = errors(parseScenario({ link: { loss: 2, delay: 'x' }, workload: { messages: -1 }, phases: 3 }));
    expect(list.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses anything that is not an object', () => {
    for (const v of [null, 3, 'x', [], true]) expect(errors(parseScenario(v))[0]).toMatch(/scenario must be a JSON object/);
  });

  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseScenario(v);
        if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ link: fc.dictionary(fc.constantFrom('loss', 'delay', 'rate', 'burst', 'x'), fc.jsonValue()), phases: fc.array(fc.jsonValue(), { maxLength: 3 }) }),
        (v) => {
          const r = parseScenario(v);
          if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('every shipped scenario is valid and documented', () => {
    const dir = new URL('../../scenarios/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const docs = readFileSync(new URL('../../docs/simulator.md', import.meta.url), 'utf8');
    for (const f of files) {
      const spec = ok(parseScenario(JSON.parse(readFileSync(new URL(f, dir), 'utf8'))));
      expect(spec.description.length).toBeGreaterThan(10);
      expect(`${spec.name}.json`).toBe(f);
      expect(docs).toContain(`scenarios/${f}`);
    }
  });
});
