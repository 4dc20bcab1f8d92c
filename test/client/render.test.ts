import fc from 'fast-check';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { formatSize } from '../../src/files/format.ts';
import type { Reply } from '../../src/commands/types.ts';
import {
  formatClock,
  formatDuration,
  nameColorIndex,
  promptText,
  sanitizeForTerminal,
  toJsonEvent,
  toTerminalLines,
  type Shown,
  type StatusInfo,
  type UdpStatus,
} from '../../src/client/render.ts';
import type { Display } from '../../src/client/state.ts';
import { nameArb, replyArb } from './arbitraries.ts';

const plain = pc.createColors(false);
const coloured = pc.createColors(true);
// A fixed local wall-clock instant, so the expected `[HH:MM:SS]` holds in any time zone.
const TS = new Date(2024, 0, 2, 3, 4, 5).getTime();
const NOW = new Date(2024, 0, 2, 13, 14, 15).getTime();
const ctx = { me: 'alice', now: NOW, colors: plain };
const udpOff: UdpStatus = {
  state: 'disabled',
  target: null,
  reason: null,
  srttMs: null,
  minRttMs: null,
  packetsSent: 0,
  packetsReceived: 0,
  packetsLost: 0,
  lossRate: null,
  peerPacketsMissing: 0,
  peerPacketsSpanned: 0,
  inboundLossRate: null,
  retransmissions: 0,
};

function shown(reply: Reply): Display {
  return reply.kind === 'users'
    ? { kind: 'users', scope: 'all', room: undefined, users: reply.users }
    : { kind: 'reply', reply };
}

