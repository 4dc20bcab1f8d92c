// Stopping downloads, as users do it, over real sockets on 127.0.0.1. The first part of each download
// goes through the impairment proxy with a bandwidth limit, so it is still running when the test acts
// (deterministic: the test acts on progress events, never after a sleep): `/cancel` removes the partial
// file; a client killed mid-download frees the server's resources and, started again, resumes from the
// bytes it had verified and ends with the exact file.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import { fileClient, fileEvent, fileServer, listDir, MIB, randomFile, sha256, sha256File, tempDir, type FileServer } from './files-helpers.ts';
import { proxyTo } from './udp-helpers.ts';

const BIG = randomFile(20 * MIB);

let srv: FileServer;
let home: { dir: string; remove: () => Promise<void> };
let slow: RunningProxy;

beforeAll(async () => {
  srv = await fileServer({ 'big.bin': BIG });
  home = await tempDir('files-resume');
  // 16 Mbit/s: 2 MB a second, so 20 MiB would take ten.
  slow = await proxyTo(srv.server.udpPort, { rateBps: 16_000_000 }, 'slow');
});

afterAll(async () => {
  await slow.close();
  await srv.close();
  await home.remove();
});

const via = (): string[] => ['--udp-via', `127.0.0.1:${slow.port}`];
const progressAtLeast = (bytes: number) => (e: { type: string; name?: unknown; bytes?: unknown }) =>
  e.type === 'progress' && e.name === 'big.bin' && typeof e.bytes === 'number' && e.bytes >= bytes;

describe('stopping a download', () => {
  it('/cancel stops it and removes the partial file', async () => {
    const { client, downloads } = await fileClient(srv.port, 'canceller', home.dir, via());
    try {
      client.send('/download big.bin');
      const started = await client.waitFor(fileEvent('download', 'big.bin'), 'download started');
      await client.waitFor(progressAtLeast(MIB / 2), 'half a MiB');
      client.send(`/cancel ${String(started.id)}`);
      const error = await client.waitFor(fileEvent('transfer-error', 'big.bin'), 'cancelled');
      expect(error).toMatchObject({ code: 'cancelled', resumable: false });
      expect(await listDir(downloads)).toEqual([]);
      await expect.poll(() => srv.server.stats().fileTransfers, { timeout: 5_000 }).toBe(0);
    } finally {
      client.end();
      await client.waitExit();
    }
  });

  it('a killed client frees the server; started again, it resumes from what it verified', async () => {
    const first = await fileClient(srv.port, 'resumer', home.dir, via());
    first.client.send('/download big.bin');
    await first.client.waitFor(progressAtLeast(2.2 * MIB), 'over 2 MiB written (a checkpoint taken)', 20_000);
    first.client.kill();
    await first.client.waitExit();
    // The part file and its resume record stay; the server lets go of the transfer.
    expect(await listDir(first.downloads)).toEqual(['.big.bin.part-download', '.big.bin.part-download.json']);
    await expect.poll(() => srv.server.stats().fileTransfers, { timeout: 5_000 }).toBe(0);

    // Same downloads directory, no proxy this time.
    const second = await fileClient(srv.port, 'resumer', home.dir);
    try {
      second.client.send('/download big.bin');
      const requested = await second.client.waitFor(fileEvent('requested', 'big.bin'), 'the resume');
      const resumeFrom = Number(requested.resumeFrom);
      expect(resumeFrom).toBeGreaterThanOrEqual(MIB);
      expect(resumeFrom).toBeLessThan(BIG.length);
      expect(await second.client.waitFor(fileEvent('download', 'big.bin'), 'resumed')).toMatchObject({ offset: resumeFrom });
      await second.client.waitFor(fileEvent('saved', 'big.bin'), 'saved', 30_000);
      expect(await sha256File(path.join(second.downloads, 'big.bin'))).toBe(sha256(BIG));
      expect(await listDir(second.downloads)).toEqual(['big.bin']);
    } finally {
      second.client.end();
      await second.client.waitExit();
    }
  });
});
