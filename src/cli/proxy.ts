// `dualchat proxy`: the flags of a UDP relay that applies the simulator's link model to real datagrams,
// so a user can watch chat survive loss between real processes (`dualchat client --udp-via HOST:PORT`).
// The relay itself is src/cli/proxy-run.ts, loaded by the action only: `--help` stays cheap.
import { Command } from 'commander';
import { LOG_LEVELS } from '../server/logger.ts';
import { linkOptions } from './link-options.ts';
import type { ProxyCliOptions } from './proxy-run.ts';

export function proxyCommand(): Command {
  const command = new Command('proxy')
    .description('Relay UDP datagrams between clients and a server through the simulator’s link model (both directions, per client).')
    .requiredOption('--listen <[host:]port>', 'where clients send (host defaults to 127.0.0.1; port 0 = ephemeral)')
    .requiredOption('--target <host:port>', 'where datagrams go (the server’s UDP port)')
    .option('--seed <seed>', 'seed of every random choice; same seed, same fate for the same datagram sequence')
    .option('--scenario <file>', 'a scenario file (its link and phases apply from the proxy’s start; its workload is ignored)')
    .option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')})`, 'info')
    .action(async (opts: ProxyCliOptions) => {
      const { runProxy } = await import('./proxy-run.ts');
      await runProxy(opts);
    });
  for (const option of linkOptions()) command.addOption(option);
  return command;
}
