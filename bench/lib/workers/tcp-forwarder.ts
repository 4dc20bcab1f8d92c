// Worker: the smallest TCP chat forwarder Node can run — the ceiling the fanout suite holds dualchat's
// TCP path against. Every complete line a client sends goes, unchanged, to every connected client
// (the sender too, as dualchat echoes a broadcast), one write per client per read: no parsing, no
// names, no rooms, no limits. Only the line framing is kept, so a line is never split between writes.
//
//   args: {"host":"127.0.0.1","port":0}
//   out:  {"type":"ready","tcpPort":…}
//   in:   {"type":"cpu"} → out {"type":"cpu","userMs":…,"systemMs":…}
import net from 'node:net';
import { workerArgs, workerIo } from '../worker-io.ts';

const NEWLINE = 0x0a;
const clients = new Set<net.Socket>();
let listener: net.Server | undefined;

const io = workerIo(async () => {
  for (const c of clients) c.destroy();
  await new Promise<void>((resolve) => (listener === undefined ? resolve() : listener.close(() => resolve())));
});

function accept(socket: net.Socket): void {
  clients.add(socket);
  let partial: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      partial = partial === undefined ? chunk : Buffer.concat([partial, chunk]);
      return;
    }
    const head = chunk.subarray(0, last + 1);
    const lines = partial === undefined ? head : Buffer.concat([partial, head]);
    partial = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : undefined;
    for (const c of clients) c.write(lines);
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => clients.delete(socket));
}

async function main(): Promise<void> {
  const p = workerArgs();
  if (typeof p === 'string') throw new Error(p);
  const host = p.str('host');
  const port = p.int('port', 0, 65_535);
  const server = net.createServer({ noDelay: true }, accept);
  listener = server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the listener has no port');
  io.emit({ type: 'ready', tcpPort: address.port, pid: process.pid });
  for (let i = 0; i < Number.MAX_SAFE_INTEGER; i++) {
    await io.command('cpu');
    const cpu = process.cpuUsage();
    io.emit({ type: 'cpu', userMs: cpu.user / 1000, systemMs: cpu.system / 1000 });
  }
}

main().catch((e: unknown) => io.fail(e));
