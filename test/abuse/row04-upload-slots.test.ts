// Abuse row 4: one user announced 105 uploads and sent no byte — all 5 slots and all 100 queue places
// were held indefinitely, and nobody else could upload. Now: at most 10 uploads of one user are in the
// queue (the rest refused, saying so), at most 2 of them hold a slot, and a slot whose bytes do not
// start in time is released to the next in line; another user uploads at once, and the bystanders'
// chat is unaffected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { DEFAULT_MAX_UPLOADS_PER_USER, DEFAULT_UPLOAD_SLOTS_PER_USER } from '../../src/files/limits.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';
import { answerTo, uploadAll } from './raw-files.ts';

/** The start timeout, shortened from its 10 s default (the same code path) so that the test is quick. */
const START_TIMEOUT_MS = 1_500;
const ANNOUNCED = 105;

let srv: TestServer;
let probe: ChatProbe;

beforeAll(async () => {
  // The command budget (row 9) off: this row shows the files' own bounds, which an attacker paced under
  // the budget meets all the same.
  srv = await startTestServer({ db: ':memory:', rateLimit: 0, files: { uploadStartTimeoutMs: START_TIMEOUT_MS } });
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
    const honest = await connectedClient(srv.port, 'honest');
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
});
