// Downloads as a user sees them, over real sockets on 127.0.0.1: files of 0 B, 1 B, 1 MiB and 20 MiB
// arrive intact (SHA-256 compared) over the UDP bulk channel, over the TCP fallback (`--no-udp`) and
// through the impairment proxy at 10 % loss (`--udp-via`); a chat line overtakes a 20 MiB download;
// names are resolved strictly inside the shared directory; a taken name is numbered.
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import type { JsonObject } from './client-helpers.ts';
import { fileClient, fileEvent, fileServer, listDir, MIB, randomFile, sha256, sha256File, tempDir, type FileServer } from './files-helpers.ts';
import { connectedClient } from './helpers.ts';
import { proxyTo } from './udp-helpers.ts';

const FILES: Record<string, Uint8Array> = {
  'empty.bin': new Uint8Array(0),
  'one.bin': Uint8Array.of(0x5a),
  'mega.bin': randomFile(MIB),
  'big.bin': randomFile(20 * MIB),
};
const NAMES = Object.keys(FILES);
/** A large download on loopback takes seconds at most; through 10 % loss a little more. */
const TRANSFER_DEADLINE_MS = 40_000;

let srv: FileServer;
let home: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  srv = await fileServer({ ...FILES, 'notes.txt': 'hello' });
  home = await tempDir('files-download');
  await mkdir(path.join(srv.filesDir, 'subdir'));
  await symlink('/etc/passwd', path.join(srv.filesDir, 'passwd-link'));
  await symlink(path.join(srv.filesDir, 'notes.txt'), path.join(srv.filesDir, 'notes-link.txt'));
});

afterAll(async () => {
  await srv.close();
  await home.remove();
});

/** Ask for every file at once and wait until each is saved; compare hashes. */
async function downloadAll(name: string, args: string[]): Promise<{ events: JsonObject[]; downloads: string }> {
  const { client, downloads } = await fileClient(srv.port, name, home.dir, args);
  try {
    client.send(...NAMES.map((n) => `/download ${n}`));
    for (const n of NAMES) {
      const saved = await client.waitFor(fileEvent('saved', n), `${n} saved by ${name}`, TRANSFER_DEADLINE_MS);
      expect(saved).toMatchObject({ direction: 'download', savedAs: n, size: FILES[n]!.length, path: path.join(downloads, n) });
      expect(await sha256File(path.join(downloads, n)), n).toBe(sha256(FILES[n]!));
    }
    // Nothing temporary is left behind.
    expect(await listDir(downloads)).toEqual([...NAMES].sort());
    expect(client.events.filter((e) => e.type === 'transfer-error')).toEqual([]);
    return { events: client.events, downloads };
  } finally {
    client.end();
    await client.waitExit();
  }
}

