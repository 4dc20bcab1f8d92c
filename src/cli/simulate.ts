import { Command } from 'commander';

export function simulateCommand(): Command {
  return new Command('simulate').description('(not built yet)').action(() => {
    process.stderr.write('dualchat simulate: not built yet\n');
    process.exitCode = 2;
  });
}
