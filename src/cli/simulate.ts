// `dualchat simulate`: the flags of the simulator's shell. What it does with them (scenario file,
// runs, report, chart) is src/cli/simulate-run.ts, loaded by the action only: `--help` stays cheap.
import { Command } from 'commander';
import { SWEEPABLE_PROPERTIES } from '../sim/sweep.ts';
import { linkOptions } from './link-options.ts';
import type { SimulateCliOptions } from './simulate-run.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function simulateCommand(): Command {
  const command = new Command('simulate')
    .description(
      'Run two reliability engines through a simulated network (loss, bursts, delay, jitter, duplication, ' +
        'reordering, corruption, bandwidth limits, partitions) on virtual time, and check that every message ' +
        'arrives exactly once, in order, intact.',
    )
    .option('--scenario <file>', 'a scenario file (JSON), or the name of a shipped one (see --list-scenarios)')
    .option('--list-scenarios', 'list the shipped scenarios and exit')
    .option('--seed <seed>', 'seed of every random choice (a number or any text); same seed, same run')
    .option('--messages <n>', 'chat messages to send (default 1000, or 0 with --file)')
    .option('--size <bytes>', 'payload bytes per chat message (default 100; a 24-byte check header is added)')
    .option('--msg-rate <n>', 'chat messages per second (default 100; 0 = all at once)')
    .option('--file <bytes>', 'also send a file of this size on the bulk channel (5mb, 512kib, 100000)')
    .option('--chunk <bytes>', 'file chunk size (default 16kib)')
    .option(
      '--sweep <property=values>',
      `run once per value, e.g. loss=0,0.05,0.1; repeat for a grid (${SWEEPABLE_PROPERTIES.join(', ')})`,
      collect,
      [],
    )
    .option('--engine <option=value>', 'an engine option for both ends, e.g. idleTimeoutMs=3000 (repeatable)', collect, [])
    .option('--duration <time>', 'stop after this much virtual time (default 10min)')
    .option('--max-events <n>', 'stop after this many events (default 20000000)')
    .option('--json', 'print one JSON object (a sweep: {"runs": [...]}) instead of the table')
    .option('--plot <file.svg>', 'write a chart: a sweep plots latency and goodput against the swept property, a single run its latency over time')
    .option('--no-color', 'no colours in the table')
    .action(async (opts: SimulateCliOptions) => {
      const { simulate } = await import('./simulate-run.ts');
      process.exitCode = await simulate(opts);
    });
  for (const option of linkOptions()) command.addOption(option);
  return command;
}
