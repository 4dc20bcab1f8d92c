// Helpers for the TLS and sealed-datagram tests: a self-signed certificate made in-process (the same code
// as `dualchat cert`), a TLS session spoken by hand (lines in, lines out) with its data plane, and a tap —
// a UDP relay between one client and the server that records every datagram's bytes and lets a test
// alter or replay them, as an attacker on the path would.
import dgram from 'node:dgram';
import tls from 'node:tls';
import { parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { certificateNames, selfSignedCertificate, type PemPair } from '../../src/server/certificate.ts';
import { UdpClientPlane, type ClientPlaneEvent } from '../../src/udp/client-plane.ts';
import { until } from './udp-helpers.ts';

export const DEADLINE_MS = 10_000;

let shared: Promise<PemPair> | undefined;
/** One certificate for 127.0.0.1 and localhost per test file. */
export function testCertificate(): Promise<PemPair> {
  shared ??= selfSignedCertificate(certificateNames(undefined), new Date());
  return shared;
}

/** Resolves when `check` holds (looked at every 5 ms), rejects at the deadline. */
export async function eventually(check: () => boolean, what: string, timeoutMs = DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface TlsSession {
  readonly socket: tls.TLSSocket;
  /** Every reply line received over TLS, parsed (unparsable lines as undefined). */
  readonly replies: Reply[];
  send(line: string): void;
  waitReply(match: (r: Reply) => boolean, what: string): Promise<Reply>;
  close(): void;
}

/** A TLS connection to the server trusting `ca`, signed in as `name`. */
export async function tlsSession(port: number, ca: string, name: string): Promise<TlsSession> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const replies: Reply[] = [];
  let partial = '';
  const pokes = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    for (let nl = partial.indexOf('\n'); nl !== -1; nl = partial.indexOf('\n')) {
      const parsed = parseReply(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      if (parsed.ok) replies.push(parsed.value);
    }
    for (const p of [...pokes]) p();
  });
  const waitReply = async (match: (r: Reply) => boolean, what: string): Promise<Reply> => {
    const u = until(() => replies.some(match), what, DEADLINE_MS);
    pokes.add(u.poke);
    try {
      await u.promise;
    } finally {
      pokes.delete(u.poke);
    }
    return replies.find(match)!;
  };
  const session: TlsSession = { socket, replies, send: (line) => socket.write(`${line}\n`), waitReply, close: () => socket.destroy() };
  session.send(`<connect>${name}`);
  await waitReply((r) => r.kind === 'welcome', `welcome for ${name}`);
  return session;
}

/** The session's UDP data plane (sealed: keys from its TLS exporter), sending to `target`. */
export async function sealedPlane(session: TlsSession, target: number): Promise<{ plane: UdpClientPlane; events: ClientPlaneEvent[] }> {
  session.send('<udp>');
  const offer = await session.waitReply((r) => r.kind === 'udp', 'the <udp> offer');
  if (offer.kind !== 'udp') throw new Error('no offer');
  const events: ClientPlaneEvent[] = [];
  const plane = await UdpClientPlane.open({
    target: { address: '127.0.0.1', port: target },
    connectionId: offer.connectionId,
    token: Buffer.from(offer.token, 'hex'),
    onEvent: (e) => events.push(e),
    keyExporter: (length, label, context) => session.socket.exportKeyingMaterial(length, label, context),
  });
  await eventually(() => plane.state === 'bound', 'the sealed plane bound');
  return { plane, events };
}

/** The chat texts a plane received over UDP (`<message>` replies), in order. */
export function planeTexts(events: readonly ClientPlaneEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type !== 'line' || e.line === undefined) return [];
    const parsed = parseReply(e.line.trimEnd());
    return parsed.ok && parsed.value.kind === 'message' ? [parsed.value.text] : [];
  });
}

export interface Tap {
  readonly port: number;
  /** Every datagram the client sent and the server sent, as relayed (copies). */
  readonly toServer: Buffer[];
  readonly toClient: Buffer[];
  /** Rewrites a datagram to the server before it is relayed (undefined: unchanged). */
  alterToServer: ((bytes: Buffer) => Buffer | undefined) | undefined;
  /** Sends bytes to the server as if from the client, or to the client as if from the server. */
  injectToServer(bytes: Uint8Array): void;
  injectToClient(bytes: Uint8Array): void;
  close(): Promise<void>;
}

/** A relay for one client in front of the server's UDP port. */
export async function tap(serverUdpPort: number): Promise<Tap> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => back.bind(0, '127.0.0.1', r))]);
  let client: dgram.RemoteInfo | undefined;
  const t: Tap = {
    port: front.address().port,
    toServer: [],
    toClient: [],
    alterToServer: undefined,
    injectToServer: (bytes) => back.send(bytes, serverUdpPort, '127.0.0.1'),
    injectToClient: (bytes) => {
      if (client !== undefined) front.send(bytes, client.port, client.address);
    },
    close: async () => {
      await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
    },
  };
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    t.toServer.push(Buffer.from(msg));
    back.send(t.alterToServer?.(Buffer.from(msg)) ?? msg, serverUdpPort, '127.0.0.1');
  });
  back.on('message', (msg) => {
    t.toClient.push(Buffer.from(msg));
    if (client !== undefined) front.send(msg, client.port, client.address);
  });
  return t;
}