describe('toJsonEvent', () => {
  it('gives each reply kind its documented fields', () => {
    expect(toJsonEvent(shown({ kind: 'welcome', name: 'alice', room: 'lobby', text: 'Welcome' }), ctx)).toEqual({
      type: 'welcome',
      name: 'alice',
      room: 'lobby',
      text: 'Welcome',
    });
    expect(
      toJsonEvent(shown({ kind: 'message', from: 'bob', room: 'lobby', ts: TS, self: false, text: 'hi' }), ctx),
    ).toEqual({ type: 'message', from: 'bob', room: 'lobby', ts: TS, self: false, text: 'hi', transport: 'tcp' });
    expect(
      toJsonEvent(shown({ kind: 'private', from: 'alice', to: 'bob', ts: TS, self: true, text: 'psst' }), ctx),
    ).toEqual({ type: 'private', from: 'alice', to: 'bob', ts: TS, self: true, text: 'psst', transport: 'tcp' });
    const overUdp: Display = {
      kind: 'reply',
      reply: { kind: 'message', from: 'bob', room: 'lobby', ts: TS, self: false, text: 'hi' },
      via: 'udp',
    };
    expect(toJsonEvent(overUdp, ctx)).toMatchObject({ type: 'message', transport: 'udp' });
    expect(
      toJsonEvent({ kind: 'users', scope: 'room', room: 'games', users: [{ name: 'bob', room: 'games' }] }, ctx),
    ).toEqual({ type: 'users', scope: 'room', room: 'games', users: [{ name: 'bob', room: 'games' }] });
    expect(toJsonEvent({ kind: 'users', scope: 'all', room: undefined, users: [] }, ctx)).toEqual({
      type: 'users',
      scope: 'all',
      users: [],
    });
    expect(toJsonEvent(shown({ kind: 'rooms', rooms: [{ name: 'lobby', count: 2 }] }), ctx)).toEqual({
      type: 'rooms',
      rooms: [{ name: 'lobby', count: 2 }],
    });
    expect(toJsonEvent(shown({ kind: 'files', files: [{ name: 'a b.txt', size: 3 }] }), ctx)).toEqual({
      type: 'files',
      files: [{ name: 'a b.txt', size: 3 }],
    });
    expect(toJsonEvent(shown({ kind: 'joined', name: 'ALICE', room: 'games', ts: TS }), ctx)).toEqual({
      type: 'joined',
      name: 'ALICE',
      room: 'games',
      ts: TS,
      self: true,
    });
    expect(
      toJsonEvent(shown({ kind: 'left', name: 'bob', room: 'lobby', ts: TS, reason: 'disconnect' }), ctx),
    ).toEqual({ type: 'left', name: 'bob', room: 'lobby', ts: TS, reason: 'disconnect', self: false });
    expect(toJsonEvent(shown({ kind: 'error', code: 'name-taken', message: 'taken' }), ctx)).toEqual({
      type: 'error',
      code: 'name-taken',
      message: 'taken',
      source: 'server',
    });
    expect(toJsonEvent(shown({ kind: 'system', text: 'hello' }), ctx)).toEqual({ type: 'system', text: 'hello' });
    expect(toJsonEvent(shown({ kind: 'disconnected' }), ctx)).toEqual({ type: 'disconnected' });
  });

  it('shows client-side notices as events too', () => {
    expect(toJsonEvent({ kind: 'client-error', code: 'bad-command', message: 'unknown /frob' }, ctx)).toEqual({
      type: 'error',
      code: 'bad-command',
      message: 'unknown /frob',
      source: 'client',
    });
    expect(toJsonEvent({ kind: 'raw', line: 'garbage' }, ctx)).toEqual({ type: 'system', text: 'garbage', raw: true });
    expect(toJsonEvent({ kind: 'oversize', bytes: 2_000_000 }, ctx)).toMatchObject({ type: 'system', raw: true });
    const help = toJsonEvent({ kind: 'help' }, ctx);
    expect(help.type).toBe('help');
    const status: StatusInfo = {
      host: '127.0.0.1',
      port: 5000,
      name: 'alice',
      room: 'lobby',
      transport: 'tcp',
      connectedAt: NOW - 61_000,
      udp: udpOff,
    };
    expect(toJsonEvent({ kind: 'status', status }, ctx)).toEqual({
      type: 'status',
      host: '127.0.0.1',
      port: 5000,
      name: 'alice',
      room: 'lobby',
      transport: 'tcp',
      connectedAt: NOW - 61_000,
      connectedForMs: 61_000,
      udp: udpOff,
      transfers: [],
    });
  });

  it('reports transport changes as transport events', () => {
    expect(toJsonEvent({ kind: 'transport', transport: 'udp', reason: 'bound', target: '127.0.0.1:5001' }, ctx)).toEqual({
      type: 'transport',
      transport: 'udp',
      reason: 'bound',
      target: '127.0.0.1:5001',
    });
    expect(toJsonEvent({ kind: 'transport', transport: 'tcp', reason: 'binding-timeout' }, ctx)).toEqual({
      type: 'transport',
      transport: 'tcp',
      reason: 'binding-timeout',
    });
  });

  it('always yields one JSON line whose type names the reply kind', () => {
    fc.assert(
      fc.property(replyArb, fc.option(nameArb, { nil: undefined }), (reply, me) => {
        const event = toJsonEvent(shown(reply), { me, now: NOW });
        const line = JSON.stringify(event);
        expect(line).not.toMatch(/[\n\r]/);
        expect((JSON.parse(line) as { type: string }).type).toBe(reply.kind);
      }),
    );
  });
});

