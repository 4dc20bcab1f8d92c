// The command language as data: what a client asks (Command), what the server answers (Reply),
// and why a line could not be understood (ParseError). Pure types, no behaviour.

/** A file's name and size as listed by the server. */
export interface FileEntry {
  name: string;
  size: number;
}

/** One online user and the room they are in. */
export interface UserEntry {
  name: string;
  room: string;
}

/** One room and how many members it has. */
export interface RoomEntry {
  name: string;
  count: number;
}

/**
 * Client → server. The grammar returns raw pieces; the hub resolves the family's own-name forms
 * (`<get_users>NAME`, `<download>NAME,FILE`, a `NAME : ` prefix on broadcast text) because only
 * the hub knows the session's name.
 */
export type Command =
  | { kind: 'connect'; name: string }
  /** `<disconnect>`, `<end_connection>`; `arg` is the family's own name if one was written. */
  | { kind: 'disconnect'; arg?: string }
  /** `<get_users>`; `arg` is the family's own name if one was written. */
  | { kind: 'users'; arg?: string }
  /** `<set_msg_all>`, `<msg_all>`: to everyone in the sender's room. Text as written. */
  | { kind: 'broadcast'; text: string }
  /** `<set_msg>USER TEXT`: to one user wherever they are. */
  | { kind: 'private'; to: string; text: string }
  /** `<listfiles>`, `<get_list_file>`, `<get_files>`; `arg` is the own name if written. */
  | { kind: 'listfiles'; arg?: string }
  /** `<download>FILE` or the family's `<download>NAME,FILE` (raw; the hub strips the own name). */
  | { kind: 'download'; file: string }
  | { kind: 'join'; room: string }
  | { kind: 'leave' }
  | { kind: 'rooms' }
  | { kind: 'help' }
  /** Reserved for the files issue: announce an upload of NAME with SIZE bytes and CRC-32. */
  | { kind: 'upload'; name: string; size: number; crc: number }
  /** Reserved for the files issue: send a file to a user. */
  | { kind: 'sendfile'; to: string; name: string; size: number; crc: number }
  /** Reserved for the files issue: cancel a transfer by id. */
  | { kind: 'cancel'; id: string }
  /** Operator statistics (hardening issue). */
  | { kind: 'stats' };

export type CommandKind = Command['kind'];

/** Server → client. */
export type Reply =
  | { kind: 'welcome'; name: string; room: string; text: string }
  | { kind: 'message'; from: string; room: string; ts: number; self: boolean; text: string }
  | { kind: 'private'; from: string; to: string; ts: number; self: boolean; text: string }
  | { kind: 'users'; users: UserEntry[] }
  | { kind: 'rooms'; rooms: RoomEntry[] }
  | { kind: 'files'; files: FileEntry[] }
  | { kind: 'joined'; name: string; room: string; ts: number }
  | { kind: 'left'; name: string; room: string; ts: number; reason: LeaveReason }
  | { kind: 'error'; code: ErrorCode; message: string }
  | { kind: 'system'; text: string }
  | { kind: 'disconnected' }
  /**
   * The UDP data-plane offer, sent once after `welcome`: send datagrams to PORT (on the server's
   * host), bind with connection id CONNID and prove the session with TOKEN (lower-case hex, never
   * sent over UDP). Clients that only speak TCP ignore it.
   */
  | { kind: 'udp'; port: number; connectionId: number; token: string }
  /** Chat travels over TCP from now on: the other half of the `<transport>` exchange (TransportCommand). */
  | { kind: 'transport'; transport: 'tcp'; received: number; reason: TransportReason };

export type ReplyKind = Reply['kind'];

/** Why someone left a room: moved to another room, disconnected, or their connection died. */
export type LeaveReason = 'moved' | 'disconnect' | 'lost';

/** Every refusal has one of these codes; the message says why in words. */
export type ErrorCode =
  | 'bad-command' // line not understood
  | 'unknown-command' // verb not known
  | 'bad-argument' // verb known, arguments wrong
  | 'not-connected' // command before <connect>
  | 'already-connected'
  | 'bad-name'
  | 'name-taken'
  | 'bad-room'
  | 'room-full'
  | 'unknown-user'
  | 'unknown-file'
  | 'line-too-long'
  | 'bad-encoding'
  | 'rate-limited'
  | 'too-large'
  | 'refused'
  | 'internal';

/** How chat travels between a dualchat client and the server. */
export type Transport = 'tcp' | 'udp';

/** Why a side moved chat from UDP to TCP (docs/protocol.md, "Datagrams, binding and fallback"). */
export type TransportReason =
  /** The UDP binding did not complete in time (UDP blocked). */
  | 'timeout'
  /** The server refused the binding hello. */
  | 'refused'
  /** The reliable engine declared the peer lost (dead-peer detection). */
  | 'lost'
  /** The peer closed its end of the data plane (a close datagram). */
  | 'closed'
  /** An answer to the other side's `<transport>`. */
  | 'requested';

/**
 * Client → server, outside `Command` because it never reaches the hub: the client's half of the
 * `<transport>` exchange. `received` counts the chat messages this side received over UDP, so the
 * other side resends over TCP exactly those it sent after them.
 */
export interface TransportCommand {
  kind: 'transport';
  transport: 'tcp';
  received: number;
  reason: TransportReason;
}

/** Why a line is not a command (or a reply). Never thrown: returned. */
export interface ParseError {
  kind: 'parse-error';
  code: Extract<ErrorCode, 'bad-command' | 'unknown-command' | 'bad-argument'>;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };
