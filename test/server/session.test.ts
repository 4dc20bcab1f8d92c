import { describe, expect, it } from 'vitest';
import { formatReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { BRACKET_DOOR } from '../../src/doors/bracket/door.ts';
import { Session, type ChatReply, type ControlOutput } from '../../src/server/session.ts';
import { SharedPieces } from '../../src/tcp/write-batch.ts';
import { queueOutput } from './queue-output.ts';

function recorder(): ControlOutput & { readonly written: string[] } {
  const output = queueOutput();
  return {
    ...output,
    get written() {
      return output.lines();
    },
  };
}

const chat: Reply = { kind: 'message', from: 'bob', room: 'lobby', ts: 1, self: false, text: 'hi' };
const dm: Reply = { kind: 'private', from: 'bob', to: 'amy', ts: 2, self: false, text: 'psst' };
const users: Reply = { kind: 'users', users: [{ name: 'amy', room: 'lobby' }] };

describe('Session', () => {
  it('writes every reply as one terminated line on the control connection', () => {
    const line = recorder();
    const session = new Session(1, line, BRACKET_DOOR);
    session.deliver(chat);
    session.deliver(users);
    expect(line.written).toEqual([`${formatReply(chat)}\n`, `${formatReply(users)}\n`]);
  });

  it('sends chat replies through an attached route, everything else on the control line', () => {
    const line = recorder();
    const routed: ChatReply[] = [];
    const session = new Session(2, line, BRACKET_DOOR);
    session.routeChatVia({ deliver: (r) => routed.push(r) > 0 });
    session.deliver(chat);
    session.deliver(dm);
    session.deliver(users);
    expect(routed).toEqual([chat, dm]);
    expect(line.written).toEqual([`${formatReply(users)}\n`]);
  });

  it('falls back to the control line when the route declines, and after it is detached', () => {
    const line = recorder();
    const session = new Session(3, line, BRACKET_DOOR);
    session.routeChatVia({ deliver: () => false });
    session.deliver(chat);
    session.routeChatVia(undefined);
    session.deliver(dm);
    expect(line.written).toEqual([`${formatReply(chat)}\n`, `${formatReply(dm)}\n`]);
  });

  it('sends the data plane’s own notices down the control line whatever route chat takes', () => {
    const line = recorder();
    const session = new Session(4, line, BRACKET_DOOR);
    const routed: ChatReply[] = [];
    session.routeChatVia({ deliver: (r) => routed.push(r) > 0 });
    const notice: Reply = { kind: 'transport', transport: 'tcp', received: 3, reason: 'lost' };
    session.sendControl(notice);
    session.sendControl(chat);
    expect(line.written).toEqual([`${formatReply(notice)}\n`, `${formatReply(chat)}\n`]);
    expect(routed).toEqual([]);
  });

  it('writes a shared fan-out’s bytes as they are; routes chat only when a route takes it', () => {
    const line = recorder();
    const session = new Session(5, line, BRACKET_DOOR);
    const shared = new SharedPieces();
    const index = shared.add(BRACKET_DOOR.bytes(chat));
    expect(session.routed(chat)).toBe(false);
    session.writeShared(shared, index);
    const routed: ChatReply[] = [];
    session.routeChatVia({ deliver: (r) => routed.push(r) > 0 });
    expect(session.routed(chat)).toBe(true);
    expect(session.routed(users)).toBe(false);
    expect(line.written).toEqual([`${formatReply(chat)}\n`]);
    expect(routed).toEqual([chat]);
  });
});
