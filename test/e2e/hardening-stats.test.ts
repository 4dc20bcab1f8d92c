// `<stats>` for operators (here: connections from this machine, `operatorLocal`): the summary line, chat transports, the process (memory, CPU), and the UDP
// links worst loss first — bounded to STATS_TOP_SESSIONS however many sessions are bound. Sessions are
// the load generator's clients (bench/loadgen): real TCP connections and UDP engines, in this process;
// one of them reaches the server through the impairment proxy with 30 % loss.
import { afterEach, describe, expect, it } from 'vitest';
import { LoadClient } from '../../bench/loadgen/load-client.ts';
import { UdpMux } from '../../bench/loadgen/udp-mux.ts';
import { STATS_TOP_SESSIONS } from '../../src/server/constants.ts';
import { EngineDriver } from '../../src/udp/engine-driver.ts';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import { isKind, startTestServer, type RawClient, type TestServer, connectedClient } from './helpers.ts';
import { withDeadline } from './hardening-helpers.ts';
import { proxyTo } from './udp-helpers.ts';

let ts: TestServer | undefined;
let proxy: RunningProxy | undefined;
const muxes: UdpMux[] = [];
const clients: LoadClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(muxes.splice(0).map((m) => m.close()));
  await proxy?.close();
  await ts?.close();
  ts = undefined;
  proxy = undefined;
});

/** The system lines of one `<stats>` answer (it ends before the `<rooms>` asked right after it). */
async function statsLines(ops: RawClient): Promise<string[]> {
  const from = ops.replies.length;
  ops.send('<stats>\n<rooms>\n');
  await ops.waitFor(() => ops.replies.slice(from).some((r) => r.kind === 'rooms'), 'stats and rooms');
  return ops.replies
    .slice(from)
    .filter(isKind('system'))
    .map((r) => r.text);
}

describe('<stats>', () => {
  it('shows transports, the process and the worst UDP links, bounded', { timeout: 60_000 }, async () => {
    ts = await startTestServer({ rateLimit: 0, operatorLocal: true });
    const server = ts.server;
    proxy = await proxyTo(server.udpPort, { loss: 0.3 }, 7);
    const driver = new EngineDriver();
    const direct = await UdpMux.open('127.0.0.1', 2, { address: '127.0.0.1', port: server.udpPort });
    const lossy = await UdpMux.open('127.0.0.1', 1, { address: '127.0.0.1', port: proxy.port });
    muxes.push(direct, lossy);

    // Messages received, per client; a waiter is woken on every one.
    const received = new Map<string, number>();
    const waiters = new Set<() => void>();
    const onMessage = (client: LoadClient): void => {
      received.set(client.name, (received.get(client.name) ?? 0) + 1);
      for (const w of [...waiters]) w();
    };
    const receivedBy = (name: string, n: number): Promise<void> =>
      withDeadline(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if ((received.get(name) ?? 0) < n) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
        10_000,
        `${name} to receive ${n} messages`,
      );
    const count = STATS_TOP_SESSIONS + 4;
    for (let i = 0; i < count; i++) {
      const viaProxy = i === 0;
      clients.push(
        new LoadClient({
          name: viaProxy ? 'lossy' : `c${i}`,
          // Room capacity is 15: twelve in `stats` (the lossy one among them), the rest elsewhere.
          room: i < 12 ? 'stats' : `other${i % 3}`,
          host: '127.0.0.1',
          tcpPort: ts.port,
          localAddress: `127.0.0.${40 + Math.floor(i / 10)}`,
          udp: true,
          slot: i,
          mux: viaProxy ? lossy : direct,
          driver,
          hooks: { message: onMessage },
        }),
      );
    }
    await Promise.all(clients.map((c) => c.connect(15_000)));
    const ops = await connectedClient(ts.port, 'ops');

    // A room member sends the lossy client 30 messages, one at a time (each its own packet), each
    // waited for: some of the server's packets to it are lost and resent.
    const lossyClient = clients[0]!;
    const partner = clients[1]!;
    for (let i = 0; i < 30; i++) {
      expect(partner.sendChat(`${i}:hello`)).toBe(true);
      await receivedBy(lossyClient.name, i + 1);
    }

    const worst = server.udpSessions();
    expect(worst).toHaveLength(count);
    expect(worst[0]).toMatchObject({ name: 'lossy' });
    expect(worst[0]!.packetsLost).toBeGreaterThan(0);
    expect(worst[0]!.lossRate).toBeGreaterThan(0);
    expect(worst[0]!.retransmits).toBeGreaterThan(0);
    expect(worst[0]!.srttMs).toBeGreaterThan(0);
    for (let i = 1; i < worst.length; i++) expect(worst[i]!.lossRate).toBeLessThanOrEqual(worst[i - 1]!.lossRate);
    expect(server.udpSessions(3)).toHaveLength(3);

    const lines = await statsLines(ops);
    expect(lines[0]).toMatch(new RegExp(`^stats: sessions=${count + 1} users=${count + 1} rooms=\\d+ uptime=\\d+s udp: bound=${count} `));
    expect(lines[1]).toMatch(
      new RegExp(`^transports: chat-over-udp=${count} chat-over-tcp=1 \\(udp-offered-not-bound=0\\) moving-to-tcp=0 unnamed=0 tcp-connections=${count + 1} addresses=4 refused-per-address=0$`),
    );
    expect(lines[2]).toMatch(/^process: rss=\d+\.\dMiB heap-used=\d+\.\dMiB heap-total=\d+\.\dMiB external=\d+\.\dMiB cpu-user=\d+\.\ds cpu-system=\d+\.\ds$/);
    expect(lines[3]).toBe(`udp links, worst loss first (${STATS_TOP_SESSIONS} of ${count}):`);
    const links = lines.slice(4);
    expect(links).toHaveLength(STATS_TOP_SESSIONS);
    expect(links[0]).toMatch(/^ {2}lossy: rtt=\d+\.\d\dms loss=\d+\.\d% \(\d+ of \d+ packets\) retransmits=\d+$/);
    expect(links[0]).not.toMatch(/loss=0\.0%/);
    for (const l of links.slice(1)) expect(l).toMatch(/^ {2}c\d+: rtt=(\d+\.\d\dms|-) loss=\d+\.\d% \(\d+ of \d+ packets\) retransmits=\d+$/);

    const stats = server.stats();
    expect(stats.transports).toEqual({ udp: count, tcp: 1, movingToTcp: 0 });
    expect(stats.process.rssBytes).toBeGreaterThan(stats.process.heapUsedBytes / 2);
    expect(stats.connections).toEqual({ open: count + 1, sourceAddresses: 4, refusedPerAddress: 0 });
    ops.destroy();
  });
});
