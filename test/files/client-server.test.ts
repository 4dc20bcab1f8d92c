// Client and server coordinators end to end, in memory: requests travel as FileRequest values,
// notices as FileNotice values (what the wiring will put on TCP lines), chunks through bounded
// links (what the engine's bulk channel will carry). Real directories on both sides.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeChunk } from '../../src/files/chunk-codec.ts';
import { ClientFiles, prepareClientDirs, type ClientFileEvent } from '../../src/files/client-files.ts';
import { DEFAULT_FILE_OPTIONS } from '../../src/files/options.ts';
import type { FileRequest } from '../../src/files/protocol.ts';
import { ServerFiles, type Party } from '../../src/files/server-files.ts';
import { ensureSharedDir } from '../../src/files/shared-dir.ts';
import { MemoryLink, patternBytes, sha256 } from './helpers.ts';

interface Peer {
  party: Party;
  client: ClientFiles;
  events: ClientFileEvent[];
  up: MemoryLink; // client → server
  down: MemoryLink; // server → client
  chain: Promise<void>; // the server handles one session's requests in order
  downloads: string;
  received: string;
  online: boolean;
}

let base: string;
let shared: string;
let server: ServerFiles;
let peers: Map<number, Peer>;
let nextSession = 1;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-clientserver-'));
  shared = await ensureSharedDir(path.join(base, 'files'));
  const spool = await ensureSharedDir(path.join(shared, '.relay'));
  peers = new Map();
  server = new ServerFiles({
    root: shared,
    spoolDir: spool,
    options: DEFAULT_FILE_OPTIONS,
    linkFor: (s) => {
      const p = peers.get(s);
      return p?.online ? p.down : undefined;
    },
    emit: (o) => {
      if (o.type !== 'notice') return;
      const p = peers.get(o.session);
      if (p?.online) void p.client.notice(o.notice);
    },
    now: () => 0,
  });
});

