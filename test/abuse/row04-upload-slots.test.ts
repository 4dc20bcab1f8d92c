// Abuse row 4: one user announced 105 uploads and sent no byte — all 5 slots and all 100 queue places
// were held indefinitely, and nobody else could upload. Now: at most 10 uploads of one user are in the
// queue (the rest refused, saying so), at most 2 of them hold a slot, and a slot whose bytes do not
// start in time is released to the next in line; another user uploads at once, and the bystanders'
// chat is unaffected. The review's two ways around that: a slot kept by one small chunk every few
// seconds (now: an upload must keep a minimum average rate), and many sessions from one address each
// taking its own share (now: the shares hold for the address group as a whole).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { chunkToBase64 } from '../../src/files/chunk-codec.ts';
import { DEFAULT_MAX_UPLOADS_PER_USER, DEFAULT_UPLOAD_SLOTS_PER_USER, MIN_UPLOAD_BYTES_PER_SECOND } from '../../src/files/limits.ts';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from '../../src/server/constants.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';
import { answerTo, uploadAll } from './raw-files.ts';

/** The start timeout, shortened from its 10 s default (the same code path) so that the test is quick. */
const START_TIMEOUT_MS = 1_500;
/** The grace of an upload's time limit, shortened from its 30 s default likewise (longer than the start timeout). */
const RATE_GRACE_MS = 2_000;
const ANNOUNCED = 105;
/** Another host on loopback: the attackers' address group is 127.0.0.1 (or 127.0.0.5), not this one. */
const HONEST_ADDRESS = '127.0.0.2';

let srv: TestServer;
let probe: ChatProbe;

beforeAll(async () => {
  // The command budget (row 9) off: this row shows the files' own bounds, which an attacker paced under
  // the budget meets all the same.
  srv = await startTestServer({ db: ':memory:', rateLimit: 0, files: { uploadStartTimeoutMs: START_TIMEOUT_MS, uploadRateGraceMs: RATE_GRACE_MS } });
  probe = await chatProbe(srv.port, 'row4');
});

afterAll(async () => {
  probe.close();
  await srv.close();
});

