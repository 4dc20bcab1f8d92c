// Download end to end, in memory but on real files: the server's shared file is opened and
// announced (size, CRC-32), a sender pumps chunks into a bounded link, the receiver writes them
// into the downloads directory. The link may be cut mid-way (what is queued is lost); the client
// then plans a resume, the server grants it, and the result must be byte-identical.
import fc from 'fast-check';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeChunk } from '../../src/files/chunk-codec.ts';
import { crc32Of } from '../../src/files/crc.ts';
import type { IncomingResult } from '../../src/files/incoming.ts';
import { CHUNK_BYTES, MAX_WRITE_BACKLOG_BYTES } from '../../src/files/limits.ts';
import { createOutgoing, resumeOffset, type OutgoingState } from '../../src/files/outgoing.ts';
import { planDownload, startDownload } from '../../src/files/receive.ts';
import { ensureSharedDir } from '../../src/files/shared-dir.ts';
import { openSharedForSending } from '../../src/files/source.ts';
import { MemoryLink, patternBytes, sha256 } from './helpers.ts';

let base: string;
let shared: string;
let downloads: string;
let nextId = 1;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-transfer-'));
  shared = await ensureSharedDir(path.join(base, 'files'));
  downloads = await ensureSharedDir(path.join(base, 'downloads'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

interface Attempt {
  sender: OutgoingState;
  receiver: IncomingResult;
  offset: number;
}

/**
 * One download attempt: plan (fresh or resume), offer, pump until done or until `cutAfter` chunks
 * were delivered. Bounded: every loop pass delivers ≥ 1 chunk or the sender stops.
 */
async function attempt(name: string, cutAfter = Infinity, onChunk?: (delivered: number) => Promise<void>): Promise<Attempt> {
  const plan = await planDownload(downloads, name);
  const opened = await openSharedForSending(shared, name);
  if (!opened.ok) throw new Error(opened.error.message);
  const file = opened.file;
  try {
    const size = file.snapshot.size;
    const offset = plan.kind === 'resume' ? resumeOffset(plan, { size, crc: file.crc }) : 0;
    const id = nextId++;
    const started = await startDownload(downloads, { id, name, size, crc: file.crc, offset });
    if (!started.ok) throw new Error(started.message);
    const receiver = started.transfer;
    const link = new MemoryLink(8);
    const made = createOutgoing({ id, name, size, crc: file.crc, snapshot: file.snapshot, offset, source: file.source, sink: link });
    if (!made.ok) throw new Error(made.message);
    const sender = made.transfer;
    let delivered = 0;
    let state: OutgoingState = sender.state;
    for (let pass = 0; pass < 1_000_000; pass++) {
      state = await sender.pump();
      const batch = link.drain();
      for (const message of batch) {
        if (delivered >= cutAfter) break;
        const decoded = decodeChunk(message);
        if (!decoded.ok) throw new Error(decoded.message);
        receiver.accept(decoded.chunk);
        delivered++;
        await onChunk?.(delivered);
      }
      // Flow control reaching the disk: stop feeding while the writer is behind.
      for (let i = 0; i < 100_000 && receiver.pendingBytes > MAX_WRITE_BACKLOG_BYTES; i++) await new Promise((r) => setImmediate(r));
      if (delivered >= cutAfter) {
        sender.cancel('link lost');
        return { sender: sender.state, receiver: await receiver.interrupt(), offset };
      }
      if (state.status !== 'sending' && link.queued.length === 0) break;
    }
    if (state.status === 'failed') await receiver.cancel(state.failure.message);
    return { sender: state, receiver: await receiver.done, offset };
  } finally {
    await file.handle.close();
  }
}

async function expectIdentical(name: string, bytes: Uint8Array): Promise<void> {
  const got = new Uint8Array(await readFile(path.join(downloads, name)));
  expect(got.length).toBe(bytes.length);
  expect(sha256(got)).toBe(sha256(bytes));
  expect((await readdir(downloads)).filter((n) => n.startsWith('.'))).toEqual([]);
  await rm(path.join(downloads, name));
}

describe('download over a link that may be cut, then resumed', () => {
  const sizes = [0, 1, 1000, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, (1 << 20) + 7, 20_000_000];

  it.each(sizes)('%d bytes, uninterrupted', async (size) => {
    const name = `whole-${size}.bin`;
    const bytes = patternBytes(size, size + 3);
    await writeFile(path.join(shared, name), bytes);
    const r = await attempt(name);
    expect(r.sender).toEqual({ status: 'finished' });
    expect(r.receiver).toEqual({ ok: true, name, size, crc: crc32Of(bytes) });
    await expectIdentical(name, bytes);
  });

  it.each(sizes.filter((s) => s > CHUNK_BYTES))('%d bytes, cut half-way, resumed from the verified offset', async (size) => {
    const name = `cut-${size}.bin`;
    const bytes = patternBytes(size, size + 5);
    await writeFile(path.join(shared, name), bytes);
    const chunks = Math.ceil(size / CHUNK_BYTES);
    const first = await attempt(name, Math.floor(chunks / 2));
    expect(first.receiver).toMatchObject({ ok: false, failure: { code: 'interrupted' } });
    expect(await readdir(downloads)).not.toContain(name); // nothing visible yet
    const plan = await planDownload(downloads, name);
    expect(plan).toEqual({ kind: 'resume', offset: Math.floor(chunks / 2) * CHUNK_BYTES, size, crc: crc32Of(bytes) });
    const second = await attempt(name);
    expect(second.offset).toBe(Math.floor(chunks / 2) * CHUNK_BYTES);
    expect(second.receiver).toMatchObject({ ok: true, name });
    await expectIdentical(name, bytes);
  });

  it('survives several cuts in a row', async () => {
    const name = 'many-cuts.bin';
    const bytes = patternBytes(3_000_000, 11);
    await writeFile(path.join(shared, name), bytes);
    const offsets: number[] = [];
    for (const cut of [7, 1, 30, 0, 12]) {
      const r = await attempt(name, cut);
      offsets.push(r.offset);
      expect(r.receiver).toMatchObject({ ok: false, failure: { code: 'interrupted' } });
    }
    expect(offsets).toEqual([0, 7, 8, 38, 38].map((n) => n * CHUNK_BYTES));
    expect((await attempt(name)).receiver).toMatchObject({ ok: true });
    await expectIdentical(name, bytes);
  });

  it('property: any size and cut point give an identical file after the resume', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 1000 }), async (size, cut, seed) => {
        const name = `prop-${size}-${cut}-${seed}.bin`;
        const bytes = patternBytes(size, seed);
        await writeFile(path.join(shared, name), bytes);
        const first = await attempt(name, cut); // a cut after the last chunk is no cut
        const done = first.receiver.ok ? first : await attempt(name);
        expect(done.receiver).toMatchObject({ ok: true, name });
        await expectIdentical(name, bytes);
        await rm(path.join(shared, name));
      }),
      { numRuns: 15 },
    );
  });

  it('a server file replaced between the cut and the resume is downloaded again from 0', async () => {
    const name = 'replaced.bin';
    const old = patternBytes(200_000, 1);
    await writeFile(path.join(shared, name), old);
    await attempt(name, 3);
    const fresh = patternBytes(150_000, 2);
    await writeFile(path.join(shared, name), fresh);
    const r = await attempt(name);
    expect(r.offset).toBe(0);
    expect(r.receiver).toMatchObject({ ok: true });
    await expectIdentical(name, fresh);
  });

  it('a file that changes during the transfer is detected; nothing partial stays visible', async () => {
    const name = 'growing.log';
    const bytes = patternBytes(300_000, 4);
    await writeFile(path.join(shared, name), bytes);
    const r = await attempt(name, Infinity, async (delivered) => {
      if (delivered === 2) await appendFile(path.join(shared, name), 'one more line\n');
    });
    expect(r.sender).toMatchObject({ status: 'failed', failure: { code: 'changed', message: expect.stringMatching(/changed while being sent/) } });
    expect(r.receiver).toMatchObject({ ok: false, failure: { code: 'cancelled' } });
    expect(await readdir(downloads)).toEqual([]);
  });
});