afterEach(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

async function connect(name: string, autoAccept = true, home = name): Promise<Peer> {
  const session = nextSession++;
  const downloads = await ensureSharedDir(path.join(base, home, 'downloads'));
  const received = await ensureSharedDir(path.join(base, home, 'received_files'));
  const peer: Peer = {
    party: { session, name },
    events: [],
    up: new MemoryLink(8),
    down: new MemoryLink(8),
    chain: Promise.resolve(),
    downloads,
    received,
    online: true,
    client: undefined as unknown as ClientFiles,
  };
  peer.client = new ClientFiles({
    downloadsDir: downloads,
    receivedDir: received,
    autoAccept,
    send: (r) => {
      peer.chain = peer.chain.then(() => dispatch(peer, r));
    },
    emit: (e) => peer.events.push(e),
    link: () => (peer.online ? peer.up : undefined),
  });
  peers.set(session, peer);
  return peer;
}

/** What the wiring does with a parsed request. */
async function dispatch(peer: Peer, r: FileRequest): Promise<void> {
  if (!peer.online) return;
  const s = peer.party.session;
  switch (r.kind) {
    case 'download':
      return server.download(s, r.name);
    case 'resume':
      return server.download(s, r.name, r);
    case 'upload':
      return server.upload(peer.party, r);
    case 'sendfile': {
      const to = [...peers.values()].find((p) => p.online && p.party.name === r.to);
      return server.sendFile(peer.party, r, r.to, to?.party);
    }
    case 'cancel':
      return server.cancel(s, r.id);
    case 'accept':
      return server.accept(s, r.id);
    case 'decline':
      return server.decline(s, r.id);
    case 'received':
      return server.received(s, r.id);
  }
}

/** One round of the engine: move chunks both ways and let both sides queue more. */
function round(limit = Infinity): number {
  let moved = 0;
  for (const peer of peers.values()) {
    if (!peer.online) continue;
    for (const m of peer.up.drain()) {
      const d = decodeChunk(m);
      if (d.ok) server.chunk(peer.party.session, d.chunk);
      moved++;
    }
    for (const m of peer.down.drain(limit)) {
      const d = decodeChunk(m);
      if (d.ok) peer.client.chunk(d.chunk);
      moved++;
    }
    server.pump(peer.party.session);
    peer.client.pump();
  }
  return moved;
}

/** Run rounds until `check` holds (bounded by a deadline, waiting on the event loop). */
async function until(check: () => boolean, what: string, perRound = Infinity): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    round(perRound);
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function last(peer: Peer, type: ClientFileEvent['type']): ClientFileEvent | undefined {
  return [...peer.events].reverse().find((e) => e.type === type);
}

function has(peer: Peer, type: ClientFileEvent['type']): boolean {
  return last(peer, type) !== undefined;
}

async function leave(peer: Peer): Promise<void> {
  peer.online = false;
  await peer.client.linkLost();
  await server.disconnect(peer.party.session);
}

describe('client and server together', () => {
  it('download: progress up to 100 %, identical file, nothing left on the server', async () => {
    const bytes = patternBytes(2_000_000, 3);
    await writeFile(path.join(shared, 'report.pdf'), bytes);
    const alice = await connect('alice');
    await alice.client.download('report.pdf');
    await until(() => has(alice, 'finished'), 'the download');
    expect(last(alice, 'finished')).toMatchObject({ direction: 'download', name: 'report.pdf', savedAs: 'report.pdf' });
    const percents = alice.events.flatMap((e) => (e.type === 'progress' ? [e.percent] : []));
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(100);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(sha256(new Uint8Array(await readFile(path.join(alice.downloads, 'report.pdf'))))).toBe(sha256(bytes));
    await until(() => server.transfers === 0, 'the server to free the transfer');
  });

  it('several downloads at once share the link and all arrive intact', async () => {
    const files = [0, 1, 2].map((i) => patternBytes(400_000 + i * 77_777, 20 + i));
    await Promise.all(files.map((bytes, i) => writeFile(path.join(shared, `part${i}.txt`), bytes)));
    const alice = await connect('alice');
    await Promise.all(files.map((_, i) => alice.client.download(`part${i}.txt`)));
    await until(() => alice.events.filter((e) => e.type === 'finished').length === 3, 'three downloads', 3);
    for (const [i, bytes] of files.entries()) {
      expect(sha256(new Uint8Array(await readFile(path.join(alice.downloads, `part${i}.txt`))))).toBe(sha256(bytes));
    }
    const ids = new Set(alice.events.flatMap((e) => (e.type === 'progress' ? [e.id] : [])));
    expect(ids.size).toBe(3);
  });

  it('download cut by a lost connection resumes in the next session from the verified bytes', async () => {
    const bytes = patternBytes(3_000_000, 4);
    await writeFile(path.join(shared, 'movie.jpg'), bytes);
    const first = await connect('alice');
    await first.client.download('movie.jpg');
    await until(() => first.events.some((e) => e.type === 'progress' && e.percent >= 30), 'a third', 2);
    await leave(first);
    expect(last(first, 'failed')).toMatchObject({ direction: 'download', code: 'interrupted', resumable: true });
    expect(await readdir(first.downloads)).not.toContain('movie.jpg');
    expect(server.transfers).toBe(0);

    const again = await connect('alice', true, 'alice'); // same downloads directory, a new session
    await again.client.download('movie.jpg');
    const requested = again.events.find((e) => e.type === 'requested');
    expect(requested).toMatchObject({ name: 'movie.jpg', resumeFrom: expect.any(Number) });
    expect(requested?.type === 'requested' && (requested.resumeFrom ?? 0) > 0).toBe(true);
    await until(() => has(again, 'finished'), 'the resumed download');
    expect(sha256(new Uint8Array(await readFile(path.join(again.downloads, 'movie.jpg'))))).toBe(sha256(bytes));
    expect(await readdir(again.downloads)).toEqual(['movie.jpg']);
  });

  it('the data plane lost mid-download (connection alive): what arrived is kept, the rest asked for at once', async () => {
    const bytes = patternBytes(3_000_000, 8);
    await writeFile(path.join(shared, 'clip.png'), bytes);
    const alice = await connect('alice');
    await alice.client.download('clip.png');
    // Received (not only written) up to 40 %: the rest is surely still on its way.
    await until(() => (alice.client.list()[0]?.done ?? 0) >= 1_200_000, 'some progress', 2);
    // The engine dies: chunks in flight are gone, the link it pinned is dead; a fresh link (TCP) replaces it.
    const dead = alice.down;
    dead.queued = [];
    dead.open = false;
    alice.down = new MemoryLink(8);
    await alice.client.dataPlaneLost();
    await until(() => has(alice, 'finished'), 'the download, resumed');
    const asked = alice.events.filter((e) => e.type === 'requested');
    expect(asked).toHaveLength(2);
    const resumed = asked[1];
    expect(resumed?.type === 'requested' && (resumed.resumeFrom ?? 0) > 0).toBe(true);
    expect(has(alice, 'failed')).toBe(false);
    expect(sha256(new Uint8Array(await readFile(path.join(alice.downloads, 'clip.png'))))).toBe(sha256(bytes));
    expect(await readdir(alice.downloads)).toEqual(['clip.png']);
    await until(() => server.transfers === 0, 'the server to free both transfers');
  });

  it('cancel removes the partial download and frees the server', async () => {
    await writeFile(path.join(shared, 'big.png'), patternBytes(2_000_000, 5));
    const alice = await connect('alice');
    await alice.client.download('big.png');
    await until(() => alice.events.some((e) => e.type === 'progress' && e.percent >= 10), 'some progress', 1);
    await alice.client.cancel();
    await until(() => has(alice, 'failed') && server.transfers === 0, 'the cancel');
    expect(last(alice, 'failed')).toMatchObject({ code: 'cancelled', resumable: false });
    expect(await readdir(alice.downloads)).toEqual([]);
  });

  it('a refused download and an ambiguous /cancel are reported', async () => {
    const alice = await connect('alice');
    await alice.client.download('nothing.txt');
    await until(() => has(alice, 'failed'), 'the refusal');
    expect(last(alice, 'failed')).toMatchObject({ direction: 'download', name: 'nothing.txt', code: 'unknown-file' });
    await alice.client.cancel();
    expect(last(alice, 'error')).toEqual({ type: 'error', message: 'nothing to cancel: no transfer in progress' });
  });

  it('upload: stored under a non-colliding name', async () => {
    await writeFile(path.join(shared, 'notes.txt'), 'existing');
    const local = path.join(base, 'notes.txt');
    const bytes = patternBytes(200_000, 6);
    await writeFile(local, bytes);
    const alice = await connect('alice');
    await alice.client.upload(local);
    await until(() => has(alice, 'finished'), 'the upload');
    expect(last(alice, 'finished')).toMatchObject({ direction: 'upload', name: 'notes.txt', savedAs: 'notes (1).txt' });
    expect(sha256(new Uint8Array(await readFile(path.join(shared, 'notes (1).txt'))))).toBe(sha256(bytes));
    await alice.client.upload(path.join(base, 'missing.txt'));
    expect(last(alice, 'error')).toMatchObject({ message: expect.stringMatching(/no such file/) });
  });

  it('an upload or a file sent, announced and unanswered when the connection goes, is reported, not dropped silently', async () => {
    const local = path.join(base, 'notes.txt');
    await writeFile(local, patternBytes(1_000, 7));
    const empty = path.join(base, 'empty.txt');
    await writeFile(empty, '');
    const alice = await connect('alice');
    alice.online = false; // the announcements never reach the server
    await alice.client.upload(local);
    await alice.client.sendTo('bob', empty, false);
    await alice.client.linkLost('the connection was lost');
    const failed = alice.events.filter((e) => e.type === 'failed');
    expect(failed).toMatchObject([
      { direction: 'upload', name: 'notes.txt', code: 'link-lost', message: expect.stringContaining('nothing of it was sent; /upload it again') },
      { direction: 'send', name: 'empty.txt', code: 'link-lost', message: expect.stringContaining('may or may not have been delivered to bob') },
    ]);
    expect(alice.client.busy).toBe(false);
  });

  it('an upload over the limit is refused before a byte is sent', async () => {
    const local = path.join(base, 'huge.txt');
    await writeFile(local, patternBytes(DEFAULT_FILE_OPTIONS.maxUploadBytes + 1));
    const alice = await connect('alice');
    await alice.client.upload(local);
    await until(() => has(alice, 'failed'), 'the refusal');
    expect(last(alice, 'failed')).toMatchObject({ direction: 'upload', code: 'too-large' });
    expect(alice.up.queued).toHaveLength(0);
    expect(await readdir(shared)).toEqual(['.relay']);
  });

  it('send to a user: auto-accepted, stored in received_files, the sender told it was delivered', async () => {
    const local = path.join(base, 'holiday.jpg');
    const bytes = patternBytes(300_000, 7);
    await writeFile(local, bytes);
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.client.sendTo('bob', local, true);
    await until(() => has(alice, 'finished') && has(bob, 'finished'), 'the delivery');
    expect(last(bob, 'offer')).toMatchObject({ from: 'alice', name: 'holiday.jpg', size: 300_000, accepted: true });
    expect(last(bob, 'finished')).toMatchObject({ direction: 'receive', savedAs: 'holiday.jpg' });
    expect(last(alice, 'finished')).toMatchObject({ direction: 'send', to: 'bob' });
    expect(sha256(new Uint8Array(await readFile(path.join(bob.received, 'holiday.jpg'))))).toBe(sha256(bytes));
    expect(await readdir(path.join(shared, '.relay'))).toEqual([]);
  });

  it('with --ask the recipient sees the offer and may decline', async () => {
    const local = path.join(base, 'doc.pdf');
    await writeFile(local, patternBytes(1000));
    const alice = await connect('alice');
    const bob = await connect('bob', false);
    await alice.client.sendTo('bob', local, false);
    await until(() => has(bob, 'offer'), 'the offer');
    const offer = last(bob, 'offer');
    expect(offer).toMatchObject({ accepted: false, name: 'doc.pdf' });
    if (offer?.type !== 'offer') throw new Error('no offer');
    bob.client.decline(offer.id);
    await until(() => has(alice, 'failed'), 'the decline');
    expect(last(alice, 'failed')).toMatchObject({ direction: 'send', code: 'declined' });
    expect(await readdir(bob.received)).toEqual([]);
  });

  it('send to an unknown user, or to oneself, is refused', async () => {
    const local = path.join(base, 'a.txt');
    await writeFile(local, 'hi');
    const alice = await connect('alice');
    await alice.client.sendTo('carol', local, false);
    await until(() => has(alice, 'failed'), 'the refusal');
    expect(last(alice, 'failed')).toMatchObject({ direction: 'send', code: 'unknown-user', message: 'no user named "carol" is online' });
    await alice.client.sendTo('alice', local, false);
    await until(() => alice.events.filter((e) => e.type === 'failed').length === 2, 'the second refusal');
    expect(last(alice, 'failed')).toMatchObject({ direction: 'send', code: 'bad-argument' });
  });
});

describe('prepareClientDirs', () => {
  it('creates both directories, keeps resumable downloads, drops other leftovers', async () => {
    const downloads = path.join(base, 'c', 'downloads');
    const received = path.join(base, 'c', 'received_files');
    expect(await prepareClientDirs(downloads, received)).toEqual({ downloadsDir: downloads, receivedDir: received });
    await writeFile(path.join(downloads, '.a.txt.part-download'), 'resumable');
    await writeFile(path.join(received, '.b.jpg.part-12'), 'stale');
    await prepareClientDirs(downloads, received);
    expect(await readdir(downloads)).toEqual(['.a.txt.part-download']);
    expect(await readdir(received)).toEqual([]);
  });
});
