import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunk, type Chunk } from '../../src/files/chunk-codec.ts';
import { crc32Of } from '../../src/files/crc.ts';
import { createOutgoing, type OutgoingOptions, type OutgoingTransfer } from '../../src/files/outgoing.ts';
import { MemoryFile, MemoryLink, patternBytes } from './helpers.ts';

function sender(file: MemoryFile, link: MemoryLink, extra: Partial<OutgoingOptions> = {}): OutgoingTransfer {
  const r = createOutgoing({
    id: 9,
    name: 'notes.txt',
    size: file.bytes.length,
    crc: crc32Of(file.bytes),
    snapshot: file.snapshot,
    chunkBytes: 10,
    source: file,
    sink: link,
    ...extra,
  });
  if (!r.ok) throw new Error(r.message);
  return r.transfer;
}

function chunks(messages: Uint8Array[]): Chunk[] {
  return messages.map((m) => {
    const r = decodeChunk(m);
    if (!r.ok) throw new Error(r.message);
    return r.chunk;
  });
}

/** Pump and drain until the sender stops (bounded by the number of chunks + 2). */
async function runToEnd(t: OutgoingTransfer, link: MemoryLink, limit = 10_000): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for (let i = 0; i < limit; i++) {
    const state = await t.pump();
    out.push(...chunks(link.drain()));
    if (state.status !== 'sending') return out;
  }
  throw new Error('sender did not finish');
}

