// The impairment proxy: a UDP relay that applies the simulator's link model (the same Link class) to real
// datagrams, in both directions, separately for each client address. Client → proxy → target uses the
// forward link; target → proxy → client the reverse link. Each client gets its own upstream socket, so the
// target sees one distinct address per client (as it would behind a NAT).
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { emptyLinkStats, Link, type LinkSettings, type LinkStats } from '../sim/link.ts';
import { createRng } from '../sim/rng.ts';
import type { LinkPhase } from '../sim/scenario.ts';
import { UDP_RECV_BUFFER_BYTES, UDP_SEND_BUFFER_BYTES } from './constants.ts';

/** A client address unheard of for this long is forgotten (its upstream socket closed). */
export const PROXY_FLOW_IDLE_MS = 120_000;
/** At most this many client flows at once: each costs a socket; new ones beyond are dropped. */
export const PROXY_MAX_FLOWS = 1024;

export interface ProxyOptions {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  /** Client → target. */
  forward: LinkSettings;
  /** Target → client. */
  reverse: LinkSettings;
  /** Changes of the link over time, from the proxy's start (a scenario's phases). */
  phases: LinkPhase[];
  seed: number | string;
  logger: Logger;
}

export interface ProxyCounters {
  flows: number;
  forward: LinkStats;
  reverse: LinkStats;
}

interface Flow {
  key: string;
  client: { address: string; port: number };
  upstream: dgram.Socket;
  forward: Link;
  reverse: Link;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  lastSeen: number;
}

export interface RunningProxy {
  port: number;
  counters(): ProxyCounters;
  close(): Promise<void>;
}

function addStats(into: LinkStats, s: LinkStats): void {
  into.sent += s.sent;
  into.sentBytes += s.sentBytes;
  for (const k of Object.keys(into.dropped) as (keyof LinkStats['dropped'])[]) into.dropped[k] += s.dropped[k];
  into.duplicated += s.duplicated;
  into.reordered += s.reordered;
  into.corrupted += s.corrupted;
  into.delivered += s.delivered;
  into.deliveredBytes += s.deliveredBytes;
  into.inFlight += s.inFlight;
  into.queuePeakBytes = Math.max(into.queuePeakBytes, s.queuePeakBytes);
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const started = performance.now();
  const now = () => performance.now() - started;
  const flows = new Map<string, Flow>();
  const retired = { forward: emptyLinkStats(), reverse: emptyLinkStats() };
  let forwardSettings: Partial<LinkSettings> = { ...options.forward };
  let reverseSettings: Partial<LinkSettings> = { ...options.reverse };
  let flowCount = 0;
  let closed = false;
  const family = options.listenHost.includes(':') ? 'udp6' : 'udp4';
  const listener = dgram.createSocket({ type: family, recvBufferSize: UDP_RECV_BUFFER_BYTES, sendBufferSize: UDP_SEND_BUFFER_BYTES });

  const pump = (flow: Flow): void => {
    if (closed) return;
    const t = now();
    for (let d = flow.forward.poll(t); d; d = flow.forward.poll(t)) {
      flow.upstream.send(d, options.targetPort, options.targetHost);
    }
    for (let d = flow.reverse.poll(t); d; d = flow.reverse.poll(t)) {
      listener.send(d, flow.client.port, flow.client.address);
    }
    const due = Math.min(flow.forward.nextDue() ?? Infinity, flow.reverse.nextDue() ?? Infinity);
    if (due === Infinity) return;
    if (flow.timer && due >= flow.timerAt) return;
    if (flow.timer) clearTimeout(flow.timer);
    flow.timerAt = due;
    flow.timer = setTimeout(() => {
      flow.timer = undefined;
      flow.timerAt = Infinity;
      pump(flow);
    }, Math.max(0, due - now()));
  };

  const retire = (flow: Flow): void => {
    if (flow.timer) clearTimeout(flow.timer);
    addStats(retired.forward, flow.forward.stats());
    addStats(retired.reverse, flow.reverse.stats());
    flow.upstream.close();
    flows.delete(flow.key);
  };

  const flowFor = (address: string, port: number): Flow | undefined => {
    const key = `${address}|${port}`;
    const existing = flows.get(key);
    if (existing) return existing;
    if (flows.size >= PROXY_MAX_FLOWS) return undefined;
    const index = flowCount++;
    const upstream = dgram.createSocket({ type: options.targetHost.includes(':') ? 'udp6' : 'udp4', recvBufferSize: UDP_RECV_BUFFER_BYTES, sendBufferSize: UDP_SEND_BUFFER_BYTES });
    const flow: Flow = {
      key,
      client: { address, port },
      upstream,
      forward: new Link(forwardSettings, createRng(options.seed, `forward:${index}`)),
      reverse: new Link(reverseSettings, createRng(options.seed, `reverse:${index}`)),
      timer: undefined,
      timerAt: Infinity,
      lastSeen: now(),
    };
    upstream.on('message', (msg) => {
      flow.reverse.send(msg, now());
      pump(flow);
    });
    upstream.on('error', (err) => options.logger.debug({ err: err.message, client: key }, 'upstream socket error'));
    upstream.bind(0);
    flows.set(key, flow);
    options.logger.info({ client: `${address}:${port}` }, 'new client flow');
    return flow;
  };

  listener.on('message', (msg, rinfo) => {
    const flow = flowFor(rinfo.address, rinfo.port);
    if (!flow) return;
    flow.lastSeen = now();
    flow.forward.send(msg, flow.lastSeen);
    pump(flow);
  });
  listener.on('error', (err) => options.logger.warn({ err: err.message }, 'listener socket error'));

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.bind(options.listenPort, options.listenHost, () => {
      listener.off('error', reject);
      resolve();
    });
  });

  // Scenario phases: each applies to every flow from its moment on (and to flows created later).
  const phaseTimers = options.phases.map((phase) =>
    setTimeout(() => {
      forwardSettings = { ...forwardSettings, ...phase.forward };
      reverseSettings = { ...reverseSettings, ...phase.reverse };
      for (const flow of flows.values()) {
        flow.forward.update(phase.forward);
        flow.reverse.update(phase.reverse);
      }
      options.logger.info({ atMs: phase.atMs, forward: phase.forward, reverse: phase.reverse }, 'phase');
    }, phase.atMs),
  );
  const sweeper = setInterval(() => {
    const t = now();
    for (const flow of [...flows.values()]) if (t - flow.lastSeen > PROXY_FLOW_IDLE_MS) retire(flow);
  }, PROXY_FLOW_IDLE_MS / 4);
  sweeper.unref();

  const port = listener.address().port;
  return {
    port,
    counters() {
      const forward = emptyLinkStats();
      const reverse = emptyLinkStats();
      addStats(forward, retired.forward);
      addStats(reverse, retired.reverse);
      for (const flow of flows.values()) {
        addStats(forward, flow.forward.stats());
        addStats(reverse, flow.reverse.stats());
      }
      return { flows: flows.size, forward, reverse };
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const t of phaseTimers) clearTimeout(t);
      clearInterval(sweeper);
      for (const flow of [...flows.values()]) retire(flow);
      return new Promise((resolve) => listener.close(() => resolve()));
    },
  };
}