describe('toTerminalLines', () => {
  const line = (item: Shown, me: string | undefined = 'alice'): string =>
    toTerminalLines(item, { me, now: NOW, colors: plain }).join('\n');

  it('renders every reply kind as readable text with a timestamp', () => {
    expect(line(shown({ kind: 'welcome', name: 'alice', room: 'lobby', text: 'Welcome, 2 online' }))).toBe(
      '[13:14:15] * Welcome, 2 online\n[13:14:15] * You are alice in #lobby — type /help for commands',
    );
    // The server's pointer to the bracket <help> is for raw-command clients: this one points to /help once.
    const welcome = 'Welcome, alice! 2 users online, you are in #lobby. Type <help> for the commands.';
    expect(line(shown({ kind: 'welcome', name: 'alice', room: 'lobby', text: welcome }))).toBe(
      '[13:14:15] * Welcome, alice! 2 users online, you are in #lobby.\n[13:14:15] * You are alice in #lobby — type /help for commands',
    );
    expect(line(shown({ kind: 'message', from: 'bob', room: 'lobby', ts: TS, self: false, text: 'hi there' }))).toBe(
      '[03:04:05] bob: hi there',
    );
    expect(line(shown({ kind: 'private', from: 'bob', to: 'alice', ts: TS, self: false, text: 'psst' }))).toBe(
      '[03:04:05] [private] bob → you: psst',
    );
    expect(line(shown({ kind: 'private', from: 'alice', to: 'bob', ts: TS, self: true, text: 'psst' }))).toBe(
      '[03:04:05] [private] you → bob: psst',
    );
    expect(
      line({
        kind: 'users',
        scope: 'room',
        room: 'games',
        users: [
          { name: 'alice', room: 'games' },
          { name: 'bob', room: 'games' },
        ],
      }),
    ).toBe('[13:14:15] In #games (2): alice, bob');
    expect(
      line({
        kind: 'users',
        scope: 'all',
        room: undefined,
        users: [
          { name: 'alice', room: 'lobby' },
          { name: 'carol', room: 'games' },
          { name: 'bob', room: 'lobby' },
        ],
      }),
    ).toBe('[13:14:15] Online (3): #lobby alice, bob; #games carol');
    expect(line({ kind: 'users', scope: 'all', room: undefined, users: [] })).toBe('[13:14:15] Nobody online');
    expect(
      line(
        shown({
          kind: 'rooms',
          rooms: [
            { name: 'lobby', count: 3 },
            { name: 'games', count: 1 },
          ],
        }),
      ),
    ).toBe('[13:14:15] Rooms (2): #lobby (3), #games (1)');
    expect(
      line(
        shown({
          kind: 'files',
          files: [
            { name: 'notes.txt', size: 12 },
            { name: 'big.bin', size: 3 * 1024 * 1024 },
          ],
        }),
      ),
    ).toBe('[13:14:15] Files (2):\n  notes.txt  12 B\n  big.bin  3.0 MiB');
    expect(line(shown({ kind: 'files', files: [] }))).toBe('[13:14:15] No files shared on the server');
    expect(line(shown({ kind: 'joined', name: 'bob', room: 'games', ts: TS }))).toBe('[03:04:05] * bob joined #games');
    expect(line(shown({ kind: 'joined', name: 'Alice', room: 'games', ts: TS }))).toBe(
      '[03:04:05] * You are now in #games',
    );
    expect(line(shown({ kind: 'left', name: 'bob', room: 'lobby', ts: TS, reason: 'moved' }))).toBe(
      '[03:04:05] * bob left #lobby (moved to another room)',
    );
    // Our own leave is told by the join or the disconnect that comes with it; a repeated join is silent.
    expect(line(shown({ kind: 'left', name: 'alice', room: 'lobby', ts: TS, reason: 'moved' }))).toBe('');
    expect(
      line({ kind: 'reply', reply: { kind: 'joined', name: 'alice', room: 'lobby', ts: TS }, repeat: true }),
    ).toBe('');
    expect(line(shown({ kind: 'left', name: 'bob', room: 'lobby', ts: TS, reason: 'lost' }))).toBe(
      '[03:04:05] * bob left #lobby (connection lost)',
    );
    expect(line(shown({ kind: 'error', code: 'unknown-user', message: 'no user "zed"' }))).toBe(
      '[13:14:15] ! no user "zed" (unknown-user)',
    );
    expect(line(shown({ kind: 'system', text: 'server shutting down' }))).toBe('[13:14:15] * server shutting down');
    expect(line(shown({ kind: 'disconnected' }))).toBe('[13:14:15] * Disconnected. Bye!');
  });

  it('renders client notices, help and status', () => {
    expect(line({ kind: 'client-error', code: 'refused', message: 'not available yet' })).toBe(
      '[13:14:15] ! not available yet',
    );
    expect(line({ kind: 'raw', line: '<weird>stuff' })).toBe('[13:14:15] ? <weird>stuff');
    const help = toTerminalLines({ kind: 'help' }, ctx);
    for (const form of ['/msg USER TEXT', '/join ROOM', '/users all', '/quit', '<set_msg>USER TEXT', '<connect>NAME']) {
      expect(help.some((l) => l.includes(form))).toBe(true);
    }
    const status = line({
      kind: 'status',
      status: { host: 'h', port: 5000, name: 'alice', room: 'lobby', transport: 'tcp', connectedAt: NOW - 3_723_000, udp: udpOff },
    });
    expect(status).toContain('server     h:5000');
    expect(status).toContain('room       #lobby');
    expect(status).toContain('transport  tcp');
    expect(status).toContain('connected  1h 02m 03s');
    expect(
      line({
        kind: 'status',
        status: { host: 'h', port: 1, name: undefined, room: undefined, transport: 'tcp', connectedAt: undefined, udp: udpOff },
      }),
    ).toContain('not signed in');
    expect(status).toContain('udp        off (--no-udp)');
  });

  it('shows the UDP data plane in /status: rtt, loss and retransmissions', () => {
    const bound: UdpStatus = {
      state: 'bound',
      target: '127.0.0.1:5001',
      reason: 'bound',
      srttMs: 0.42,
      minRttMs: 0.1,
      packetsSent: 200,
      packetsReceived: 190,
      packetsLost: 5,
      lossRate: 0.025,
      peerPacketsMissing: 19,
      peerPacketsSpanned: 209,
      inboundLossRate: 19 / 209,
      retransmissions: 7,
    };
    const at = (udp: UdpStatus, transport: 'udp' | 'tcp'): string =>
      line({ kind: 'status', status: { host: 'h', port: 1, name: 'alice', room: 'lobby', transport, connectedAt: NOW, udp } });
    const lines = at(bound, 'udp');
    expect(lines).toContain('transport  udp');
    expect(lines).toContain(
      "udp        bound to 127.0.0.1:5001: rtt 0.42 ms (min 0.10 ms), loss out 2.5% (5 of 200 sent, by ACKs), in 9.1% (19 of the server's 209 missing), 7 retransmissions",
    );
    const fallen = at({ ...bound, state: 'fallen-back', reason: 'peer-lost' }, 'tcp');
    expect(fallen).toMatch(/^ {2}transport {2}tcp$/m);
    expect(fallen).toContain('udp        gave up: the server stopped answering over UDP (was rtt 0.42 ms');
    expect(at({ ...udpOff, state: 'binding', target: '10.0.0.1:9' }, 'tcp')).toContain('udp        binding to 10.0.0.1:9…');
    expect(at({ ...udpOff, state: 'fallen-back', reason: 'binding-timeout' }, 'tcp')).toContain(
      'udp        gave up: no answer to the UDP binding in time (is UDP blocked?)',
    );
  });

  it('announces transport changes', () => {
    expect(line({ kind: 'transport', transport: 'udp', reason: 'bound', target: '127.0.0.1:5001' })).toBe(
      '[13:14:15] * chat now travels over UDP (datagrams to 127.0.0.1:5001)',
    );
    expect(line({ kind: 'transport', transport: 'tcp', reason: 'peer-lost' })).toBe(
      '[13:14:15] * chat moves to TCP: the server stopped answering over UDP',
    );
  });

  it('colours names stably, private messages and errors distinctly', () => {
    const c = { me: 'alice', now: NOW, colors: coloured };
    const fromBob = (text: string): string =>
      toTerminalLines({ kind: 'reply', reply: { kind: 'message', from: 'bob', room: 'r', ts: TS, self: false, text } }, c)[0] ?? '';
    const bobColour = fromBob('one').split('bob')[0]?.split(' ').pop();
    expect(bobColour).toMatch(/\u001b\[/);
    expect(fromBob('two').split('bob')[0]?.split(' ').pop()).toBe(bobColour);
    const privateLine = toTerminalLines(
      { kind: 'reply', reply: { kind: 'private', from: 'bob', to: 'alice', ts: TS, self: false, text: 'x' } },
      c,
    ).join('');
    expect(privateLine).toContain(coloured.magenta('x'));
    const errorLine = toTerminalLines({ kind: 'reply', reply: { kind: 'error', code: 'refused', message: 'no' } }, c).join('');
    expect(errorLine).toContain(coloured.red('! no'));
  });

  it('never lets network text put control characters on the terminal', () => {
    fc.assert(
      fc.property(replyArb, (reply) => {
        for (const out of toTerminalLines(shown(reply), { me: 'alice', now: NOW, colors: plain })) {
          // eslint-disable-next-line no-control-regex
          expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
      }),
    );
  });
});

describe('helpers', () => {
  it('formats clocks, sizes and durations', () => {
    expect(formatClock(TS)).toBe('[03:04:05]');
    expect(formatClock(Number.NaN)).toBe('[--:--:--]');
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(3_600_000)).toBe('1h 00m 00s');
  });

  it('replaces control characters, keeps everything else', () => {
    expect(sanitizeForTerminal('a\u001b[2Jb\tc\u0085d é 😀')).toBe('a\uFFFD[2Jb\uFFFDc\uFFFDd é 😀');
  });

  it('gives a name the same colour whatever its case', () => {
    fc.assert(
      fc.property(nameArb, (name) => {
        expect(nameColorIndex(name)).toBe(nameColorIndex(name.toUpperCase()));
        expect(nameColorIndex(name)).toBe(nameColorIndex(name.toLowerCase()));
      }),
    );
    const spread = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(nameColorIndex));
    expect(spread.size).toBeGreaterThan(2);
  });

  it('prompts for a name, then shows name@room', () => {
    expect(promptText(undefined, undefined, plain)).toBe('name: ');
    expect(promptText('alice', 'lobby', plain)).toBe('alice@lobby> ');
    expect(promptText('alice', undefined, plain)).toBe('alice> ');
  });
});

