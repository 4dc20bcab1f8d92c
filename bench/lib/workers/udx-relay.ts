// Worker: a minimal chat relay over udx-native (reliable, congestion-controlled streams over UDP with
// BBR-style pacing and RACK loss detection, in native code): for each pair, what the sender's stream
// delivers is written, unchanged, to the receiver's stream — the same relay shape as sender → dualchat
// server → receiver, with the forwarding done in JavaScript as dualchat's is. Ports and stream ids
// follow bench/lib/udx-pairs.ts.
//
//   args: {"host":"127.0.0.1","port":7100,"basePort":7200,"pairs":9}
//   out:  {"type":"ready","port":7100}
// With "basePort":0 (chat-wan: no namespace, so no fixed ports; port may be 0 too) the relay binds,
// says ready with its port, and waits to be told where each pair's ends are — the ports its datagrams
// to the sender and to the receiver go to (impairment proxies in front of the clients):
//   in:   {"type":"connect","ends":[[senderPort,receiverPort], …one per pair]}
//   out:  {"type":"connected"}
//   in:   {"type":"cpu"} → out {"type":"cpu","userMs":…,"systemMs":…}
import UDX, { type UdxSocket, type UdxStream } from 'udx-native';
import { MAX_UDX_PAIRS, udxPairEnds, udxPairIds } from '../udx-pairs.ts';
import { workerArgs, workerIo } from '../worker-io.ts';

const streams: UdxStream[] = [];
let socket: UdxSocket | undefined;

const io = workerIo(async () => {
  for (const s of streams) s.destroy();
  await socket?.close();
});

async function main(): Promise<void> {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  const host = p.str('host');
  const port = p.int('port', 0, 65_535);
  const basePort = p.int('basePort', 0, 65_535);
  const pairs = p.int('pairs', 1, MAX_UDX_PAIRS);
  const udx = new UDX();
  const bound = udx.createSocket();
  socket = bound;
  bound.bind(port, host);
  const connect = (pair: number, senderPort: number, receiverPort: number): void => {
    const ids = udxPairIds(pair);
    const fromSender = udx.createStream(ids.relayToSenderId);
    const toReceiver = udx.createStream(ids.relayToReceiverId);
    fromSender.connect(bound, ids.senderId, senderPort, host);
    toReceiver.connect(bound, ids.receiverId, receiverPort, host);
    fromSender.on('data', (chunk: Buffer) => toReceiver.write(chunk));
    toReceiver.resume(); // the receiver sends nothing; keep the readable side flowing anyway
    for (const s of [fromSender, toReceiver]) s.on('error', (e: Error) => io.fail(e));
    streams.push(fromSender, toReceiver);
  };
  if (basePort !== 0) {
    for (let pair = 0; pair < pairs; pair++) {
      const ends = udxPairEnds(basePort, pair);
      connect(pair, ends.senderPort, ends.receiverPort);
    }
  }
  io.emit({ type: 'ready', port: bound.address().port, pid: process.pid });
  if (basePort === 0) {
    const told = readEnds((await io.command('connect'))['ends'], pairs);
    told.forEach(([senderPort, receiverPort], pair) => connect(pair, senderPort, receiverPort));
    io.emit({ type: 'connected' });
  }
  for (let i = 0; i < Number.MAX_SAFE_INTEGER; i++) {
    await io.command('cpu');
    const cpu = process.cpuUsage();
    io.emit({ type: 'cpu', userMs: cpu.user / 1000, systemMs: cpu.system / 1000 });
  }
}

/** The `connect` command's ends: one [senderPort, receiverPort] per pair; throws naming what is wrong. */
function readEnds(value: unknown, pairs: number): Array<[number, number]> {
  const port = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 65_535;
  if (!Array.isArray(value) || value.length !== pairs) throw new RangeError(`connect: ends must list ${pairs} pairs (got ${JSON.stringify(value)?.slice(0, 200)})`);
  return value.map((e: unknown, pair) => {
    if (!Array.isArray(e) || e.length !== 2 || !port(e[0]) || !port(e[1])) throw new RangeError(`connect: pair ${pair} must be [senderPort, receiverPort] (got ${JSON.stringify(e)})`);
    return [e[0], e[1]];
  });
}

main().catch((e: unknown) => io.fail(e));
