import { Command } from 'commander';

export function proxyCommand(): Command {
  return new Command('proxy').description('(not built yet)').action(() => {
    process.stderr.write('dualchat proxy: not built yet\n');
    process.exitCode = 2;
  });
}
