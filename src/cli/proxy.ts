// `dualchat proxy`: a UDP relay that applies the simulator's link model to real datagrams, so a user can
// watch chat survive loss between real processes (`dualchat client --udp-via HOST:PORT`).
import { Command } from 'commander';
import type { SimulateFlags } from '../sim/options.ts';
import { formatPercent } from '../sim/units.ts';
import { createLogger, isLogLevel, LOG_LEVELS } from '../server/logger.ts';
import { startProxy, type ProxyCounters } from '../udp/proxy.ts';
import { parseEndpoint } from './endpoint.ts';
import { linkOptions } from './link-options.ts';
import { planFromFlags } from './scenario-file.ts';

const EXIT_USAGE = 2;
/** Counters are redrawn this often in a terminal, and logged this often otherwise. */
const COUNTERS_TTY_MS = 500;
const COUNTERS_LOG_MS = 5_000;

interface ProxyCliOptions extends SimulateFlags {
  listen: string;
  target: string;
  scenario?: string;
  logLevel: string;
}

function describe(c: ProxyCounters): string {
  const side = (name: string, s: ProxyCounters['forward']) => {
    const dropped = s.dropped.loss + s.dropped.burst + s.dropped.queue + s.dropped.partition;
    const rate = s.sent > 0 ? formatPercent(dropped / s.sent) : '0%';
    return `${name} ${s.sent} in, ${s.delivered} out, ${dropped} dropped (${rate}), ${s.duplicated} dup, ${s.reordered} reord, ${s.corrupted} corrupt`;
  };
  return `flows ${c.flows} | ${side('client→target', c.forward)} | ${side('target→client', c.reverse)}`;
}

export function proxyCommand(): Command {
  const command = new Command('proxy')
    .description('Relay UDP datagrams between clients and a server through the simulator’s link model (both directions, per client).')
    .requiredOption('--listen <[host:]port>', 'where clients send (host defaults to 127.0.0.1; port 0 = ephemeral)')
    .requiredOption('--target <host:port>', 'where datagrams go (the server’s UDP port)')
    .option('--seed <seed>', 'seed of every random choice; same seed, same fate for the same datagram sequence')
    .option('--scenario <file>', 'a scenario file (its link and phases apply from the proxy’s start; its workload is ignored)')
    .option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')})`, 'info')
    .action(async (opts: ProxyCliOptions) => {
      const fail = (message: string) => {
        process.stderr.write(`dualchat proxy: ${message}\n`);
        process.exitCode = EXIT_USAGE;
      };
      const listen = parseEndpoint(opts.listen, '127.0.0.1');
      if (typeof listen === 'string') return fail(`--listen: ${listen}`);
      const target = parseEndpoint(opts.target, undefined);
      if (typeof target === 'string') return fail(`--target: ${target}`);
      if (!isLogLevel(opts.logLevel)) return fail(`--log-level: "${opts.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
      const planned = planFromFlags(opts);
      if (!planned.ok) return fail(planned.error);
      const spec = planned.plan.base;
      const logger = createLogger({ level: opts.logLevel });
      let proxy;
      try {
        proxy = await startProxy({
          listenHost: listen.host,
          listenPort: listen.port,
          targetHost: target.host,
          targetPort: target.port,
          forward: spec.forward,
          reverse: spec.reverse,
          phases: spec.phases,
          seed: spec.seed,
          logger,
        });
      } catch (e) {
        process.stderr.write(`dualchat proxy: cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      logger.info({ host: listen.host, port: proxy.port, target: `${target.host}:${target.port}`, forward: spec.forward, reverse: spec.reverse }, 'listening');
      const tty = process.stderr.isTTY === true;
      const counters = setInterval(
        () => {
          const line = describe(proxy.counters());
          if (tty) process.stderr.write(`\r\x1b[2K${line}`);
          else logger.info({ counters: proxy.counters() }, 'counters');
        },
        tty ? COUNTERS_TTY_MS : COUNTERS_LOG_MS,
      );
      let stopping = false;
      const stop = () => {
        if (stopping) process.exit(1);
        stopping = true;
        clearInterval(counters);
        if (tty) process.stderr.write('\n');
        logger.info({ counters: proxy.counters() }, 'stopped');
        void proxy.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  for (const option of linkOptions()) command.addOption(option);
  return command;
}
