// Worker: a minimal chat relay over udx-native (reliable, congestion-controlled streams over UDP with
// BBR-style pacing and RACK loss detection, in native code): for each pair, what the sender's stream
// delivers is written, unchanged, to the receiver's stream — the same relay shape as sender → dualchat
// server → receiver, with the forwarding done in JavaScript as dualchat's is. Ports and stream ids
// follow bench/lib/udx-pairs.ts.
//
//   args: {"host":"127.0.0.1","port":7100,"basePort":7200,"pairs":9}
//   out:  {"type":"ready"}
//   in:   {"type":"cpu"} → out {"type":"cpu","userMs":…,"systemMs":…}
import UDX, { type UdxSocket, type UdxStream } from 'udx-native';
import { MAX_UDX_PAIRS, udxPairEnds } from '../udx-pairs.ts';
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
  const port = p.int('port', 1, 65_535);
  const basePort = p.int('basePort', 1, 65_535);
  const pairs = p.int('pairs', 1, MAX_UDX_PAIRS);
  const udx = new UDX();
  socket = udx.createSocket();
  socket.bind(port, host);
  for (let pair = 0; pair < pairs; pair++) {
    const ends = udxPairEnds(basePort, pair);
    const fromSender = udx.createStream(ends.relayToSenderId);
    const toReceiver = udx.createStream(ends.relayToReceiverId);
    fromSender.connect(socket, ends.senderId, ends.senderPort, host);
    toReceiver.connect(socket, ends.receiverId, ends.receiverPort, host);
    fromSender.on('data', (chunk: Buffer) => toReceiver.write(chunk));
    toReceiver.resume(); // the receiver sends nothing; keep the readable side flowing anyway
    for (const s of [fromSender, toReceiver]) s.on('error', (e: Error) => io.fail(e));
    streams.push(fromSender, toReceiver);
  }
  io.emit({ type: 'ready', pid: process.pid });
  for (let i = 0; i < Number.MAX_SAFE_INTEGER; i++) {
    await io.command('cpu');
    const cpu = process.cpuUsage();
    io.emit({ type: 'cpu', userMs: cpu.user / 1000, systemMs: cpu.system / 1000 });
  }
}

main().catch((e: unknown) => io.fail(e));