describe('row 4: uploads announced and never sent', () => {
  it('bounds one user to 10 queued and 2 slots, releases slots whose bytes do not start, and lets others upload', async () => {
    const before = await probe.measure();
    const hoarder = await connectedClient(srv.port, 'hoarder');
    const honest = await connectedClient(srv.port, 'honest', HONEST_ADDRESS);
    try {
      const names = Array.from({ length: ANNOUNCED }, (_, i) => `hoard${i}.txt`);
      hoarder.send(names.map((name) => `<upload>10 00000000 ${name}\n`).join(''));
      const during = probe.measure();
      const answers = await hoarder.waitFor(() => {
        const found = names.map((name) => hoarder.replies.find(answerTo(name)));
        return found.every((r) => r !== undefined) ? (found as Reply[]) : undefined;
      }, `answers to ${ANNOUNCED} announcements`);
      const count = (kind: Reply['kind']): number => answers.filter((r) => r.kind === kind).length;
      expect([count('ready'), count('queued'), count('refused')]).toEqual([
        DEFAULT_UPLOAD_SLOTS_PER_USER,
        DEFAULT_MAX_UPLOADS_PER_USER - DEFAULT_UPLOAD_SLOTS_PER_USER,
        ANNOUNCED - DEFAULT_MAX_UPLOADS_PER_USER,
      ]);
      const refusal = answers.find((r) => r.kind === 'refused');
      expect(refusal).toMatchObject({ request: 'upload', code: 'refused', message: 'you have 10 uploads in the queue already; wait for one to finish' });

      // Another user is granted a slot at once and stores a file while the hoarder holds its share.
      const outcome = await uploadAll(honest, new Map([['honest.txt', new TextEncoder().encode('an honest upload')]]));
      expect(outcome.get('honest.txt')).toMatchObject({ kind: 'stored', name: 'honest.txt' });

      // The hoarder's granted slots are released once their bytes did not start, each slot going to the
      // next in line (its own waiting uploads here).
      const granted = answers.filter((r): r is Extract<Reply, { kind: 'ready' }> => r.kind === 'ready');
      for (const { id, name } of granted) {
        const aborted = await hoarder.waitReply((r) => r.kind === 'aborted' && r.id === id, `slot of ${name} expired`, START_TIMEOUT_MS + 5_000);
        expect(aborted).toMatchObject({ code: 'expired', message: `no bytes of ${name} arrived within ${START_TIMEOUT_MS / 1000} s; its upload slot went to the next in line` });
      }
      await hoarder.waitFor(() => hoarder.replies.filter((r) => r.kind === 'ready').length >= 2 * DEFAULT_UPLOAD_SLOTS_PER_USER, 'the next two waiters granted');

      const figures = await during;
      expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
    } finally {
      hoarder.destroy();
      honest.destroy();
    }
  });

  it('ends an upload that sends one small chunk now and then (below the minimum rate), however often it comes', async () => {
    const before = await probe.measure();
    const trickler = await connectedClient(srv.port, 'trickler');
    const size = 3 * MIN_UPLOAD_BYTES_PER_SECOND; // 3 s at the minimum rate
    const limitS = (RATE_GRACE_MS + (size * 1000) / MIN_UPLOAD_BYTES_PER_SECOND) / 1000;
    let pacer: NodeJS.Timeout | undefined;
    try {
      trickler.send(`<upload>${size} 00000000 trickle.txt\n`);
      const ready = await trickler.waitReply((r) => r.kind === 'ready' && r.name === 'trickle.txt', 'trickle.txt granted');
      const id = ready.kind === 'ready' ? ready.id : -1;
      const during = probe.measure();
      const startedAt = Date.now();
      // 100 bytes every second, each well within the start timeout: what kept a slot forever before.
      let offset = 0;
      const step = (): void => {
        if (offset + 100 >= size) return;
        trickler.send(`<chunk>${chunkToBase64({ transferId: id, offset, final: false, data: new Uint8Array(100) })}\n`);
        offset += 100;
      };
      step();
      pacer = setInterval(step, 1_000);
      const aborted = await trickler.waitReply((r) => r.kind === 'aborted' && r.id === id, 'the trickling upload ended', limitS * 1000 + 5_000);
      expect(aborted).toMatchObject({ code: 'expired', message: `trickle.txt was not stored within ${limitS} s (at least 8.0 KiB/s); its upload slot went to the next in line` });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(limitS * 1000 - 1_000);
      expect(offset).toBeGreaterThan(200); // it did send chunks all along
      const figures = await during;
      expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
    } finally {
      if (pacer !== undefined) clearInterval(pacer);
      trickler.destroy();
    }
  });

  it('holds the sessions of one address to one share of slots and queue places; another address uploads at once', async () => {
    const before = await probe.measure();
    const attacker = '127.0.0.5';
    const sessions = await Promise.all(Array.from({ length: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS }, (_, i) => connectedClient(srv.port, `many${i}`, attacker)));
    const honest = await connectedClient(srv.port, 'honest2', HONEST_ADDRESS);
    try {
      const during = probe.measure();
      const perSession = DEFAULT_MAX_UPLOADS_PER_USER;
      sessions.forEach((c, i) => c.send(Array.from({ length: perSession }, (_, j) => `<upload>10 00000000 m${i}-${j}.txt\n`).join('')));
      const answers = await Promise.all(
        sessions.map((c, i) =>
          c.waitFor(() => {
            const found = Array.from({ length: perSession }, (_, j) => c.replies.find(answerTo(`m${i}-${j}.txt`)));
            return found.every((r) => r !== undefined) ? (found as Reply[]) : undefined;
          }, `answers of session ${i}`),
        ),
      );
      const all = answers.flat();
      const count = (kind: Reply['kind']): number => all.filter((r) => r.kind === kind).length;
      // One share for the whole address, not one per session (which was 32 slots and 160 places).
      expect([count('ready'), count('queued'), count('refused')]).toEqual([
        DEFAULT_UPLOAD_SLOTS_PER_USER,
        DEFAULT_MAX_UPLOADS_PER_USER - DEFAULT_UPLOAD_SLOTS_PER_USER,
        sessions.length * perSession - DEFAULT_MAX_UPLOADS_PER_USER,
      ]);
      expect(all.find((r) => r.kind === 'refused')).toMatchObject({
        code: 'refused',
        message: `your address has ${DEFAULT_MAX_UPLOADS_PER_USER} uploads in the queue already (one share for all its sessions); wait for one to finish`,
      });
      const outcome = await uploadAll(honest, new Map([['honest2.txt', new TextEncoder().encode('from another address')]]));
      expect(outcome.get('honest2.txt')).toMatchObject({ kind: 'stored', name: 'honest2.txt' });
      const figures = await during;
      expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
    } finally {
      for (const c of sessions) c.destroy();
      honest.destroy();
    }
  });
});
