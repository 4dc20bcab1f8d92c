import net from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectTcp,
  LineSplitter,
  plainTcpConnect,
  type ClientConnection,
  type ConnectionEvent,
  type TcpConnectFactory,
} from '../../src/tcp/client-connection.ts';
import { localhostCertificate } from '../tcp/tls-fixture.ts';

describe('LineSplitter', () => {
  it('splits \\n and \\r\\n lines and keeps a last unterminated line for end()', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('a\nb\r\nc'))).toEqual([
      { type: 'line', text: 'a' },
      { type: 'line', text: 'b' },
    ]);
    expect(s.push(Buffer.from('d\n'))).toEqual([{ type: 'line', text: 'cd' }]);
    expect(s.push(Buffer.from('tail'))).toEqual([]);
    expect(s.end()).toEqual([{ type: 'line', text: 'tail' }]);
  });

  it('yields the same lines however the bytes are chunked (UTF-8 split across chunks too)', () => {
    const lineArb = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' '));
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 10 }), fc.array(fc.nat(40), { maxLength: 20 }), (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
        const s = new LineSplitter();
        const got: string[] = [];
        let at = 0;
        for (const cut of cuts) {
          const end = Math.min(bytes.length, at + cut);
          for (const p of s.push(bytes.subarray(at, end))) if (p.type === 'line') got.push(p.text);
          at = end;
        }
        for (const p of s.push(bytes.subarray(at))) if (p.type === 'line') got.push(p.text);
        for (const p of s.end()) if (p.type === 'line') got.push(p.text);
        expect(got).toEqual(lines);
      }),
    );
  });

  it('drops an oversize line, reports it, and resynchronises on the next line', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('0123456789'))).toEqual([]);
    expect(s.push(Buffer.from('abc'))).toEqual([]);
    expect(s.push(Buffer.from('def\nok\n'))).toEqual([
      { type: 'oversize', bytes: 16 },
      { type: 'line', text: 'ok' },
    ]);
  });
});

