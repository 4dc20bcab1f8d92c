// The bracket door's penalty budget: what a line costs by its verb, a person's burst goes, a flood of
// joins is held, then refused with an error, then dropped; refused lines pay more once read.
import { describe, expect, it } from 'vitest';
import type { ChatView } from '../../../src/doors/door.ts';
import { BracketConnection, FLOOD_CLOSING } from '../../../src/doors/bracket/connection.ts';
import { BRACKET_PENALTY_RULES, COMMAND_COSTS, NEXT_PAGE_MS, REFUSED_LINE_MS } from '../../../src/doors/bracket/costs.ts';
import { BRACKET_DOOR } from '../../../src/doors/bracket/door.ts';

function view(name: string | undefined): ChatView {
  return {
    name: () => name,
    rooms: () => [],
    users: () => [],
    allRooms: () => [],
    members: () => [],
    user: () => undefined,
    userCount: () => 0,
    topic: () => undefined,
  };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('bracket connection: penalty budget', () => {
  it('prices lines by their verb: chat and plumbing free, joins dear, junk as dear as a join', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    expect(c.costOf('<set_msg_all>hi')).toBe(0);
    expect(c.costOf('<SET_MSG>bob hi')).toBe(0);
    expect(c.costOf('<chunk>AAAA')).toBe(0);
    expect(c.costOf('<transport>tcp 3')).toBe(0);
    expect(c.costOf('<join>x')).toBe(COMMAND_COSTS.join);
    expect(c.costOf('<get_users>')).toBe(COMMAND_COSTS.users);
    expect(c.costOf('hello')).toBe(REFUSED_LINE_MS);
    expect(c.costOf('<nonsense>')).toBe(REFUSED_LINE_MS);
    // Signed in, a <connect> can only be refused; before, the login guard owns it.
    expect(c.costOf('<connect>bob')).toBe(REFUSED_LINE_MS);
    expect(new BracketConnection(view(undefined), BRACKET_PENALTY_RULES).costOf('<connect>bob')).toBe(0);
  });

  it('prices a further page of a long list at a tenth of the listing; page 1 and other arguments as the listing', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    for (const line of ['<get_users>+2', '<listfiles>+187', '<get_list_file>+10', '<rooms>+3', '<rooms> +02']) expect(c.costOf(line), line).toBe(NEXT_PAGE_MS);
    for (const line of ['<get_users>+1', '<get_users>', '<rooms>+0', '<listfiles>+x', '<get_users>alice']) expect(c.costOf(line), line).toBe(COMMAND_COSTS.users);
    // Only the paged lists: any other verb with "+2" costs what it costs.
    expect(c.costOf('<join>+2')).toBe(COMMAND_COSTS.join);
    expect(c.costOf('<history>+2')).toBe(COMMAND_COSTS.history);
    // 187 pages of a long file list after the first: within the free clock and the hold, never refused.
    let refused = 0;
    expect(c.admit('<listfiles>', 0).type).toBe('go');
    for (let page = 2; page <= 187; page++) if (c.admit(`<listfiles>+${page}`, 0).type === 'refuse') refused++;
    expect(refused).toBe(0);
  });

  it('lets a person click around, holds a flood, refuses it with an error, then closes with a reason', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    const burst = BRACKET_PENALTY_RULES.freeMs / COMMAND_COSTS.join;
    for (let i = 0; i < burst; i++) expect(c.admit(i % 2 === 0 ? '<join>x' : '<leave>', 0)).toEqual({ type: 'go' });
    const held = BRACKET_PENALTY_RULES.holdMs / COMMAND_COSTS.join;
    for (let i = 1; i <= held; i++) expect(c.admit('<join>x', 0)).toEqual({ type: 'hold', until: i * COMMAND_COSTS.join });
    for (let i = 1; i < BRACKET_PENALTY_RULES.maxStrikes; i++) {
      const v = c.admit('<join>x', 0);
      expect(v.type).toBe('refuse');
      if (v.type === 'refuse') expect(text(v.bytes)).toMatch(/^<error>rate-limited slow down: too many commands; this line was ignored \(try again in \d+ s\)\n$/);
    }
    const drop = c.admit('<join>x', 0);
    expect(drop.type).toBe('drop');
    if (drop.type === 'drop') expect(text(drop.bytes)).toBe(`<error>rate-limited ${FLOOD_CLOSING}\n`);
  });

  it('never slows chat a person types once the debt is paid, and chat alone never builds debt', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    for (let i = 0; i < 10_000; i++) expect(c.admit(`<set_msg_all>line ${i}`, i)).toEqual({ type: 'go' });
  });

  it('charges a refused line in full once it is read (a known verb with bad arguments)', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    const lines = BRACKET_PENALTY_RULES.freeMs / REFUSED_LINE_MS;
    for (let i = 0; i < lines; i++) {
      expect(c.admit('<set_msg>', 0)).toEqual({ type: 'go' });
      expect(c.read('<set_msg>', 0).type).toBe('refused');
    }
    expect(c.admit('<set_msg_all>hi', 0).type).toBe('go');
    expect(c.admit('<join>x', 0).type).toBe('hold');
  });

  it('a sign-in the hub refuses costs a refused line; wrong passwords are the login guard\'s, a welcome costs nothing', () => {
    const c = new BracketConnection(view(undefined), BRACKET_PENALTY_RULES);
    const free = BRACKET_PENALTY_RULES.freeMs / REFUSED_LINE_MS;
    // Wrong passwords, however many: the login guard's to count, not this budget's.
    for (let i = 0; i < 3 * free; i++) {
      expect(c.admit('<connect>alice wrong', 0)).toEqual({ type: 'go' });
      expect(c.read('<connect>alice wrong', 0).type).toBe('command');
      c.bytes({ kind: 'error', code: i % 2 === 0 ? 'bad-password' : 'rate-limited', message: 'wrong password for alice' });
    }
    // A reserved, taken or held name, a wrong hold token: each refusal is a refused line.
    const refusals = [
      ['<connect>root', 'bad-name'],
      ['<connect>bob', 'name-taken'],
      ['<reconnect>bob 00ff', 'name-taken'],
      ['<connect>carol', 'name-registered'],
    ] as const;
    for (let i = 0; i <= free; i++) {
      const [line, code] = refusals[i % refusals.length]!;
      expect(c.admit(line, 0)).toEqual({ type: 'go' });
      expect(c.read(line, 0).type).toBe('command');
      c.bytes({ kind: 'error', code, message: 'refused' });
    }
    // One past the free clock: the next sign-in waits (and, kept up, is refused, then the connection closed).
    expect(c.admit('<connect>dave', 0).type).toBe('hold');
    // Lines that cost nothing and are answered with no error stay free; so does a welcome.
    const d = new BracketConnection(view(undefined), BRACKET_PENALTY_RULES);
    for (let i = 0; i < 3 * free; i++) {
      d.read('<connect>alice', 0);
      d.bytes({ kind: 'greeting', name: 'alice', room: 'lobby', online: 1, limits: { rate: 20, burst: 40 } });
      // An error that answers no sign-in (a later line's) is not a sign-in's refusal.
      d.bytes({ kind: 'error', code: 'name-taken', message: 'x' });
    }
    expect(d.admit('<connect>alice', 0)).toEqual({ type: 'go' });
  });

  it('a second <udp>, and a <transport> answered with an error, cost a refused line; the first and a useful one are free', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    expect(c.costOf('<udp>')).toBe(0);
    c.read('<udp>', 0);
    expect(c.costOf('<udp>')).toBe(REFUSED_LINE_MS);
    // A <transport> the data plane takes (no error back) is free, however often.
    for (let i = 0; i < 100; i++) {
      expect(c.admit('<transport>tcp 3 lost', 0)).toEqual({ type: 'go' });
      c.read('<transport>tcp 3 lost', 0);
    }
    const free = BRACKET_PENALTY_RULES.freeMs / REFUSED_LINE_MS;
    for (let i = 0; i <= free; i++) {
      expect(c.admit('<transport>tcp 3 lost', 0)).toEqual({ type: 'go' });
      expect(c.read('<transport>tcp 3 lost', 0).type).toBe('transport');
      c.bytes({ kind: 'error', code: 'refused', message: 'chat already travels over TCP on this connection' });
    }
    expect(c.admit('<transport>tcp 3 lost', 0).type).toBe('hold');
  });

  it('shares the stateless door format: a room reply is formatted once for every bracket member', () => {
    const c = new BracketConnection(view('alice'), BRACKET_PENALTY_RULES);
    expect(c.format).toBe(BRACKET_DOOR);
  });
});
