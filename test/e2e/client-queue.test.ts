// "Never lose a typed line": 200 lines piped into the scripted client at once, five times the server's
// burst (a server of 60 lines/s, burst 40: the default 20/s only makes the test slower; the welcome
// announces whatever the server runs with). The client paces them to that rate: a reader in the room
// gets all 200, in order, none refused (`rate-limited`), and the writer reports the lines it held back
// (`outbox` events, the last one 0). Over UDP and over TCP (--no-udp).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { is, spawnClient, startTestServer, type TestServer } from './client-helpers.ts';

const LINES = 200;
const RATE = 60;
const BURST = 40;
/** 200 lines at 54/s after a burst of 30: about 3 s; the deadline leaves room for a loaded machine. */
const PASTE_DEADLINE_MS = 30_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { rateLimit: RATE, rateBurst: BURST });
});
afterAll(async () => {
  await server.stop();
});

describe('a 200-line paste over the chat rate', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`arrives complete and in order (${transport})`, async () => {
      const tag = transport;
      const flags = transport === 'tcp' ? ['--no-udp'] : [];
      const reader = spawnClient(['--tcp', String(server.server.tcpPort), '--name', `reader${tag}`, '--json', ...flags]);
      reader.send(`/join paste${tag}`);
      await reader.waitFor(is('joined', { name: `reader${tag}`, room: `paste${tag}` }), 'the reader in the room');

      const writer = spawnClient(['--tcp', String(server.server.tcpPort), '--name', `writer${tag}`, '--json', ...flags]);
      const lines = Array.from({ length: LINES }, (_, i) => `paste line ${i + 1} of ${LINES}`);
      writer.send(`/join paste${tag}`, ...lines);
      writer.end();
      const exit = await writer.waitExit(PASTE_DEADLINE_MS);
      expect(exit.code, writer.stderr()).toBe(0);
      expect(writer.stderr()).not.toMatch(/unanswered/);
      expect(writer.events.filter((e) => e.type === 'error')).toEqual([]);
      const outbox = writer.events.filter((e) => e.type === 'outbox');
      expect(outbox.length).toBeGreaterThan(1);
      expect(Math.max(...outbox.map((e) => e.queued as number))).toBeGreaterThan(0);
      expect(outbox.at(-1)).toEqual({ type: 'outbox', queued: 0 });

      await reader.waitFor(is('message', { from: `writer${tag}`, text: lines.at(-1) }), 'the last pasted line', PASTE_DEADLINE_MS);
      const got = reader.events.filter((e) => e.type === 'message' && e.from === `writer${tag}`).map((e) => e.text);
      expect(got).toEqual(lines);
      reader.end();
      expect((await reader.waitExit()).code).toBe(0);
    }, 2 * PASTE_DEADLINE_MS);
  }
});
