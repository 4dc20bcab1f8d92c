// Abuse row 6: one user stored 66 uploads of 3 MiB in 15 s — 208 MB on the server's disk, no per-user
// or total quota. Now: upload bytes per user per hour (`--upload-bytes-per-hour`) and a budget for the
// whole shared directory (`--max-shared-bytes`), each refusal naming its limit in MiB; the disk holds
// no more than the budget, and the bystanders' chat is unaffected. The hourly quota is counted per name
// and per address group: the review found a new name got a fresh quota. The limits are scaled down
// here (the same code path) so that the attack is a few MiB, not hundreds.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';
import { prepare, uploadAll } from './raw-files.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
const FILE_BYTES = 256 * KIB;
const PER_HOUR = MIB; // four files an hour
const BUDGET = 2 * MIB; // eight files in all

let srv: TestServer;
let probe: ChatProbe;

beforeAll(async () => {
  // The command budget (row 9) off: this row shows the files' own bounds, which an attacker paced under
  // the budget meets all the same.
  srv = await startTestServer({ db: ':memory:', rateLimit: 0, files: { maxUploadBytes: FILE_BYTES, uploadBytesPerHour: PER_HOUR, maxSharedBytes: BUDGET } });
  probe = await chatProbe(srv.port, 'row6');
});

afterAll(async () => {
  probe.close();
  await srv.close();
});

/** `count` distinct files of FILE_BYTES named `${prefix}N.txt`, their CRC-32s computed. */
function files(prefix: string, count: number): ReadonlyMap<string, Uint8Array> {
  return prepare(new Map(Array.from({ length: count }, (_, i) => [`${prefix}${i}.txt`, new Uint8Array(FILE_BYTES).fill(i + 1)])));
}

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const info = await stat(path.join(dir, name));
    if (info.isFile()) total += info.size;
  }
  return total;
}

const kinds = (outcome: Map<string, Reply>): string[] => [...outcome.values()].map((r) => r.kind);

describe('row 6: uploads until the disk fills', () => {
  it('stops one user at the hourly quota and everyone at the shared budget, naming the limit', async () => {
    const before = await probe.measure();
    // Each filler from an address of its own (the quota is counted per address group too).
    const clients = await Promise.all(['filler1', 'filler2', 'filler3'].map((name, i) => connectedClient(srv.port, name, `127.0.0.${i + 11}`)));
    const [a, b, c, d] = [files('a', 66), files('b', 4), files('c', 1), files('d', 1)];
    try {
      const during = probe.measure();
      // One user announces 66 uploads at once: 4 fit the hour, the rest are refused naming the quota.
      const first = await uploadAll(clients[0]!, a);
      expect(kinds(first).filter((k) => k === 'stored')).toHaveLength(PER_HOUR / FILE_BYTES);
      const quota = [...first.values()].find((r) => r.kind === 'refused');
      expect(quota).toMatchObject({ request: 'upload', code: 'refused' });
      expect(quota?.kind === 'refused' ? quota.message : '').toMatch(/^upload quota reached: 1\.0 MiB per hour, 1\.0 MiB used or in progress; this file needs 256\.0 KiB, try again in \d+ min$/);

      // The same user back under a new name from the same address: the address's quota is used up too.
      clients[0]!.destroy();
      const renamed = await connectedClient(srv.port, 'filler1b', '127.0.0.11');
      clients.push(renamed);
      const again = (await uploadAll(renamed, d)).get('d0.txt');
      expect(again).toMatchObject({ kind: 'refused', code: 'refused' });
      expect(again?.kind === 'refused' ? again.message : '').toMatch(/^upload quota reached for your address: 1\.0 MiB per hour, [\d.]+ [KM]iB used or in progress; this file needs 256\.0 KiB, try again in \d+ min$/);

      // A second user fills the rest of the budget; a third finds the directory full.
      const second = await uploadAll(clients[1]!, b);
      expect(kinds(second)).toEqual(['stored', 'stored', 'stored', 'stored']);
      const third = await uploadAll(clients[2]!, c);
      const full = third.get('c0.txt');
      expect(full).toMatchObject({ kind: 'refused', code: 'refused' });
      expect(full?.kind === 'refused' ? full.message : '').toBe('the shared directory is full: 2.0 MiB of its 2.0 MiB budget used, this file needs 256.0 KiB');

      expect(await diskBytes(srv.filesDir)).toBeLessThanOrEqual(BUDGET);
      const figures = await during;
      expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
    } finally {
      for (const c of clients) c.destroy();
    }
  });
});
