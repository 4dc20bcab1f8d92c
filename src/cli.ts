// The `dualchat` command: one subcommand per role. Each subcommand's options live in src/cli/<name>.ts;
// what it does (src/cli/<name>-run.ts, src/client/) is loaded by its action, so `dualchat --help` and a
// flag error load commander and the option definitions only. This file only assembles them; it runs
// compiled, as dist/cli.js, through bin/dualchat.js.
import { Command } from 'commander';
import { certCommand } from './cli/cert.ts';
import { clientCommand } from './cli/client.ts';
import { dbCommand } from './cli/db.ts';
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
  .addCommand(proxyCommand())
  .addCommand(certCommand())
  .addCommand(dbCommand());

await program.parseAsync(process.argv);
