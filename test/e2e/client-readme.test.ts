// The README's scripted example, over UDP, as a user runs it: `printf '/join games\nhello\n/users\n' |
// dualchat client --name bob --json`. The echo of `hello` may come back over UDP after the TCP reply to
// `/users`; the reply must still be read as the answer to `/users` (scope room), and nothing may be
// reported unanswered. 20 runs, 5 at a time (each of the 5 in a room of its own: games0…games4).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnClient, startTestServer, type TestServer, type JsonObject } from './client-helpers.ts';

/** The example as the README writes it: its typed lines, and the event types it shows (in order). */
function readmeScript(): { lines: string[]; types: string[] } {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const m = /^\$ printf '([^']*)' \| npx dualchat client --name bob --json\n((?:\{.*\}\n)+)```/m.exec(readme);
  if (m === null) throw new Error("the README has no `printf '…' | npx dualchat client --name bob --json` example");
  const lines = (m[1] ?? '').split('\\n').filter((l) => l !== '');
  const types = (m[2] ?? '').trim().split('\n').map((l) => (JSON.parse(l.replace('…', '')) as JsonObject).type);
  return { lines, types };
}
const README = readmeScript();

const RUNS = 20;
const AT_ONCE = 5;
/** One run signs in, binds UDP, sends three lines and leaves: a few seconds on a loaded machine. */
const RUN_DEADLINE_MS = 20_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

async function readmeExample(name: string, room: string): Promise<{ users: unknown; stderr: string; code: number | null; transports: unknown[]; types: string[] }> {
  const client = spawnClient(['--tcp', String(server.server.tcpPort), '--name', name, '--json']);
  // The README's lines, each run in a room of its own.
  client.send(...README.lines.map((l) => l.replace(/^\/join games$/, `/join ${room}`)));
  client.end();
  const exit = await client.waitExit(RUN_DEADLINE_MS);
  return {
    users: client.events.find((e) => e.type === 'users'),
    stderr: client.stderr(),
    code: exit.code,
    transports: client.events.filter((e) => e.type === 'transport').map((e) => e.transport),
    // Our own events: the other runs' clients come and go in the lobby meanwhile.
    types: client.events.filter((e) => (e.type !== 'joined' && e.type !== 'left') || e.self === true).map((e) => e.type),
  };
}

describe("the README's scripted example", () => {
  it(`answers /users with the room's users in ${RUNS} runs over UDP, and nothing is left unanswered`, async () => {
    let udpRuns = 0;
    for (let batch = 0; batch < RUNS / AT_ONCE; batch++) {
      const runs = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => readmeExample(`bob${batch * AT_ONCE + i}`, `games${i}`)));
      runs.forEach((r, i) => {
        const name = `bob${batch * AT_ONCE + i}`;
        expect(r.code, `${name}: ${r.stderr}`).toBe(0);
        expect(r.users, name).toEqual({ type: 'users', scope: 'room', room: `games${i}`, users: [{ name, room: `games${i}` }] });
        expect(r.stderr, name).not.toMatch(/unanswered/);
        // The events the README shows (the echo over UDP may overtake or follow a TCP reply, as the README
        // says; the UDP binding's event may come anywhere, or not at all).
        const shown = (types: string[]): string[] => types.filter((t) => t !== 'transport').sort();
        expect(shown(r.types), name).toEqual(shown(README.types));
        if (r.transports.includes('udp')) udpRuns++;
      });
    }
    // The case in question is the UDP one: most runs must have had their chat on UDP.
    expect(udpRuns).toBeGreaterThanOrEqual(RUNS / 2);
  });
});
