import { describe, expect, it } from 'vitest';
import { planSimulation, type PlanResult, type SimulatePlan } from '../../src/sim/options.ts';
import { defaultSpec } from '../../src/sim/scenario.ts';
import { expandSweep, parseSweep, type SweepDimension } from '../../src/sim/sweep.ts';

function plan(r: PlanResult): SimulatePlan {
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.plan;
}
function errs(r: PlanResult): string {
  if (r.ok) throw new Error('expected errors');
  return r.errors.join('\n');
}
function dim(arg: string): SweepDimension {
  const r = parseSweep(arg);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('planSimulation (simulate flags)', () => {
  it('link flags set both directions, with units', () => {
    const { base } = plan(
      planSimulation({ loss: '0.1', burst: '4', delay: '20ms', jitter: '5ms', dup: '0.01', reorder: '5%', corrupt: '0.001', rate: '10mbit', queue: '32kib', seed: '42' }),
    );
    for (const link of [base.forward, base.reverse]) {
      expect(link).toEqual({ loss: 0.1, burst: 4, delayMs: 20, jitterMs: 5, dup: 0.01, reorder: 0.05, corrupt: 0.001, rateBps: 10_000_000, queueBytes: 32_768, partition: false });
    }
    expect(base.seed).toBe(42);
  });

  it('a run from flags alone has a 20 ms path each way (a sweep of loss then shows latency grow); --delay and scenarios set their own', () => {
    const { base } = plan(planSimulation({ loss: '0.1' }));
    expect([base.forward.delayMs, base.reverse.delayMs]).toEqual([20, 20]);
    expect(plan(planSimulation({ delay: '0' })).base.forward.delayMs).toBe(0);
    const scenario = { value: { name: 's', link: { loss: 0.1 } }, label: 's.json' };
    expect(plan(planSimulation({}, scenario)).base.forward.delayMs).toBe(0);
  });

  it('text seeds stay text; numeric seeds become numbers', () => {
    expect(plan(planSimulation({ seed: 'hello' })).base.seed).toBe('hello');
    expect(plan(planSimulation({ seed: '7' })).base.seed).toBe(7);
  });

  it('workload flags: --file alone sends only the file; both send both', () => {
    expect(plan(planSimulation({ file: '5mb' })).base.workload).toMatchObject({ messages: 0, fileBytes: 5_000_000 });
    expect(plan(planSimulation({ file: '5mb', messages: '10' })).base.workload).toMatchObject({ messages: 10, fileBytes: 5_000_000 });
    expect(plan(planSimulation({ messages: '10', size: '1kb', msgRate: '20', chunk: '4kib' })).base.workload).toMatchObject({
      messages: 10,
      messageBytes: 1000,
      messageRate: 20,
      chunkBytes: 4096,
    });
  });

  it('flags override a scenario, field by field', () => {
    const scenario = { value: { link: { delay: '50ms', loss: 0.2 }, workload: { messages: 5, file: '1kb' }, seed: 3 }, label: 'x.json' };
    const { base } = plan(planSimulation({ loss: '0', file: '2kb' }, scenario));
    expect(base.forward.delayMs).toBe(50);
    expect(base.forward.loss).toBe(0);
    expect(base.workload).toMatchObject({ messages: 5, fileBytes: 2000 });
    expect(base.seed).toBe(3);
  });

  it('scenario errors are prefixed with the file', () => {
    expect(errs(planSimulation({}, { value: { link: { loss: 3 } }, label: 'bad.json' }))).toMatch(/^bad\.json: link\.loss/);
  });

  it('every bad flag is named', () => {
    const text = errs(planSimulation({ loss: '2', delay: 'soon', rate: '10mbps', messages: '-1', file: '1.5b', duration: '0', maxEvents: '0', sweep: ['nope'], engine: ['x'] }));
    for (const flag of ['--loss', '--delay', '--rate', '--messages', '--file', '--duration', '--max-events', '--sweep', '--engine']) expect(text).toContain(flag);
  });

  it('engine options are parsed and validated by the engine', () => {
    expect(plan(planSimulation({ engine: ['idleTimeoutMs=3000', 'congestion=newreno'] })).base.engine).toEqual({ idleTimeoutMs: 3000, congestion: 'newreno' });
    expect(errs(planSimulation({ engine: ['warp=9'] }))).toMatch(/--engine: unknown engine option 'warp'/);
  });

  it('limits', () => {
    expect(plan(planSimulation({ duration: '30s', maxEvents: '5000' })).base.limits).toEqual({ durationMs: 30_000, events: 5000 });
  });
});

describe('sweeps', () => {
  it('parses PROPERTY=values with units', () => {
    expect(dim('delay=0,20ms,1s').values.map((v) => v.settings)).toEqual([{ delayMs: 0 }, { delayMs: 20 }, { delayMs: 1000 }]);
    expect(dim('rate=1mbit,none').values.map((v) => v.settings)).toEqual([{ rateBps: 1e6 }, { rateBps: undefined }]);
  });

  it('refuses malformed sweeps with a reason', () => {
    const e = (arg: string): string => {
      const r = parseSweep(arg);
      return r.ok ? '' : r.error;
    };
    expect(e('loss')).toMatch(/PROPERTY=V1,V2/);
    expect(e('colour=1,2')).toMatch(/cannot sweep "colour"/);
    expect(e('partition=true,false')).toMatch(/cannot sweep "partition"/);
    expect(e('loss=0,,0.1')).toMatch(/without empty entries/);
    expect(e('loss=0,7')).toMatch(/loss must be between 0 and 1/);
  });

  it('expands a grid, first dimension slowest, setting both directions', () => {
    const r = expandSweep(defaultSpec(), [dim('loss=0,0.1'), dim('delay=5,10,20')]);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.map((p) => p.parameters)).toEqual([
      { loss: '0', delay: '5' },
      { loss: '0', delay: '10' },
      { loss: '0', delay: '20' },
      { loss: '0.1', delay: '5' },
      { loss: '0.1', delay: '10' },
      { loss: '0.1', delay: '20' },
    ]);
    const last = r.value[5]?.spec;
    expect(last?.forward.loss).toBe(0.1);
    expect(last?.reverse.delayMs).toBe(20);
  });

  it('refuses a property swept twice and oversized grids', () => {
    const twice = expandSweep(defaultSpec(), [dim('loss=0,0.1'), dim('loss=0.2')]);
    expect(twice.ok ? '' : twice.error).toMatch(/swept twice/);
    const values = Array.from({ length: 40 }, (_, i) => String(i)).join(',');
    const big = expandSweep(defaultSpec(), [dim(`delay=${values}`), dim(`jitter=${values}`)]);
    expect(big.ok ? '' : big.error).toMatch(/1600 runs/);
  });
});