describe('downloads', () => {
  it('over the UDP bulk channel: 0 B, 1 B, 1 MiB and 20 MiB arrive intact', async () => {
    const before = srv.server.stats().udp.datagramsSent;
    const { events } = await downloadAll('udpdl', []);
    // The bytes went as datagrams: 20 MiB is well over 14,000 of them.
    expect(srv.server.stats().udp.datagramsSent - before).toBeGreaterThan(14_000);
    // The announcement, then progress (thinned out), then the result.
    const big = events.filter((e) => e.name === 'big.bin').map((e) => e.type);
    expect(big[0]).toBe('requested');
    expect(big[1]).toBe('download');
    expect(big.at(-1)).toBe('saved');
    expect(big.filter((t) => t === 'progress').length).toBeLessThanOrEqual(25);
  });

  it('over the TCP fallback (--no-udp): the same files arrive intact', async () => {
    const before = srv.server.stats().udp.datagramsSent;
    await downloadAll('tcpdl', ['--no-udp']);
    expect(srv.server.stats().udp.datagramsSent - before).toBeLessThan(100);
  });

  it('through the impairment proxy at 10 % loss (--udp-via): the same files arrive intact', async () => {
    let proxy: RunningProxy | undefined;
    try {
      proxy = await proxyTo(srv.server.udpPort, { loss: 0.1 }, 'files-e2e');
      await downloadAll('lossydl', ['--udp-via', `127.0.0.1:${proxy.port}`]);
      const c = proxy.counters();
      expect(c.forward.dropped.loss + c.reverse.dropped.loss).toBeGreaterThan(1_000);
    } finally {
      await proxy?.close();
    }
  });

  it('a chat line overtakes a 20 MiB download: it arrives within 500 ms while the download runs', async () => {
    const { client: reader } = await fileClient(srv.port, 'reader', home.dir);
    const talker = await connectedClient(srv.port, 'talker');
    try {
      reader.send('/download big.bin');
      await reader.waitFor(fileEvent('progress', 'big.bin'), 'the download under way');
      // Pings until the download is saved; each one's latency is measured from send to the reader's output.
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      let ping = 0;
      const pinger = setInterval(() => {
        const text = `ping-${ping++}`;
        sentAt.set(text, performance.now());
        talker.send(`<set_msg>reader ${text}\n`);
      }, 40);
      const seen = new Set<string>();
      const watch = setInterval(() => {
        for (const e of reader.events) {
          const text = String(e.text);
          if (e.type === 'private' && !seen.has(text) && sentAt.has(text)) {
            seen.add(text);
            latencies.push(performance.now() - (sentAt.get(text) ?? 0));
          }
        }
      }, 1);
      try {
        await reader.waitFor(fileEvent('saved', 'big.bin'), 'the download saved', TRANSFER_DEADLINE_MS);
      } finally {
        clearInterval(pinger);
        clearInterval(watch);
      }
      const savedAt = reader.events.findIndex(fileEvent('saved', 'big.bin'));
      const during = reader.events.slice(0, savedAt).filter((e) => e.type === 'private' && String(e.text).startsWith('ping-'));
      // The chat lines came over UDP, on the same engine as the file, and did not wait for it.
      expect(during.length, `pings delivered during the download (latencies ${latencies.map((l) => l.toFixed(0)).join(', ')})`).toBeGreaterThanOrEqual(2);
      expect(during.every((e) => e.transport === 'udp')).toBe(true);
      expect(Math.max(...latencies), `latencies ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`).toBeLessThan(500);
    } finally {
      talker.destroy();
      reader.end();
      await reader.waitExit();
    }
  });

  it('a name taken in the downloads directory is numbered: notes (1).txt', async () => {
    const { client, downloads } = await fileClient(srv.port, 'twice', home.dir, ['--no-udp']);
    try {
      client.send('/download notes.txt');
      await client.waitFor(fileEvent('saved', 'notes.txt'), 'first copy');
      client.send('/download notes.txt');
      const second = await client.waitFor(fileEvent('saved', 'notes.txt', { savedAs: 'notes (1).txt' }), 'second copy');
      expect(second.path).toBe(path.join(downloads, 'notes (1).txt'));
      expect(await listDir(downloads)).toEqual(['notes (1).txt', 'notes.txt']);
    } finally {
      client.end();
      await client.waitExit();
    }
  });

  it('the downloads directory deleted while the client runs is made again by the next download', async () => {
    const { client, downloads } = await fileClient(srv.port, 'tidy', home.dir, ['--no-udp']);
    try {
      client.send('/download notes.txt');
      await client.waitFor(fileEvent('saved', 'notes.txt'), 'first download');
      await rm(downloads, { recursive: true });
      const from = client.events.length;
      client.send('/download notes.txt');
      const again = await client.waitForAfter(from, (e) => fileEvent('saved', 'notes.txt')(e) || e.type === 'transfer-error', 'download after the folder was deleted');
      expect(again.path).toBe(path.join(downloads, 'notes.txt'));
      expect(await listDir(downloads)).toEqual(['notes.txt']);
      expect(client.events.filter((e) => e.type === 'transfer-error')).toEqual([]);
    } finally {
      client.end();
      await client.waitExit();
    }
  });

  it('refuses names outside the shared directory, links out of it, directories and hidden files', async () => {
    const raw = await connectedClient(srv.port, 'prober');
    try {
      const refusals: Array<[string, string, RegExp]> = [
        ['../secret.txt', 'bad-argument', /\//],
        ['/etc/passwd', 'bad-argument', /\//],
        ['..', 'bad-argument', /\.\./],
        ['.hidden', 'bad-argument', /dot/],
        ['subdir', 'refused', /directory/],
        ['passwd-link', 'refused', /outside|leads/],
        ['nothing.txt', 'unknown-file', /nothing\.txt/],
      ];
      for (const [name, code, message] of refusals) {
        raw.send(`<download>${name}\n`);
        const r = await raw.expectReply((x) => x.kind === 'refused', `refusal of ${name}`);
        expect(r, name).toMatchObject({ kind: 'refused', request: 'download', code, name });
        if (r.kind === 'refused') expect(r.message, name).toMatch(message);
      }
      // A link to a regular file inside the directory is served like the file.
      raw.send('<download>notes-link.txt\n');
      expect(await raw.expectReply((x) => x.kind === 'sending', 'a link inside')).toMatchObject({ name: 'notes-link.txt', size: 5 });
    } finally {
      raw.destroy();
    }
  });
});