describe('OutgoingTransfer', () => {
  it('sends the file as ordered chunks, the last one final, pausing when the link is full', async () => {
    const file = new MemoryFile(patternBytes(35));
    const link = new MemoryLink(2);
    const t = sender(file, link);
    expect(await t.pump()).toEqual({ status: 'sending' });
    expect(link.queued).toHaveLength(2); // paused: link full
    expect(t.sent).toBe(20);
    const got = await runToEnd(t, link);
    expect(t.state).toEqual({ status: 'finished' });
    const all = got;
    expect(all.map((c) => [c.offset, c.data.length, c.final])).toEqual([
      [0, 10, false],
      [10, 10, false],
      [20, 10, false],
      [30, 5, true],
    ]);
    expect(Buffer.concat(all.map((c) => c.data))).toEqual(Buffer.from(file.bytes));
    expect(all.every((c) => c.transferId === 9)).toBe(true);
  });

  it('sends one empty final chunk for an empty file', async () => {
    const file = new MemoryFile(new Uint8Array(0));
    const link = new MemoryLink();
    const got = await runToEnd(sender(file, link), link);
    expect(got).toEqual([{ transferId: 9, offset: 0, final: true, data: new Uint8Array(0) }]);
  });

  it('resumes from an offset, and from the very end', async () => {
    const file = new MemoryFile(patternBytes(25));
    const link = new MemoryLink();
    const got = await runToEnd(sender(file, link, { offset: 12 }), link);
    expect(got.map((c) => c.offset)).toEqual([12, 22]);
    expect(Buffer.concat(got.map((c) => c.data))).toEqual(Buffer.from(file.bytes.subarray(12)));
    const atEnd = await runToEnd(sender(file, link, { offset: 25 }), link);
    expect(atEnd).toEqual([{ transferId: 9, offset: 25, final: true, data: new Uint8Array(0) }]);
  });

  it('refuses impossible options with a message', () => {
    const file = new MemoryFile(patternBytes(5));
    const base = { id: 1, name: 'x', size: 5, crc: 0, snapshot: file.snapshot, source: file, sink: new MemoryLink() };
    expect(createOutgoing({ ...base, offset: 6 })).toEqual({ ok: false, message: 'cannot resume at byte 6: the file has 5 bytes' });
    expect(createOutgoing({ ...base, offset: -1 }).ok).toBe(false);
    expect(createOutgoing({ ...base, id: 0 }).ok).toBe(false);
    expect(createOutgoing({ ...base, crc: 2 ** 32 }).ok).toBe(false);
    expect(createOutgoing({ ...base, chunkBytes: 0 }).ok).toBe(false);
    expect(createOutgoing({ ...base, size: 1.5 }).ok).toBe(false);
  });

  describe('detects a file that changes while being sent', () => {
    it('grows: size differs at the end, no final chunk', async () => {
      const file = new MemoryFile(patternBytes(30));
      const link = new MemoryLink(1);
      const t = sender(file, link);
      await t.pump();
      file.rewrite(patternBytes(40));
      const got = await runToEnd(t, link);
      expect(t.state).toMatchObject({ status: 'failed', failure: { code: 'changed', message: expect.stringMatching(/size went from 30 to 40/) } });
      expect(got.some((c) => c.final)).toBe(false);
    });

    it('shrinks: a short read', async () => {
      const file = new MemoryFile(patternBytes(30));
      const link = new MemoryLink(1);
      const t = sender(file, link);
      await t.pump();
      file.rewrite(patternBytes(15));
      await runToEnd(t, link);
      expect(t.state).toMatchObject({ status: 'failed', failure: { code: 'changed', message: expect.stringMatching(/ended at byte 15/) } });
    });

    it('same size, touched: modification time differs', async () => {
      const file = new MemoryFile(patternBytes(30));
      const link = new MemoryLink(1);
      const t = sender(file, link);
      await t.pump();
      file.rewrite(patternBytes(30));
      await runToEnd(t, link);
      expect(t.state).toMatchObject({ status: 'failed', failure: { code: 'changed', message: expect.stringMatching(/modified/) } });
    });

    it('same size and time, other bytes: the CRC-32 differs', async () => {
      const file = new MemoryFile(patternBytes(30));
      const link = new MemoryLink(1);
      const t = sender(file, link);
      await t.pump();
      file.rewrite(patternBytes(30, 7), file.snapshot.mtimeMs);
      await runToEnd(t, link);
      expect(t.state).toMatchObject({ status: 'failed', failure: { code: 'changed', message: expect.stringMatching(/CRC-32/) } });
    });
  });

  it('fails on a read error, on a closed link, and stops when cancelled', async () => {
    const file = new MemoryFile(patternBytes(30));
    file.failReadsAt = 20;
    const link = new MemoryLink();
    const t = sender(file, link);
    const got = await runToEnd(t, link);
    expect(got).toHaveLength(2);
    expect(t.state).toMatchObject({ status: 'failed', failure: { code: 'read-failed', message: expect.stringMatching(/EIO/) } });

    const closed = new MemoryLink();
    closed.open = false;
    const u = sender(new MemoryFile(patternBytes(5)), closed);
    expect(await u.pump()).toMatchObject({ status: 'failed', failure: { code: 'link-lost' } });

    const link2 = new MemoryLink();
    const v = sender(new MemoryFile(patternBytes(30)), link2);
    const running = v.pump();
    v.cancel();
    expect(await running).toMatchObject({ status: 'failed', failure: { code: 'cancelled' } });
    expect(link2.queued).toHaveLength(0); // the chunk being read when cancelled is dropped
    expect(await v.pump()).toMatchObject({ status: 'failed' });
  });

  it('shares one run between concurrent pump calls', async () => {
    const file = new MemoryFile(patternBytes(30));
    const link = new MemoryLink(100);
    const t = sender(file, link);
    const [a, b] = [t.pump(), t.pump()];
    expect(a).toBe(b);
    await a;
    expect(file.reads).toBe(3);
    expect(link.queued).toHaveLength(3);
  });

  it('property: any size, chunk size, queue bound and offset reproduce the file', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        async (size, chunkBytes, capacity, offsetSeed) => {
          const file = new MemoryFile(patternBytes(size, size + 1));
          const offset = offsetSeed % (size + 1);
          const link = new MemoryLink(capacity);
          const got = await runToEnd(sender(file, link, { chunkBytes, offset }), link);
          expect(Buffer.concat(got.map((c) => c.data))).toEqual(Buffer.from(file.bytes.subarray(offset)));
          expect(got.filter((c) => c.final)).toHaveLength(1);
          expect(got[got.length - 1]?.final).toBe(true);
          let expected = offset;
          for (const c of got) {
            expect(c.offset).toBe(expected);
            expected += c.data.length;
          }
        },
      ),
    );
  });
});
