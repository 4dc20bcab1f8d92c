// Abuse row 7: 30 files of 1 MiB sent to another user all landed on the victim's disk with no action
// from them (offers were auto-accepted by default). Now: the dualchat client waits for `/accept` unless
// run with `--auto-accept`; one sender may have 3 files pending for one recipient, everyone together 10
// (the rest refused, saying so); nothing lands on the victim's disk until they accept; the bystanders'
// chat is unaffected. (An unanswered offer expires after OFFER_TIMEOUT_MS, the sender told:
// test/files/server-files.test.ts, "an unanswered offer expires".)
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { DEFAULT_MAX_OFFERS_PER_RECIPIENT, DEFAULT_MAX_OFFERS_PER_SENDER } from '../../src/files/limits.ts';
import { connectedClient, startTestServer, type RawClient, type TestServer } from '../e2e/helpers.ts';
import { fileClient, fileEvent, tempDir } from '../e2e/files-helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';
import { prepare, uploadAll } from './raw-files.ts';

const FILE_BYTES = 64 * 1024;

let srv: TestServer;
let probe: ChatProbe;
let home: { dir: string; remove: () => Promise<void> };

beforeAll(async () => {
  // The command budget (row 9) off: this row shows the files' own bounds, which an attacker paced under
  // the budget meets all the same.
  srv = await startTestServer({ db: ':memory:', rateLimit: 0 });
  probe = await chatProbe(srv.port, 'row7');
  home = await tempDir('row7');
});

afterAll(async () => {
  probe.close();
  await srv.close();
  await home.remove();
});

function files(prefix: string, count: number): ReadonlyMap<string, Uint8Array> {
  return prepare(new Map(Array.from({ length: count }, (_, i) => [`${prefix}${i}.txt`, new Uint8Array(FILE_BYTES).fill(i + 1)])));
}

const refusals = (outcome: Map<string, Reply>): Array<Extract<Reply, { kind: 'refused' }>> =>
  [...outcome.values()].filter((r): r is Extract<Reply, { kind: 'refused' }> => r.kind === 'refused');

describe('row 7: files pushed onto another user', () => {
  it('waits for /accept by default and bounds the offers pending per sender and per recipient', async () => {
    const victim = await fileClient(srv.port, 'victim', home.dir);
    const senders: RawClient[] = [];
    try {
      const before = await probe.measure();
      for (const name of ['pest1', 'pest2', 'pest3', 'pest4']) senders.push(await connectedClient(srv.port, name));
      const during = probe.measure();

      // One sender pushes 30 files: 3 go on their way, 27 are refused naming the bound.
      const first = await uploadAll(senders[0]!, files('p', 30), 'victim');
      const perSender = refusals(first);
      expect(perSender).toHaveLength(30 - DEFAULT_MAX_OFFERS_PER_SENDER);
      expect(perSender[0]).toMatchObject({ request: 'sendfile', code: 'refused' });
      expect(perSender[0]!.message).toBe('you already have 3 files on their way to victim (at most 3 until they answer); wait for them to accept or decline');

      // Three more senders: the recipient's bound (10 from everyone) refuses the rest.
      let accepted = DEFAULT_MAX_OFFERS_PER_SENDER;
      const perRecipient: string[] = [];
      for (const [i, sender] of senders.slice(1).entries()) {
        const outcome = await uploadAll(sender, files(`q${i}-`, 3), 'victim');
        accepted += outcome.size - refusals(outcome).length;
        perRecipient.push(...refusals(outcome).map((r) => r.message));
      }
      expect(accepted).toBe(DEFAULT_MAX_OFFERS_PER_RECIPIENT);
      expect(perRecipient).toEqual(['victim has 10 files waiting to be accepted (at most 10); try again later', 'victim has 10 files waiting to be accepted (at most 10); try again later']);

      // The victim is asked about each, and nothing lands on their disk meanwhile.
      const offers = await victim.client.waitFor(
        () => victim.client.events.filter((e) => e.type === 'offer').length === DEFAULT_MAX_OFFERS_PER_RECIPIENT,
        'ten offers shown',
      );
      expect(offers).toBeTruthy();
      expect(victim.client.events.filter((e) => e.type === 'offer').every((e) => e.accepted === false)).toBe(true);
      expect(await readdir(victim.received).catch(() => [])).toEqual([]);
      // Each sender is told that its file waits for an answer, and for how long.
      expect(await senders[0]!.waitReply((r) => r.kind === 'system' && r.text.startsWith('p0.txt'), 'pest1 told its file waits')).toEqual({
        kind: 'system',
        text: 'p0.txt waits for victim to accept it; it is withdrawn if they have not within 5 min',
      });

      // Declining one frees a place for its sender; accepting one stores it.
      const offered = victim.client.events.filter((e) => e.type === 'offer');
      const fromPest1 = offered.filter((e) => e.from === 'pest1');
      victim.client.send(`/decline ${String(fromPest1[0]!.id)}`);
      await senders[0]!.waitReply((r) => r.kind === 'aborted' && r.code === 'declined', 'pest1 told of the decline');
      const again = await uploadAll(senders[0]!, files('r', 1), 'victim');
      expect(refusals(again)).toEqual([]);
      victim.client.send(`/accept ${String(fromPest1[1]!.id)}`);
      await victim.client.waitFor(fileEvent('saved', String(fromPest1[1]!.name)), 'the accepted file saved');
      expect(await readdir(victim.received)).toEqual([String(fromPest1[1]!.name)]);

      const figures = await during;
      expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
    } finally {
      for (const s of senders) s.destroy();
      victim.client.end();
      await victim.client.waitExit().catch(() => undefined);
    }
  });
});