describe('connectTcp', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  /** A raw server on 127.0.0.1:0 that hands us each accepted socket. */
  async function rawServer(): Promise<{ port: number; accepted: Promise<net.Socket> }> {
    let accept: (s: net.Socket) => void = () => {};
    const accepted = new Promise<net.Socket>((resolve) => {
      accept = resolve;
    });
    const server = net.createServer((socket) => accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          void accepted.then((s) => s.destroy());
        }),
    );
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return { port: address.port, accepted };
  }

  /** Collects events; `next(pred)` waits (with a deadline) for the first matching one. */
  function eventLog(): { onEvent: (e: ConnectionEvent) => void; next: (p: (e: ConnectionEvent) => boolean) => Promise<ConnectionEvent> } {
    const seen: ConnectionEvent[] = [];
    const waiters: Array<{ p: (e: ConnectionEvent) => boolean; resolve: (e: ConnectionEvent) => void }> = [];
    return {
      onEvent: (e) => {
        seen.push(e);
        for (const w of [...waiters]) {
          if (w.p(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      },
      next: (p) => {
        const found = seen.find(p);
        if (found !== undefined) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no such event within 3 s')), 3_000);
          waiters.push({
            p,
            resolve: (e) => {
              clearTimeout(timer);
              resolve(e);
            },
          });
        });
      },
    };
  }

  it('sends commands as lines and parses replies; an unparseable line is surfaced, not fatal', async () => {
    const { port, accepted } = await rawServer();
    const log = eventLog();
    const result = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 2_000, onEvent: log.onEvent });
    expect(result.ok).toBe(true);
    const connection = (result as { ok: true; connection: ClientConnection }).connection;
    cleanups.push(() => connection.close());
    const peer = await accepted;
    const received: string[] = [];
    peer.on('data', (d: Buffer) => received.push(d.toString('utf8')));

    expect(connection.send({ kind: 'connect', name: 'alice' })).toBe(true);
    peer.write('<disconnected>\nthis is not a reply\n');
    const reply = await log.next((e) => e.type === 'reply');
    expect(reply).toMatchObject({ type: 'reply', reply: { kind: 'disconnected' } });
    expect(await log.next((e) => e.type === 'unparsed')).toMatchObject({ type: 'unparsed', line: 'this is not a reply' });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('command not received')), 3_000);
      const check = (): void => {
        if (received.join('').includes('\n')) {
          clearTimeout(deadline);
          resolve();
        } else peer.once('data', check);
      };
      check();
    });
    expect(received.join('')).toMatch(/^<connect>.*alice.*\n$/i);

    peer.end();
    expect(await log.next((e) => e.type === 'closed')).toEqual({ type: 'closed', by: 'remote' });
    expect(connection.isOpen).toBe(false);
    expect(connection.send({ kind: 'rooms' })).toBe(false);
  });

  it('reports a local close as local', async () => {
    const { port } = await rawServer();
    const log = eventLog();
    const result = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 2_000, onEvent: log.onEvent });
    if (!result.ok) throw new Error(result.message);
    await result.connection.close();
    expect(await log.next((e) => e.type === 'closed')).toEqual({ type: 'closed', by: 'local' });
  });

  it('returns a clear failure when nobody listens', async () => {
    const { port } = await rawServer();
    // Close the listener, keeping its port number: a port that surely refuses.
    for (const c of cleanups.splice(0)) await c();
    const result = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 2_000, onEvent: () => {} });
    expect(result).toEqual({
      ok: false,
      code: 'refused',
      message: `connection refused by 127.0.0.1:${port} (is the server running?)`,
    });
  });

  it('returns a failure for an invalid port instead of throwing', async () => {
    const result = await connectTcp({ host: '127.0.0.1', port: 70_000, timeoutMs: 500, onEvent: () => {} });
    expect(result.ok).toBe(false);
  });
  it('opens through a connect factory: plain by default, and one that records what it made', async () => {
    const { port, accepted } = await rawServer();
    const made: net.Socket[] = [];
    const recording: TcpConnectFactory = {
      readyEvent: 'connect',
      connect: (target) => {
        const socket = plainTcpConnect.connect(target);
        made.push(socket);
        return socket;
      },
    };
    const log = eventLog();
    const result = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 2_000, onEvent: log.onEvent, connectFactory: recording });
    if (!result.ok) throw new Error(result.message);
    cleanups.push(() => result.connection.close());
    expect(made).toHaveLength(1);
    expect(made[0]!.remotePort).toBe(port);
    (await accepted).write('<disconnected>\n');
    expect(await log.next((e) => e.type === 'reply')).toMatchObject({ reply: { kind: 'disconnected' } });
  });

  it('a handshake factory is ready only after the handshake: a peer that never completes it times out', async () => {
    const { port, accepted } = await rawServer(); // plain TCP: accepts, never answers a ClientHello
    const started = Date.now();
    const result = await connectTcp({
      host: '127.0.0.1',
      port,
      timeoutMs: 300,
      onEvent: () => {},
      connectFactory: { readyEvent: 'secureConnect', connect: (target) => tls.connect({ ...target, rejectUnauthorized: false }) },
    });
    expect(result).toEqual({ ok: false, code: 'timeout', message: `timed out after 0.3 s connecting to 127.0.0.1:${port}` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);
    await accepted;
  });

  const certificate = localhostCertificate();
  it.skipIf(certificate === undefined)('over TLS through the factory: lines flow once secure; an untrusted certificate is a failure, not a connection', async () => {
    const server = tls.createServer({ key: certificate!.key, cert: certificate!.cert }, (socket) => {
      socket.on('error', () => {});
      socket.write('<disconnected>\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    const trusting: TcpConnectFactory = { readyEvent: 'secureConnect', connect: (target) => tls.connect({ ...target, ca: certificate!.cert }) };
    const log = eventLog();
    const result = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 3_000, onEvent: log.onEvent, connectFactory: trusting });
    if (!result.ok) throw new Error(result.message);
    expect(await log.next((e) => e.type === 'reply')).toMatchObject({ reply: { kind: 'disconnected' } });
    await result.connection.close();

    const untrusting: TcpConnectFactory = { readyEvent: 'secureConnect', connect: (target) => tls.connect(target) };
    const refused = await connectTcp({ host: '127.0.0.1', port, timeoutMs: 3_000, onEvent: () => {}, connectFactory: untrusting });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.code).toBe('error');
    expect(!refused.ok && refused.message).toMatch(/^cannot connect to 127\.0\.0\.1:\d+: .*certificate/);
  });
});
