// Worker: plain and sealed chat side by side in one process — a dualchat server with TLS beside its plain
// port (a certificate made here), a plain pair and a TLS pair of scripted clients bound over UDP, each
// sender sending the same dense schedule to its own room at the same moments. Both pairs share the
// process, the path and its loss, so the difference between them is the sealing.
//
//   args: {"lines":400,"rateHz":100,"bytes":100,"drainMs":15000,"filesDir":"/tmp/…"}
//   out:  {"type":"ready","udpPort":…,"tcpPort":…,"tlsPort":…}
//   in:   {"type":"go"} → out {"type":"result","plain":{…},"sealed":{…}}
//         each: {"sent":…,"received":…,"duplicates":…,"fellBack":…,"latenciesMs":[…]}; and the server's
//         "authFailed" and "replayed" counts
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { certificateNames, selfSignedCertificate } from '../../../src/server/certificate.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { markLine, readMark } from '../payload.ts';
import { ScriptedClient } from '../scripted-client.ts';
import { workerArgs, workerIo } from '../worker-io.ts';

const HOST = '127.0.0.1';
const SETUP_TIMEOUT_MS = 10_000;
const CONTENDERS = ['plain', 'sealed'] as const;
type Contender = (typeof CONTENDERS)[number];

let server: RunningServer | undefined;
const clients: ScriptedClient[] = [];
const io = workerIo(async () => {
  for (const c of clients) await c.close();
  await server?.close();
});

interface Tally {
  sent: number;
  sentAt: number[];
  latenciesMs: number[];
  seen: Set<number>;
  duplicates: number;
}

async function main(): Promise<void> {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  const lines = p.int('lines', 1, 100_000);
  const rateHz = p.num('rateHz', 1, 10_000);
  const bytes = p.int('bytes', 16, 4096);
  const drainMs = p.int('drainMs', 0, 120_000);
  const pair = await selfSignedCertificate(certificateNames(undefined), new Date());
  server = await startServer({
    host: HOST,
    tcpPort: 0,
    udpPort: 0,
    tlsPort: 0,
    tls: pair,
    filesDir: p.str('filesDir'),
    rateLimit: 0,
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  const tally: Record<Contender, Tally> = {
    plain: { sent: 0, sentAt: [], latenciesMs: [], seen: new Set(), duplicates: 0 },
    sealed: { sent: 0, sentAt: [], latenciesMs: [], seen: new Set(), duplicates: 0 },
  };
  const open = async (contender: Contender, role: string): Promise<ScriptedClient> => {
    const c = await ScriptedClient.open({
      mode: 'dualchat-udp',
      host: HOST,
      port: contender === 'sealed' ? server!.tlsPort! : server!.tcpPort,
      name: `${contender.slice(0, 1)}${role}`,
      room: contender,
      timeoutMs: SETUP_TIMEOUT_MS,
      ...(contender === 'sealed' ? { tlsCa: pair.cert } : {}),
      onChat: (line) => {
        if (role !== 'r') return;
        const mark = readMark(line);
        const t = tally[contender];
        if (mark === undefined) return;
        if (t.seen.has(mark.seq)) {
          t.duplicates++;
          return;
        }
        t.seen.add(mark.seq);
        const at = t.sentAt[mark.seq];
        if (at !== undefined) t.latenciesMs.push(performance.now() - at);
      },
    });
    clients.push(c);
    return c;
  };
  const senders = { plain: await open('plain', 's'), sealed: await open('sealed', 's') };
  await open('plain', 'r');
  await open('sealed', 'r');
  io.emit({ type: 'ready', tcpPort: server.tcpPort, udpPort: server.udpPort, tlsPort: server.tlsPort });
  await io.command('go');

  // The schedule: line i of both pairs at start + i / rate, the two senders in turns (bounded by `lines`).
  const start = performance.now();
  for (let i = 0; i < lines; i++) {
    const due = start + (i * 1000) / rateHz;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (const contender of i % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse()) {
      const t = tally[contender];
      t.sentAt[i] = performance.now();
      if (senders[contender].sendChat(markLine(1, i, bytes))) t.sent++;
    }
  }
  // Drain: until both receivers have every line, or the drain bound (looked at every 10 ms).
  const drainEnd = performance.now() + drainMs;
  while (performance.now() < drainEnd && CONTENDERS.some((c) => tally[c].seen.size < tally[c].sent)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const out = (c: Contender) => ({
    sent: tally[c].sent,
    received: tally[c].seen.size,
    duplicates: tally[c].duplicates,
    fellBack: senders[c].fellBack,
    latenciesMs: tally[c].latenciesMs,
  });
  // Datagrams the server could not open: a sealed pair's should be none (only loss, never rejection).
  const rejected = server.stats().udp.rejected;
  io.emit({ type: 'result', plain: out('plain'), sealed: out('sealed'), authFailed: rejected['auth-failed'], replayed: rejected.replayed });
  await io.command('stop');
}

main().catch((e: unknown) => io.fail(e));
