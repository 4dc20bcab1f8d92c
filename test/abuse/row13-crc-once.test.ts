// Abuse row 13: 20 × `<download>` + `<cancel>` of a 200 MiB file cost 8.2 s of server CPU — the whole
// file's CRC-32 was read again for every request. Now it is computed once per file version (size, mtime,
// inode) and computed again only when the file changes: counted here on the coordinator over a real
// file, then the same attack on a running server with the bystanders' chat measured.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { crc32Of } from '../../src/files/crc.ts';
import { DEFAULT_FILE_OPTIONS } from '../../src/files/options.ts';
import { prepareServerDirs, ServerFiles, type FileNotice, type FileOutput } from '../../src/files/server-files.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { MemoryLink } from '../files/helpers.ts';
import { chatProbe, unaffectedBound } from './probe.ts';

const MIB = 1024 * 1024;
const ROUNDS = 20;

/** Distinct content of `size` bytes for version `v`. */
function content(size: number, v: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + v * 7) & 0xff;
  return bytes;
}

describe('row 13: the CRC-32 of a shared file', () => {
  let base: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-row13-'));
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('is computed once for 20 downloads and cancels of one version, and again when the file changes', async () => {
    const { root, spoolDir } = await prepareServerDirs(path.join(base, 'files'));
    const outputs: FileOutput[] = [];
    const files = new ServerFiles({ root, spoolDir, options: DEFAULT_FILE_OPTIONS, linkFor: () => new MemoryLink(1_000_000), emit: (o) => outputs.push(o), now: () => 0 });
    const sendings = (): Array<Extract<FileNotice, { kind: 'sending' }>> =>
      outputs.flatMap((o) => (o.type === 'notice' && o.notice.kind === 'sending' ? [o.notice] : []));
    try {
      const first = content(8 * MIB, 1);
      await writeFile(path.join(root, 'big.bin'), first);
      for (let i = 0; i < ROUNDS; i++) {
        await files.download(1, 'big.bin');
        const announced = sendings().at(-1)!;
        await files.cancel(1, announced.id);
      }
      expect(sendings()).toHaveLength(ROUNDS);
      expect(new Set(sendings().map((s) => s.crc))).toEqual(new Set([crc32Of(first)]));
      expect(files.crcComputations).toBe(1);

      // Another version (other bytes, other mtime): read again, once.
      const second = content(8 * MIB + 1, 2);
      await writeFile(path.join(root, 'big.bin'), second);
      for (let i = 0; i < 3; i++) {
        await files.download(1, 'big.bin');
        await files.cancel(1, sendings().at(-1)!.id);
      }
      expect(sendings().at(-1)!.crc).toBe(crc32Of(second));
      expect(files.crcComputations).toBe(2);
    } finally {
      await files.close();
    }
  });

  it('on a running server, 20 downloads and cancels of a large file leave the bystanders unaffected', async () => {
    let srv: TestServer | undefined;
    const filesDir = path.join(base, 'served');
    const probeTag = 'row13';
    try {
      // The command budget (row 9) off: it would hold the attacker's downloads for 15 s; this row is the
      // CPU each one costs.
      srv = await startTestServer({ db: ':memory:', filesDir, rateLimit: 0 });
      const big = content(64 * MIB, 3);
      const expected = crc32Of(big); // before the bystanders are measured: the test shares their event loop
      await writeFile(path.join(filesDir, 'big.bin'), big);
      const probe = await chatProbe(srv.port, probeTag);
      const attacker = await connectedClient(srv.port, 'cruncher');
      try {
        const before = await probe.measure();
        const during = probe.measure();
        const crcs = new Set<number>();
        for (let i = 0; i < ROUNDS; i++) {
          attacker.send('<download>big.bin\n');
          const sending = (await attacker.expectReply((r) => r.kind === 'sending', `announcement ${i + 1}`, 20_000)) as Extract<Reply, { kind: 'sending' }>;
          crcs.add(sending.crc);
          attacker.send(`<cancel>${sending.id}\n`);
          await attacker.expectReply((r) => r.kind === 'aborted' && r.id === sending.id, `cancel ${i + 1}`);
        }
        expect(crcs).toEqual(new Set([expected]));
        const figures = await during;
        expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
      } finally {
        attacker.destroy();
        probe.close();
      }
    } finally {
      await srv?.close();
    }
  });
});
