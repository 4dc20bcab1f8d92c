// The `dualchat` command: one subcommand per role. Each subcommand's options and shell live in
// src/cli/<name>.ts; this file only assembles them.
import { Command } from 'commander';
import { clientCommand } from './cli/client.ts';
import { proxyCommand } from './cli/proxy.ts';
import { serverCommand } from './cli/server.ts';
import { simulateCommand } from './cli/simulate.ts';

const program = new Command('dualchat')
  .description('Chat over a TCP control plane and a reliable UDP data plane; loss simulator and proxy.')
  .version('0.1.0')
  .showHelpAfterError()
  .addCommand(serverCommand())
  .addCommand(clientCommand())
  .addCommand(simulateCommand())
  .addCommand(proxyCommand());

await program.parseAsync(process.argv);
