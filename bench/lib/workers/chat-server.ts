// Worker: the dualchat server in a process of its own (startServer, the public entry point), so the
// figures a suite measures are the server's and its CPU time can be read apart from the clients'.
//
//   args: {"host":"127.0.0.1","tcpPort":0,"udpPort":0,"roomCapacity":100,"rateLimit":0,
//          "maxConnectionsPerAddress":200,"filesDir":"/tmp/…"}
//   optional: "ircPort":0 (the IRC door too)
//   out:  {"type":"ready","tcpPort":…,"udpPort":…,"ircPort":… (with the IRC door)}
//   in:   {"type":"cpu"} → out {"type":"cpu","userMs":…,"systemMs":…,"udpIn":…,"udpOut":…} (datagrams so far)
// Logs at `warn` (a benchmark measures chatting, not logging one line per message) to stderr; to see
// every action of a run, BENCH_SERVER_LOG=info BENCH_SERVER_LOG_FILE=/tmp/server.log (the level and a
// file). The store is startServer's default (in memory); BENCH_SERVER_DB=DIR gives each server process a
// database file of its own in DIR and replays history on join as `dualchat server` does (the store's
// cost on the chat path, measured against ':memory:' and against a build without a store);
// BENCH_SERVER_HISTORY=off writes no room message (`--no-history`: the same build without the store's
// per-message work).
// Ends on SIGTERM or when stdin closes, closing the server first.
import path from 'node:path';
import { pino } from 'pino';
import { HISTORY_ON_JOIN_DEFAULT } from '../../../src/chat/limits.ts';
import { ROOM_CAPACITY_MAX, RATE_LIMIT_MAX } from '../../../src/chat/limits.ts';
import { MAX_CONNECTIONS_PER_ADDRESS_LIMIT } from '../../../src/server/constants.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { workerArgs, workerIo } from '../worker-io.ts';

let server: RunningServer | undefined;
const io = workerIo(async () => {
  await server?.close();
});

const dbDir = process.env.BENCH_SERVER_DB;

async function main(): Promise<void> {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  server = await startServer({
    host: p.str('host'),
    tcpPort: p.int('tcpPort', 0, 65_535),
    udpPort: p.int('udpPort', 0, 65_535),
    ...(p.optInt('ircPort', 0, 65_535) === undefined ? {} : { ircPort: p.int('ircPort', 0, 65_535) }),
    filesDir: p.str('filesDir'),
    roomCapacity: p.int('roomCapacity', 1, ROOM_CAPACITY_MAX),
    rateLimit: p.num('rateLimit', 0, RATE_LIMIT_MAX),
    // Every benchmark client connects from 127.0.0.1: raise the per-address cap above their number.
    maxConnectionsPerAddress: p.int('maxConnectionsPerAddress', 1, MAX_CONNECTIONS_PER_ADDRESS_LIMIT),
    logger: pino({ level: process.env.BENCH_SERVER_LOG ?? 'warn' }, pino.destination(process.env.BENCH_SERVER_LOG_FILE ?? 2)),
    ...(dbDir === undefined ? {} : { db: path.join(dbDir, `bench-${process.pid}.db`), historyOnJoin: HISTORY_ON_JOIN_DEFAULT }),
    ...(process.env.BENCH_SERVER_HISTORY === 'off' ? { keepHistory: false } : {}),
  });
  io.emit({ type: 'ready', tcpPort: server.tcpPort, udpPort: server.udpPort, ...(server.ircPort === undefined ? {} : { ircPort: server.ircPort }), pid: process.pid });
  for (let i = 0; i < Number.MAX_SAFE_INTEGER; i++) {
    await io.command('cpu');
    const cpu = process.cpuUsage();
    const udp = server.stats().udp;
    io.emit({ type: 'cpu', userMs: cpu.user / 1000, systemMs: cpu.system / 1000, udpIn: udp.datagramsReceived, udpOut: udp.datagramsSent });
  }
}

main().catch((e: unknown) => io.fail(e));
