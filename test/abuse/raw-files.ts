// File transfers by hand for the abuse tests: announce uploads (or files sent to a user) on a raw TCP
// client and stream their bytes as `<chunk>` lines once the server says `<ready>` — what an attacker's
// script does, without the dualchat client's own limits in the way.
import type { Reply } from '../../src/commands/types.ts';
import { chunkToBase64 } from '../../src/files/chunk-codec.ts';
import { crc32Of, crcHex } from '../../src/files/crc.ts';
import { CHUNK_BYTES } from '../../src/files/limits.ts';
import type { RawClient } from '../e2e/helpers.ts';

export type FileReplyOf<K extends Reply['kind']> = Extract<Reply, { kind: K }>;

/**
 * CRC-32s of the attack's files, computed once: the test shares its process (and event loop) with the
 * server and the bystanders, so the attacker's own CPU work is done before the measurement starts.
 */
const crcs = new WeakMap<Uint8Array, string>();

function crcOfFile(bytes: Uint8Array): string {
  let crc = crcs.get(bytes);
  if (crc === undefined) crcs.set(bytes, (crc = crcHex(crc32Of(bytes))));
  return crc;
}

/** Compute the CRC-32s of these files now (before measuring the bystanders), not during the attack. */
export function prepare(files: ReadonlyMap<string, Uint8Array>): ReadonlyMap<string, Uint8Array> {
  for (const bytes of files.values()) crcOfFile(bytes);
  return files;
}

/** `<upload>SIZE CRC NAME`, or `<sendfile>TO SIZE CRC NAME` with `to`. */
export function announce(name: string, bytes: Uint8Array, to?: string): string {
  const tail = `${bytes.length} ${crcOfFile(bytes)} ${name}\n`;
  return to === undefined ? `<upload>${tail}` : `<sendfile>${to} ${tail}`;
}

/** Every chunk line of `bytes` as transfer `id` (one empty final chunk for an empty file). */
export function chunkLines(id: number, bytes: Uint8Array): string {
  const lines: string[] = [];
  let offset = 0;
  // One line per CHUNK_BYTES, at least one: bounded by the file's size.
  do {
    const data = bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_BYTES));
    lines.push(`<chunk>${chunkToBase64({ transferId: id, offset, final: offset + data.length === bytes.length, data })}\n`);
    offset += data.length;
  } while (offset < bytes.length);
  return lines.join('');
}

/** The reply that settles an announcement of `name`: granted, queued or refused. */
export function answerTo(name: string): (r: Reply) => boolean {
  return (r) => (r.kind === 'ready' || r.kind === 'queued' || r.kind === 'refused') && r.name === name;
}

/**
 * Announce every file at once, then send each one's bytes when its slot is granted (in whatever order
 * the server grants them). Resolves with how each announcement ended: `stored` (or, for files sent
 * to a user, `offered`: its upload leg completed), `refused` (with the reply), or `aborted`.
 */
export async function uploadAll(
  client: RawClient,
  files: ReadonlyMap<string, Uint8Array>,
  to?: string,
  timeoutMs = 20_000,
): Promise<Map<string, Reply>> {
  client.send([...files].map(([name, bytes]) => announce(name, bytes, to)).join(''));
  const outcome = new Map<string, Reply>();
  const sent = new Set<number>();
  const ids = new Map<number, string>();
  // Each pass handles at least one new reply or times out: bounded by the replies there can be.
  await client.waitFor(
    () => {
      for (const r of client.replies) {
        if ((r.kind === 'ready' || r.kind === 'queued') && files.has(r.name)) ids.set(r.id, r.name);
        if (r.kind === 'refused' && files.has(r.name)) outcome.set(r.name, r);
        if (r.kind === 'ready' && files.has(r.name) && !sent.has(r.id)) {
          sent.add(r.id);
          client.send(chunkLines(r.id, files.get(r.name)!));
        }
        if (r.kind === 'stored' || r.kind === 'aborted' || r.kind === 'delivered') {
          const name = ids.get(r.id);
          if (name !== undefined) outcome.set(name, r);
        }
      }
      // A file sent to a user is settled once its bytes are all sent: its upload leg then becomes an offer.
      if (to !== undefined) for (const [id, name] of ids) if (sent.has(id) && !outcome.has(name)) outcome.set(name, { kind: 'ready', id, name });
      return outcome.size === files.size;
    },
    `every one of ${files.size} uploads settled`,
    timeoutMs,
  );
  return outcome;
}
