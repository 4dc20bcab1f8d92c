// ControlConnection over a real loopback socket pair: how a connection ends.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandFramer } from '../../src/doors/bracket/framing.ts';
import { ControlConnection, type CloseReason } from '../../src/tcp/connection.ts';

/** A linger far longer than any deadline below: a close that waits for it fails the test. */
const LONG_LINGER_MS = 60_000;
const DEADLINE_MS = 5_000;

interface Ended {
  reason: CloseReason;
  detail: string;
}

interface Pair {
  client: net.Socket;
  errors: string[];
  lines: string[];
  ended: Promise<Ended>;
}

const servers: net.Server[] = [];
const clients: net.Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}

/** A server whose one connection behaves as the chat server's does: report a fatal error, then end(). */
async function connectPair(maxLineBytes: number): Promise<Pair> {
  const errors: string[] = [];
  const lines: string[] = [];
  let resolveEnded!: (e: Ended) => void;
  const ended = new Promise<Ended>((resolve) => (resolveEnded = resolve));
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const connection = new ControlConnection(socket, {
      maxPendingWriteBytes: 1 << 20,
      lingerMs: LONG_LINGER_MS,
      framer: new CommandFramer({ maxLineBytes }),
    });
    connection.start({
      line: (text) => {
        lines.push(text);
        // Answer each line three times in one go: the three leave in one write (one batch per iteration).
        if (text.startsWith('<echo>')) for (let i = 0; i < 3; i++) connection.writeBytes(Buffer.from(`${text}${i}\n`));
        // More parts than a gathered write takes: joined into one copy, still one write.
        if (text.startsWith('<many>')) for (let i = 0; i < 9; i++) connection.writeBytes(Buffer.from(`${text}${i}\n`));
      },
      framingError: (code, fatal) => {
        errors.push(code);
        connection.write(`<error>${code}\n`);
        if (fatal) connection.end('lost', `framing error: ${code}`);
      },
      peerEnded: () => connection.end(),
      closed: (reason, detail) => resolveEnded({ reason, detail }),
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  clients.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  return { client, errors, lines, ended };
}

/** Sends `line` and collects the chunks the client reads until `count` answer lines are in. */
async function chunksOfAnswers(pair: Pair, line: string, count: number): Promise<string[]> {
  const chunks: string[] = [];
  const all = new Promise<void>((resolve) =>
    pair.client.on('data', (chunk: Buffer) => {
      chunks.push(chunk.toString('utf8'));
      if (chunks.join('').split('\n').length > count) resolve();
    }),
  );
  pair.client.write(`${line}\n`);
  await withDeadline(all, `${count} answers`);
  return chunks;
}

describe('ControlConnection', () => {
  it('closes at once after a fatal framing error when the peer answers the FIN', async () => {
    const pair = await connectPair(64);
    pair.client.on('data', () => undefined);
    // The client (not half-open) sends its FIN as soon as it sees the server's.
    pair.client.write(`<set_msg_all>${'x'.repeat(200)}\n`);
    const ended = await withDeadline(pair.ended, 'close');
    expect(ended).toEqual({ reason: 'lost', detail: 'framing error: line-too-long' });
    expect(pair.errors).toEqual(['line-too-long']);
    expect(pair.lines).toEqual([]);
  });

  it('drops what the peer sends after a fatal error, and still sees its FIN', async () => {
    const pair = await connectPair(64);
    pair.client.on('data', () => undefined);
    pair.client.write(`<connect>${'y'.repeat(100)}`);
    // More bytes after the error, well past what a paused socket would buffer before it stops
    // reading (and so would never see the FIN), with complete lines among them: none becomes a line.
    for (let i = 0; i < 256; i++) pair.client.write(`${'z'.repeat(1000)}\n<get_users>\n`);
    const ended = await withDeadline(pair.ended, 'close');
    expect(ended.reason).toBe('lost');
    expect(pair.errors).toEqual(['line-too-long']);
    expect(pair.lines).toEqual([]);
  });

  it('reports an orderly end when the peer closes', async () => {
    const pair = await connectPair(1024);
    pair.client.end('<get_users>\n');
    const ended = await withDeadline(pair.ended, 'close');
    expect(ended).toEqual({ reason: 'disconnect', detail: 'peer closed the connection' });
    expect(pair.lines).toEqual(['<get_users>']);
  });

  it('sends what it was given in one iteration as one write', async () => {
    expect(await chunksOfAnswers(await connectPair(1024), '<echo>a', 3)).toEqual(['<echo>a0\n<echo>a1\n<echo>a2\n']);
  });

  it('sends many parts given in one iteration as one write too (joined)', async () => {
    expect(await chunksOfAnswers(await connectPair(1024), '<many>b', 9)).toEqual([Array.from({ length: 9 }, (_, i) => `<many>b${i}\n`).join('')]);
  });

  it('hands an iteration’s queue to the socket at the bound, and drops a peer that does not read within that iteration', async () => {
    const MAX = 64 * 1024;
    let resolveDone!: (v: { accepted: number; tried: number; closed: Ended }) => void;
    const done = new Promise<{ accepted: number; tried: number; closed: Ended }>((resolve) => (resolveDone = resolve));
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      let ended: ((e: Ended) => void) | undefined;
      const closed = new Promise<Ended>((resolve) => (ended = resolve));
      const connection = new ControlConnection(socket, { maxPendingWriteBytes: MAX, lingerMs: LONG_LINGER_MS, framer: new CommandFramer() });
      connection.start({ line: () => undefined, framingError: () => undefined, peerEnded: () => undefined, closed: (reason, detail) => ended?.({ reason, detail }) });
      // One iteration: 64 MiB offered to a peer that reads nothing.
      const piece = Buffer.alloc(MAX, 0x61);
      let accepted = 0;
      let tried = 0;
      for (; tried < 1024; tried++) {
        if (!connection.writeBytes(piece)) break;
        accepted++;
      }
      void closed.then((c) => resolveDone({ accepted, tried, closed: c }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    clients.push(client);
    client.pause();
    const result = await withDeadline(done, 'the drop');
    expect(result.closed.reason).toBe('lost');
    expect(result.closed.detail).toMatch(/not reading/);
    expect(result.tried).toBeLessThan(1024);
    // What it held never passed the kernel's buffers plus twice the bound.
    expect(result.accepted * MAX).toBeLessThan(64 * 1024 * 1024);
  });
});
