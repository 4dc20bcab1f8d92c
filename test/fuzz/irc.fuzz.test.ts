// Fuzzing the IRC door without sockets: 10,000 IRC lines — commands the door knows with hostile
// parameters, tags, prefixes, NUL and CR, junk — through its framer and its per-connection reading into
// a real hub, as src/server/ wires them (steps carried out in order, hub outputs to the connection's
// bytes). Nothing may throw, and every byte the door produces must be IRC lines a client parses back,
// each at most 512 bytes with its CR LF, tags apart. fast-check prints the seed of a failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Hub, type HubOutput } from '../../src/chat/hub.ts';
import type { DoorStep } from '../../src/doors/door.ts';
import { ircDoor } from '../../src/doors/irc/door.ts';
import { IRC_MAX_LINE, parseIrc } from '../../src/doors/irc/message.ts';
import { chatView } from '../../src/server/chat-view.ts';
import { anyChar } from '../commands/arbitraries.ts';

const RUNS = 200;
const LINES_PER_RUN = 50;

const VERBS = ['CAP', 'NICK', 'USER', 'PASS', 'PING', 'PONG', 'QUIT', 'JOIN', 'PART', 'PRIVMSG', 'NOTICE', 'NAMES', 'LIST', 'WHO', 'WHOIS', 'TOPIC', 'MODE', 'MOTD', 'LUSERS', 'ISON', 'USERHOST', 'AWAY', 'HELP', 'VERSION', 'KICK', 'privmsg', '001', 'X', 'AUTHENTICATE', 'NICKSERV', 'NS'];
const word = fc.oneof(
  fc.constantFrom('alice', 'Bob', '#dev', '#lobby', '#Dev,#ops', 'bob,#dev', '*', '0', 'LS', '302', 'REQ', 'END', 'LIST', ':server-time echo-message', ':sasl', 'PLAIN', '+', 'AGFsaWNlAHB3LTEyMzQ=', 'NickServ', ':REGISTER pw-1234', 'IDENTIFY', '+b', 'b', '-i', '\u0001ACTION waves\u0001', '\u0001VERSION\u0001', ':', '::'),
  fc.string({ unit: anyChar, maxLength: 24 }),
);
const ircLine: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...VERBS), fc.array(word, { maxLength: 5 })).map(([v, ps]) => [v, ...ps].join(' ')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('@time=x;+a=b\\s ', '@ ', ':nick!u@h ', ':x '), fc.constantFrom(...VERBS), word).map(([pre, v, p]) => `${pre}${v} ${p}`) },
  { weight: 1, arbitrary: fc.string({ unit: anyChar, maxLength: 80 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('PRIVMSG #dev :', 'NICK '), fc.integer({ min: 400, max: 9000 })).map(([p, n]) => p + 'x'.repeat(n)) },
);

/** Every line of `bytes` parses as IRC and fits 512 bytes with CR LF, not counting tags. */
function checkLines(bytes: Uint8Array): void {
  const text = Buffer.from(bytes).toString('utf8');
  if (text === '') return;
  expect(text.endsWith('\r\n')).toBe(true);
  for (const line of text.slice(0, -2).split('\r\n')) {
    expect(parseIrc(line), JSON.stringify(line)).toBeDefined();
    const body = line.startsWith('@') ? line.slice(line.indexOf(' ') + 1) : line;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(IRC_MAX_LINE);
  }
}

describe('IRC door fuzz', () => {
  it(`${RUNS * LINES_PER_RUN} fuzzed lines: nothing throws, every reply is IRC lines a client parses`, () => {
    let registered = 0;
    fc.assert(
      fc.property(fc.array(ircLine, { minLength: LINES_PER_RUN - 2, maxLength: LINES_PER_RUN - 2 }), fc.boolean(), fc.boolean(), fc.boolean(), (fuzzed, second, registerFirst, accounts) => {
        // Most runs register first, so the fuzz reaches the commands of a registered connection.
        const lines = registerFirst ? ['NICK alice', 'USER a 0 * :A', ...fuzzed] : [...fuzzed, 'PING x', 'QUIT'];
        const hub = new Hub({ rateLimit: 0 });
        const door = ircDoor({ filesHint: 'Use the client.', defaultRoom: 'lobby', version: 'test', accounts });
        // A second session (another door's user) for the messages to reach.
        if (second) {
          hub.open(2, 0);
          hub.handle(2, { kind: 'connect', name: 'bob' }, 0);
          hub.handle(2, { kind: 'enter', room: 'dev' }, 0);
        }
        hub.open(1, 0);
        const conn = door.open(chatView(hub, 1));
        const framer = door.framer();
        let now = 0;
        let everNamed = false;
        const deliver = (outputs: readonly HubOutput[]): void => {
          for (const o of outputs) {
            if (o.type === 'reply' && o.to === 1) checkLines(conn.bytes(o.reply));
            if (o.type === 'room' && hub.localMembers(o.room).has(1) && o.except !== 1 && !conn.skip?.(o.reply)) checkLines((conn.format ?? conn).bytes(o.reply));
          }
        };
        const run = (steps: readonly DoorStep[]): void => {
          for (const step of steps) {
            if (step.type === 'hub') {
              conn.asking?.(step);
              deliver(hub.handle(1, step.command, now));
              conn.asking?.(undefined);
              if (step.then !== undefined) run(step.then());
            } else if (step.type === 'send' || step.type === 'end') checkLines(step.bytes);
          }
        };
        for (const line of lines) {
          now += 10;
          for (const out of framer.push(Buffer.from(`${line}\r\n`, 'utf8'), now)) {
            if (out.type === 'error') {
              checkLines(conn.bytes({ kind: 'error', code: out.code, message: 'framing' }));
              continue;
            }
            const input = conn.read(out.text, now);
            expect(input.type).toBe('steps');
            if (input.type === 'steps') run(input.steps);
            everNamed ||= hub.nameOf(1) !== undefined;
          }
        }
        if (everNamed) registered++;
        deliver(hub.close(1, now, 'lost'));
      }),
      { numRuns: RUNS },
    );
    expect(registered).toBeGreaterThan(RUNS / 4);
  });
});