describe('file events', () => {
  const file = (event: import('../../src/files/client-files.ts').ClientFileEvent): Shown => ({ kind: 'file', event });
  const lines = (event: import('../../src/files/client-files.ts').ClientFileEvent): string[] => toTerminalLines(file(event), ctx);

  it('become the --json events the README documents', () => {
    expect(toJsonEvent(file({ type: 'requested', direction: 'download', name: 'a.txt', resumeFrom: 1024 }), ctx)).toEqual({ type: 'requested', name: 'a.txt', resumeFrom: 1024 });
    expect(toJsonEvent(file({ type: 'started', id: 3, direction: 'download', name: 'a.txt', size: 10, offset: 4 }), ctx)).toEqual({ type: 'download', id: 3, name: 'a.txt', size: 10, offset: 4 });
    expect(toJsonEvent(file({ type: 'progress', id: 3, direction: 'download', name: 'a.txt', done: 5, size: 10, percent: 50 }), ctx)).toEqual({
      type: 'progress',
      id: 3,
      direction: 'download',
      name: 'a.txt',
      bytes: 5,
      size: 10,
      percent: 50,
    });
    expect(toJsonEvent(file({ type: 'queued', id: 4, name: 'b.pdf', position: 2 }), ctx)).toEqual({ type: 'queued', id: 4, name: 'b.pdf', position: 2 });
    expect(toJsonEvent(file({ type: 'offer', id: 5, from: 'bob', name: 'c.png', size: 9, accepted: false }), ctx)).toEqual({ type: 'offer', id: 5, from: 'bob', name: 'c.png', size: 9, accepted: false });
    expect(toJsonEvent(file({ type: 'finished', id: 3, direction: 'download', name: 'a.txt', size: 10, savedAs: 'a (1).txt', path: '/d/a (1).txt' }), ctx)).toEqual({
      type: 'saved',
      id: 3,
      direction: 'download',
      name: 'a.txt',
      path: '/d/a (1).txt',
      savedAs: 'a (1).txt',
      size: 10,
    });
    expect(toJsonEvent(file({ type: 'finished', id: 4, direction: 'upload', name: 'b.pdf', size: 7, savedAs: 'b.pdf' }), ctx)).toEqual({ type: 'stored', id: 4, name: 'b.pdf', storedAs: 'b.pdf', size: 7 });
    expect(toJsonEvent(file({ type: 'finished', id: 6, direction: 'send', name: 'c.png', size: 9, to: 'bob' }), ctx)).toEqual({ type: 'delivered', id: 6, name: 'c.png', to: 'bob', size: 9 });
    expect(toJsonEvent(file({ type: 'failed', id: 3, direction: 'download', name: 'a.txt', code: 'interrupted', message: 'lost', resumable: true }), ctx)).toEqual({
      type: 'transfer-error',
      id: 3,
      direction: 'download',
      name: 'a.txt',
      code: 'interrupted',
      message: 'lost',
      resumable: true,
    });
    expect(toJsonEvent(file({ type: 'error', message: 'no transfer 9 is in progress' }), ctx)).toEqual({ type: 'error', code: 'bad-argument', message: 'no transfer 9 is in progress', source: 'client' });
  });

  it('become readable terminal lines, with what to type next', () => {
    expect(lines({ type: 'requested', direction: 'download', name: 'a.txt', resumeFrom: 3 * 1024 * 1024 })).toEqual(['[13:14:15] * Resuming a.txt at 3.0 MiB (what an earlier download left)']);
    expect(lines({ type: 'started', id: 3, direction: 'download', name: 'a.txt', size: 2048, offset: 0 })).toEqual(['[13:14:15] * Downloading a.txt (2.0 KiB) as transfer 3 — /cancel 3 to stop']);
    expect(lines({ type: 'offer', id: 5, from: 'bob', name: 'c.png', size: 9, accepted: false })).toEqual(['[13:14:15] * bob offers you c.png (9 B): /accept 5 or /decline 5']);
    expect(lines({ type: 'queued', id: 4, name: 'b.pdf', position: 2 })[0]).toMatch(/position 2 .*\/cancel 4/);
    // What the user asked for reads as done, not as a red failure; a decline is confirmed.
    expect(lines({ type: 'failed', id: 3, direction: 'download', name: 'a.txt', code: 'cancelled', message: 'cancelled', resumable: false })).toEqual(['[13:14:15] * download a.txt cancelled']);
    expect(lines({ type: 'declined', id: 5, from: 'bob', name: 'c.png' })).toEqual(['[13:14:15] * declined c.png from bob (offer 5): bob is told']);
    expect(lines({ type: 'finished', id: 3, direction: 'download', name: 'a.txt', size: 10, savedAs: 'a.txt', path: '/d/a.txt' })).toEqual(['[13:14:15] ✓ a.txt saved to /d/a.txt (10 B, CRC-32 checked)']);
    expect(lines({ type: 'finished', id: 4, direction: 'upload', name: 'b.pdf', size: 7, savedAs: 'b (1).pdf' })[0]).toMatch(/b\.pdf uploaded \(stored as b \(1\)\.pdf: the name was taken\)/);
    expect(lines({ type: 'failed', id: 3, direction: 'download', name: 'a.txt', code: 'interrupted', message: 'lost', resumable: true })).toEqual(['[13:14:15] ! download a.txt failed: lost — /download a.txt resumes it (interrupted)']);
    // Names from the network cannot move the cursor.
    expect(lines({ type: 'offer', id: 1, from: 'bob', name: 'x\u001b[2Jy', size: 1, accepted: true })[0]).not.toContain('\u001b');
  });
});

describe('a history line already shown before a reconnect', () => {
  it('is left out of the terminal and marked `seen` in --json', () => {
    const reply: Reply = { kind: 'history', room: 'dev', id: 4, from: 'bob', ts: TS, text: 'old news' };
    const again: Display = { kind: 'reply', reply, repeat: true };
    expect(toTerminalLines(again, ctx)).toEqual([]);
    expect(toJsonEvent(again, ctx)).toEqual({ type: 'history', room: 'dev', id: 4, from: 'bob', text: 'old news', ts: TS, seen: true });
    expect(toJsonEvent(shown(reply), ctx)).not.toHaveProperty('seen');
    expect(toTerminalLines(shown(reply), ctx).join('\n')).toContain('old news');
  });
});
