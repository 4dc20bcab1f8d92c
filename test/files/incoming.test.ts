import { describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/files/chunk-codec.ts';
import { crc32Of } from '../../src/files/crc.ts';
import { IncomingTransfer, type IncomingOptions } from '../../src/files/incoming.ts';
import { MemoryPart, patternBytes } from './helpers.ts';

const ID = 5;

function receiver(bytes: Uint8Array, part: MemoryPart, extra: Partial<IncomingOptions> = {}): IncomingTransfer {
  return new IncomingTransfer({ id: ID, name: 'notes.txt', size: bytes.length, crc: crc32Of(bytes), writer: part, ...extra });
}

/** The file cut in chunks of `n` bytes from `from`, the last one final. */
function cut(bytes: Uint8Array, n: number, from = 0): Chunk[] {
  const out: Chunk[] = [];
  for (let offset = from; ; offset += n) {
    const end = Math.min(offset + n, bytes.length);
    out.push({ transferId: ID, offset, final: end === bytes.length, data: bytes.subarray(offset, end) });
    if (end === bytes.length) return out;
  }
}

describe('IncomingTransfer', () => {
  it('writes ordered chunks, verifies size and CRC, stores under the final name', async () => {
    const bytes = patternBytes(100);
    const part = new MemoryPart('notes.txt');
    const progress: number[] = [];
    const t = receiver(bytes, part, { onProgress: (w) => progress.push(w) });
    for (const c of cut(bytes, 30)) expect(t.accept(c)).toBe(true);
    expect(t.received).toBe(100);
    expect(t.status).toBe('completing');
    expect(await t.done).toEqual({ ok: true, name: 'notes.txt', size: 100, crc: crc32Of(bytes) });
    expect(t.status).toBe('stored');
    expect(part.stored.get('notes.txt')).toEqual(bytes);
    expect(progress).toEqual([30, 60, 90, 100]);
    expect(t.pendingBytes).toBe(0);
    expect(t.accept({ transferId: ID, offset: 100, final: true, data: new Uint8Array(0) })).toBe(false);
  });

  it('numbers the name when it is taken (the writer decides)', async () => {
    const stored = new Map([['notes.txt', new Uint8Array(1)]]);
    const bytes = patternBytes(3);
    const t = receiver(bytes, new MemoryPart('notes.txt', stored));
    cut(bytes, 10).forEach((c) => t.accept(c));
    expect(await t.done).toMatchObject({ ok: true, name: 'notes.txt (1)' });
  });

  it('receives an empty file from one empty final chunk', async () => {
    const part = new MemoryPart('empty.txt');
    const t = new IncomingTransfer({ id: ID, name: 'empty.txt', size: 0, crc: 0, writer: part });
    t.accept({ transferId: ID, offset: 0, final: true, data: new Uint8Array(0) });
    expect(await t.done).toMatchObject({ ok: true, size: 0 });
    expect(part.stored.get('empty.txt')).toEqual(new Uint8Array(0));
  });

  it('a CRC mismatch removes the partial file and stores nothing', async () => {
    const bytes = patternBytes(50);
    const part = new MemoryPart('notes.txt');
    const t = receiver(bytes, part, { crc: (crc32Of(bytes) ^ 1) >>> 0 });
    cut(bytes, 20).forEach((c) => t.accept(c));
    const r = await t.done;
    expect(r).toMatchObject({ ok: false, failure: { code: 'crc', message: expect.stringMatching(/arrived damaged/) } });
    expect(part.state).toBe('discarded');
    expect(part.stored.size).toBe(0);
  });

  it.each([
    ['a gap', { transferId: ID, offset: 10, final: false, data: new Uint8Array(5) }, 'protocol', /chunk at byte 10, expected byte 0/],
    ['another transfer', { transferId: ID + 1, offset: 0, final: false, data: new Uint8Array(5) }, 'protocol', /transfer 6/],
    ['too many bytes', { transferId: ID, offset: 0, final: false, data: new Uint8Array(21) }, 'size', /more than the 20 bytes/],
    ['an early end', { transferId: ID, offset: 0, final: true, data: new Uint8Array(19) }, 'size', /ended at byte 19, 20 were announced/],
  ])('%s fails the transfer and removes the partial file', async (_what, chunk, code, message) => {
    const part = new MemoryPart('notes.txt');
    const t = receiver(patternBytes(20), part);
    expect(t.accept(chunk)).toBe(false);
    expect(await t.done).toMatchObject({ ok: false, failure: { code, message: expect.stringMatching(message) } });
    expect(part.state).toBe('discarded');
  });

  it('cancel removes the partial file; later chunks are refused', async () => {
    const bytes = patternBytes(100);
    const part = new MemoryPart('notes.txt');
    const t = receiver(bytes, part);
    const chunks = cut(bytes, 10);
    chunks.slice(0, 3).forEach((c) => t.accept(c));
    expect(await t.cancel()).toMatchObject({ ok: false, failure: { code: 'cancelled' } });
    expect(part.state).toBe('discarded');
    expect(part.data).toEqual([]);
    expect(t.accept(chunks[3] as Chunk)).toBe(false);
    expect(t.pendingBytes).toBe(0);
  });

  it('interrupt finishes accepted writes and keeps them for a resume', async () => {
    const bytes = patternBytes(100);
    const part = new MemoryPart('notes.txt');
    const t = receiver(bytes, part);
    cut(bytes, 10).slice(0, 4).forEach((c) => t.accept(c));
    const r = await t.interrupt();
    expect(r).toMatchObject({ ok: false, failure: { code: 'interrupted' } });
    expect(part.state).toBe('suspended');
    expect(part.checkpoints.at(-1)).toEqual({ verified: 40, prefixCrc: crc32Of(bytes.subarray(0, 40)) });
    expect(Uint8Array.from(part.data)).toEqual(bytes.subarray(0, 40));
  });

  it('records checkpoints as it goes', async () => {
    const bytes = patternBytes(100);
    const part = new MemoryPart('notes.txt');
    const t = receiver(bytes, part, { checkpointBytes: 25 });
    cut(bytes, 10).forEach((c) => t.accept(c));
    await t.done;
    expect(part.checkpoints).toEqual(
      [30, 60, 90].map((n) => ({ verified: n, prefixCrc: crc32Of(bytes.subarray(0, n)) })),
    );
  });

  it('resumes at an offset with the CRC of the bytes already there', async () => {
    const bytes = patternBytes(100);
    const prefix = { offset: 40, prefixCrc: crc32Of(bytes.subarray(0, 40)) };
    const part = new MemoryPart('notes.txt');
    part.data = [...bytes.subarray(0, 40)];
    const t = receiver(bytes, part, prefix);
    expect(t.received).toBe(40);
    cut(bytes, 25, 40).forEach((c) => expect(t.accept(c)).toBe(true));
    expect(await t.done).toMatchObject({ ok: true });
    expect(part.stored.get('notes.txt')).toEqual(bytes);

    const restarted = receiver(bytes, new MemoryPart('notes.txt'), prefix);
    expect(restarted.accept(cut(bytes, 30)[0] as Chunk)).toBe(false); // a chunk at 0 is not where it stands
    expect(await restarted.done).toMatchObject({ ok: false, failure: { code: 'protocol' } });
  });

  it('a write failure removes the partial file', async () => {
    const bytes = patternBytes(100);
    const part = new MemoryPart('notes.txt');
    part.failAppendAfter = 50;
    const t = receiver(bytes, part);
    cut(bytes, 20).forEach((c) => t.accept(c));
    expect(await t.done).toMatchObject({ ok: false, failure: { code: 'write-failed', message: expect.stringMatching(/ENOSPC/) } });
    expect(part.state).toBe('discarded');
    expect(t.pendingBytes).toBe(0);
  });

  it('refuses impossible options without throwing', async () => {
    const part = new MemoryPart('x');
    const t = new IncomingTransfer({ id: 1, name: 'x', size: 10, crc: 0, offset: 5, writer: part });
    expect(await t.done).toMatchObject({ ok: false, failure: { code: 'protocol', message: expect.stringMatching(/needs the CRC-32/) } });
    const u = new IncomingTransfer({ id: 1, name: 'x', size: 10, crc: 0, offset: 11, prefixCrc: 0, writer: part });
    expect(await u.done).toMatchObject({ ok: false, failure: { code: 'protocol' } });
    const v = new IncomingTransfer({ id: 0, name: 'x', size: 10, crc: 0, writer: part });
    expect(await v.done).toMatchObject({ ok: false });
  });
});
