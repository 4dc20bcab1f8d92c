// A door turns a wire into hub inputs and hub outputs into wire bytes. The server holds sessions of any
// door side by side: each connection reads through its door's framer and parser, and each reply is
// written in its recipient's door's form — formatted once per door when it goes to a room.
//
// The bracket door (src/doors/bracket/) speaks the language of the Python chats; an IRC door (CRLF lines,
// 512 bytes, numerics) and a WebSocket door (one message per frame) fit the same shape: their own framer,
// their own reading of a line, their own formatting.
import type { Outbound } from '../chat/replies.ts';
import type { ClientLine } from '../commands/types.ts';
import type { LineFramer } from '../tcp/line-framer.ts';

export interface Door {
  /** For logs and statistics: 'bracket', 'irc', … */
  readonly name: string;
  /** A framer for one new connection (framing keeps state per connection). */
  framer(): LineFramer;
  /** One framed line → what it asks for. */
  read(line: string): ClientLine;
  /** `reply` on this door's wire, terminator included: the same bytes for every recipient on this door. */
  bytes(reply: Outbound): Uint8Array;
}
