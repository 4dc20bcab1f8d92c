// The README's scripted example, over UDP, as a user runs it: `printf '/join games\nhello\n/users\n' |
// dualchat client --name bob --json`. The echo of `hello` may come back over UDP after the TCP reply to
// `/users`; the reply must still be read as the answer to `/users` (scope room), and nothing may be
// reported unanswered. 20 runs, 5 at a time (each of the 5 in a room of its own: games0…games4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnClient, startTestServer, type TestServer } from './client-helpers.ts';

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

async function readmeExample(name: string, room: string): Promise<{ users: unknown; stderr: string; code: number | null; transports: unknown[] }> {
  const client = spawnClient(['--tcp', String(server.server.tcpPort), '--name', name, '--json']);
  client.send(`/join ${room}`, 'hello', '/users');
  client.end();
  const exit = await client.waitExit(RUN_DEADLINE_MS);
  return {
    users: client.events.find((e) => e.type === 'users'),
    stderr: client.stderr(),
    code: exit.code,
    transports: client.events.filter((e) => e.type === 'transport').map((e) => e.transport),
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
        if (r.transports.includes('udp')) udpRuns++;
      });
    }
    // The case in question is the UDP one: most runs must have had their chat on UDP.
    expect(udpRuns).toBeGreaterThanOrEqual(RUNS / 2);
  });
});
