// One client as the server shell sees it: its hub session id, its name once connected, and how
// replies reach it.
//
// The seam for the UDP data plane: chat replies (`message`, `private`) go through a ChatRoute when
// one is attached and it accepts them; everything else, and chat when no route is attached or the
// route declines, goes down the TCP control line. Attaching a route is all the data plane needs to do
// to carry chat; its own notices (`<udp>`, `<transport>`) go down the control line with sendControl.
import type { SessionId } from '../chat/hub.ts';
import type { Reply } from '../commands/types.ts';

export type ChatReply = Extract<Reply, { kind: 'message' | 'private' }>;

/** Another way to carry a session's chat replies (the UDP data plane). */
export interface ChatRoute {
  /** Send the reply; false when this route cannot take it now, so the control line carries it. */
  deliver(reply: ChatReply): boolean;
}

/** The control line: text out, already terminated. */
export interface ControlLine {
  write(text: string): boolean;
}

/** Reply → wire line with its terminator. */
export type ReplyFormatter = (reply: Reply) => string;

export function isChatReply(reply: Reply): reply is ChatReply {
  return reply.kind === 'message' || reply.kind === 'private';
}

export class Session {
  /** The name the hub gave this session on `<connect>`; undefined before. */
  name: string | undefined;
  private chatRoute: ChatRoute | undefined;

  constructor(
    readonly id: SessionId,
    private readonly control: ControlLine,
    private readonly format: ReplyFormatter,
  ) {}

  /** Send a reply to this client by the route that carries its kind. */
  deliver(reply: Reply): void {
    if (this.chatRoute !== undefined && isChatReply(reply) && this.chatRoute.deliver(reply)) return;
    this.control.write(this.format(reply));
  }

  /** Send a reply down the control line whatever its kind (the data plane's own notices). */
  sendControl(reply: Reply): void {
    this.control.write(this.format(reply));
  }

  /** Carry chat replies over `route` from now on (undefined: back to the control line). */
  routeChatVia(route: ChatRoute | undefined): void {
    this.chatRoute = route;
  }
}
