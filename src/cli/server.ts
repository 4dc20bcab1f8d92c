import { Command } from 'commander';

export function serverCommand(): Command {
  return new Command('server').description('(not built yet)').action(() => {
    process.stderr.write('dualchat server: not built yet\n');
    process.exitCode = 2;
  });
}
