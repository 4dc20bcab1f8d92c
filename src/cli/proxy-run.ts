// What `dualchat proxy` does once its flags are parsed: checks the endpoints and the link plan, relays
// datagrams through the link model, shows live counters, stops on SIGINT/SIGTERM. Loaded by the
// subcommand's action only, so `--help` never loads the proxy, its sockets or the scenario files.
import type { SimulateFlags } from '../sim/options.ts';
import { formatPercent } from '../sim/units.ts';
import { createLogger, isLogLevel, LOG_LEVELS } from '../server/logger.ts';
import { startProxy, type ProxyCounters } from '../udp/proxy.ts';
import { parseEndpoint } from './endpoint.ts';
import { planFromFlags } from './scenario-file.ts';

const EXIT_USAGE = 2;
/** Counters are redrawn this often in a terminal, and logged this often otherwise. */
const COUNTERS_TTY_MS = 500;
const COUNTERS_LOG_MS = 5_000;

/** The flags as commander hands them to the action. */
export interface ProxyCliOptions extends SimulateFlags {
  listen: string;
  target: string;
  scenario?: string;
  logLevel: string;
}

/**
 * The live counter line, in the longest form that fits `width` columns (a redraw with `\r` breaks if
 * the line wraps): words, then arrows, then the bare counts, cut with `…` as a last resort.
 */
export function counterLine(c: ProxyCounters, width: number): string {
  const dropped = (s: ProxyCounters['forward']): number => s.dropped.loss + s.dropped.burst + s.dropped.queue + s.dropped.partition;
  const rate = (s: ProxyCounters['forward']): string => (s.sent > 0 ? formatPercent(dropped(s) / s.sent) : '0%');
  const forms = [
    (name: string, s: ProxyCounters['forward']) =>
      `${name} ${s.sent} in, ${s.delivered} out, ${dropped(s)} dropped (${rate(s)}), ${s.duplicated} dup, ${s.reordered} reord, ${s.corrupted} corrupt`,
    (name: string, s: ProxyCounters['forward']) => `${name} ${s.sent} in ${s.delivered} out ${dropped(s)} lost (${rate(s)}) ${s.duplicated} dup ${s.reordered} reord ${s.corrupted} bad`,
    (name: string, s: ProxyCounters['forward']) => `${name} ${s.sent}/${s.delivered} −${dropped(s)} (${rate(s)})`,
  ];
  const names = [['client→target', 'target→client'], ['→', '←'], ['→', '←']];
  let line = '';
  for (let i = 0; i < forms.length; i++) {
    const side = forms[i] as (name: string, s: ProxyCounters['forward']) => string;
    const [f, r] = names[i] as [string, string];
    line = `${i < 2 ? `flows ${c.flows} | ` : ''}${side(f, c.forward)} | ${side(r, c.reverse)}`;
    if ([...line].length <= width) return line;
  }
  const chars = [...line];
  return width < 1 ? '' : `${chars.slice(0, width - 1).join('')}…`;
}

export async function runProxy(opts: ProxyCliOptions): Promise<void> {
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
      // One column spare: a line exactly as wide as the terminal wraps on some terminals.
      if (tty) process.stderr.write(`\r\x1b[2K${counterLine(proxy.counters(), (process.stderr.columns ?? 80) - 1)}`);
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
}
