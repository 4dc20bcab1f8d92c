import { Command } from 'commander';

export function clientCommand(): Command {
  return new Command('client').description('(not built yet)').action(() => {
    process.stderr.write('dualchat client: not built yet\n');
    process.exitCode = 2;
  });
}
