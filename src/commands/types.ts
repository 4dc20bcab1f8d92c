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
 * Where a list reply (`users`, `rooms`, `files`) sits in the whole list: page PAGE of PAGES, TOTAL
 * entries in all (docs/protocol.md, "Long lists"). Absent: the reply is the whole list.
 */
export interface ListPage {
  /** 1-based; beyond `pages` when a page was asked for that the list no longer has (its entries are then empty). */
  page: number;
  /** At least 1. */
  pages: number;
  total: number;
}

/**
 * Client → server. The grammar returns raw pieces; the hub resolves the family's own-name forms
 * (`<get_users>NAME`, `<download>NAME,FILE`, a `NAME : ` prefix on broadcast text) because only
 * the hub knows the session's name.
 */
export type Command =
  /**
   * `<connect>NAME` (or `<connect>NAME PASSWORD`, split by the hub). `password` is never made by the
   * grammar: a door that takes the password apart from the name (IRC PASS) gives it here; it signs in a
   * registered name and is ignored for a guest's.
   */
  | { kind: 'connect'; name: string; password?: string }
  /** `<disconnect>`, `<end_connection>`; `arg` is the family's own name if one was written. */
  | { kind: 'disconnect'; arg?: string }
  /** `<get_users>`; `arg` is the family's own name if one was written; `page` from `<get_users>+N`. */
  | { kind: 'users'; arg?: string; page?: number }
  /** `<set_msg_all>`, `<msg_all>`: to everyone in the sender's room. Text as written. */
  | { kind: 'broadcast'; text: string }
  /** `<set_msg>USER TEXT`: to one user wherever they are. */
  | { kind: 'private'; to: string; text: string }
  /** `<listfiles>`, `<get_list_file>`, `<get_files>`; `arg` is the own name if written; `page` from `<listfiles>+N`. */
  | { kind: 'listfiles'; arg?: string; page?: number }
  /** `<download>FILE` or the family's `<download>NAME,FILE` (raw; the hub strips the own name). */
  | { kind: 'download'; file: string }
  | { kind: 'join'; room: string }
  | { kind: 'leave' }
  /** `<rooms>`, or `<rooms>+N` for page N of a long list. */
  | { kind: 'rooms'; page?: number }
  | { kind: 'help' }
  /** Reserved for the files issue: announce an upload of NAME with SIZE bytes and CRC-32. */
  | { kind: 'upload'; name: string; size: number; crc: number }
  /** Reserved for the files issue: send a file to a user. */
  | { kind: 'sendfile'; to: string; name: string; size: number; crc: number }
  /** Reserved for the files issue: cancel a transfer by id. */
  | { kind: 'cancel'; id: string }
  /** Operator statistics (hardening issue). */
  | { kind: 'stats' }
  /** `<register>PASSWORD`: claim the name you are connected with. */
  | { kind: 'register'; password: string }
  /** `<password>OLD NEW`: change your registered name's password. */
  | { kind: 'password'; old: string; password: string }
  /** `<unregister>PASSWORD`: give your registered name back (its offline messages go too). */
  | { kind: 'unregister'; password: string }
  /** `<oper>PASSWORD`: become an operator with the server's operator password (`<stats>` then shows the whole server). */
  | { kind: 'oper'; password: string }
  /** `<history>ROOM [N] [BEFORE]`: the last N stored lines of ROOM, older than message id BEFORE when given. */
  | { kind: 'history'; room: string; count?: number; before?: number }
  /** `<nick>NEW`: take the name NEW without reconnecting; every room you are in hears it. */
  | { kind: 'rename'; name: string }
  /** `<away>TEXT`: marked away with TEXT (told to whoever messages you); `<away>` alone: back. */
  | { kind: 'away'; text?: string }
  /** `<me>ACTION`: an action line to your room, shown as `* NAME ACTION`. */
  | { kind: 'action'; text: string }
  /** `<topic>TEXT`: set your room's topic; `<topic>` alone: ask what it is. */
  | { kind: 'topic'; text?: string }
  /** `<whois>NAME`: who NAME is: rooms, away text, idle time. */
  | { kind: 'whois'; name: string }
  /**
   * `<hold>`: should this connection be lost, hold my name (and rooms) for a while for me alone; the
   * server answers `<hold>TOKEN SECONDS` (docs/protocol.md, "Reconnecting").
   */
  | { kind: 'hold' }
  /** `<reconnect>NAME TOKEN`: sign in as NAME, taking back its held session when TOKEN is the one `<hold>` gave. */
  | { kind: 'reconnect'; name: string; token: string };

export type CommandKind = Command['kind'];

/** The chat rate limit the server announces in `<welcome>` (src/chat/rate-limit.ts): `rate` 0 means none. */
export interface ChatRateLimits {
  rate: number;
  burst: number;
}

/** Server → client. */
export type Reply =
  /**
   * Signed in as NAME in ROOM. `limits`: the chat rate the server allows this session (messages per
   * second sustained, and at once), so that a client can pace what it sends instead of being refused.
   */
  | { kind: 'welcome'; name: string; room: string; text: string; limits?: ChatRateLimits }
  | { kind: 'message'; from: string; room: string; ts: number; self: boolean; text: string }
  | { kind: 'private'; from: string; to: string; ts: number; self: boolean; text: string }
  | { kind: 'users'; users: UserEntry[]; page?: ListPage }
  | { kind: 'rooms'; rooms: RoomEntry[]; page?: ListPage }
  | { kind: 'files'; files: FileEntry[]; page?: ListPage }
  | { kind: 'joined'; name: string; room: string; ts: number }
  | { kind: 'left'; name: string; room: string; ts: number; reason: LeaveReason }
  | { kind: 'error'; code: ErrorCode; message: string }
  | { kind: 'system'; text: string }
  /** A stored room line replayed (on join, or asked with `<history>`): never new, ID pages further back. */
  | { kind: 'history'; room: string; id: number; from: string; ts: number; text: string }
  /** An action line (`<me>`): FROM does TEXT in ROOM, shown as `* FROM TEXT`. */
  | { kind: 'action'; from: string; room: string; ts: number; self: boolean; text: string }
  /** ROOM's topic is TEXT, set by BY at TS: when it is set, on entering the room, and asked with `<topic>`; empty TEXT: BY cleared it. */
  | { kind: 'topic'; room: string; by: string; ts: number; text: string }
  /** An answer to `<whois>`: NAME's rooms, idle seconds (undefined when not known here) and away text (undefined: not away). */
  | { kind: 'whois'; name: string; rooms: string[]; idle?: number; away?: string }
  | { kind: 'disconnected' }
  /**
   * The UDP data-plane offer, sent once after `welcome`: send datagrams to PORT (on the server's
   * host), bind with connection id CONNID and prove the session with TOKEN (lower-case hex, never
   * sent over UDP). Clients that only speak TCP ignore it.
   */
  | { kind: 'udp'; port: number; connectionId: number; token: string }
  /** The answer to `<hold>`: a lost connection's name is held SECONDS for whoever reconnects with TOKEN (lower-case hex). */
  | { kind: 'hold'; token: string; seconds: number }
  /** Chat travels over TCP from now on: the other half of the `<transport>` exchange (TransportCommand). */
  | { kind: 'transport'; transport: 'tcp'; received: number; reason: TransportReason }
  | FileReply
  /**
   * TCP fallback of the file data plane (docs/files.md, "Chunk messages"): one chunk message in
   * canonical base64 (RFC 4648 §4). Sessions bound to UDP get their chunks on the bulk channel instead.
   */
  | { kind: 'chunk'; data: string };

/**
 * The file-transfer replies (docs/files.md, "Replies"). ID is a transfer id (1 … 2^32 − 1); NAME,
 * FROM and USER are fields; sizes and offsets are byte counts.
 */
export type FileReply =
  /** `<sending>ID SIZE CRC OFFSET NAME`: a download is ready from OFFSET; answer `<accept>ID`. */
  | { kind: 'sending'; id: number; size: number; crc: number; offset: number; name: string }
  /** `<queued>ID POSITION NAME`: an upload waits for a slot; POSITION 1 is next. */
  | { kind: 'queued'; id: number; position: number; name: string }
  /** `<ready>ID NAME`: send the bytes of NAME now, as transfer ID. */
  | { kind: 'ready'; id: number; name: string }
  /** `<stored>ID NAME`: the upload is verified and stored as NAME (numbered if the name was taken). */
  | { kind: 'stored'; id: number; name: string }
  /** `<offer>ID FROM SIZE CRC NAME`: FROM sends you NAME; `<accept>ID` or `<decline>ID`. */
  | { kind: 'offer'; id: number; from: string; size: number; crc: number; name: string }
  /** `<delivered>ID USER NAME`: USER received and verified NAME. */
  | { kind: 'delivered'; id: number; to: string; name: string }
  /** `<aborted>ID CODE MESSAGE`: transfer ID is over without success. */
  | { kind: 'aborted'; id: number; code: AbortCode; message: string }
  /** `<refused>REQUEST CODE NAME - MESSAGE`: a download, upload or sendfile refused at once. */
  | { kind: 'refused'; request: RefusedRequest; code: ErrorCode; name: string; message: string };

export type FileReplyKind = FileReply['kind'];

/** Replies the client's transport and file machinery act on, rather than show to the user. */
export type PlumbingReply = FileReply | Extract<Reply, { kind: 'udp' | 'transport' | 'chunk' | 'hold' }>;


/** Why a transfer ended without success (the CODE of `<aborted>`). */
export type AbortCode =
  | 'cancelled'
  | 'changed'
  | 'read-failed'
  | 'link-lost'
  | 'protocol'
  | 'size'
  | 'crc'
  | 'write-failed'
  | 'declined'
  | 'expired'
  | 'user-left'
  | 'internal';

/** Which request a `<refused>` answers. */
export type RefusedRequest = 'download' | 'upload' | 'sendfile';

/**
 * Client → server file-transfer lines outside `Command`: the hub never sees them (like
 * TransportCommand, the server shell hands them to the files coordinator). `<download>`, `<upload>`,
 * `<sendfile>` and `<cancel>` stay Commands: the hub resolves their own-name forms.
 */
export type TransferCommand =
  /** `<resume>OFFSET SIZE CRC NAME`: I hold OFFSET verified bytes of NAME as it was (SIZE, CRC). */
  | { kind: 'resume'; offset: number; size: number; crc: number; name: string }
  /** `<sendimage>USER SIZE CRC NAME`: like `<sendfile>`, the file must be an image. */
  | { kind: 'sendimage'; to: string; size: number; crc: number; name: string }
  /** `<accept>ID`: ready to receive transfer ID (a download announced by `<sending>`, or an offer). */
  | { kind: 'accept'; id: number }
  /** `<decline>ID`: refuse the file offered as ID. */
  | { kind: 'decline'; id: number }
  /** `<received>ID`: I verified and stored what transfer ID sent me. */
  | { kind: 'received'; id: number }
  /** `<chunk>BASE64`: one chunk message of an upload, for a session without UDP. */
  | { kind: 'chunk'; data: string };

export type TransferCommandKind = TransferCommand['kind'];

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
  | 'name-registered'
  | 'bad-password'
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

/**
 * Client → server, outside `Command` (it never reaches the hub): `<udp>` with no argument asks for a
 * UDP binding, answered by the `udp` reply. Only dualchat clients send it, so clients that speak TCP
 * alone (the Python family) never see an offer they cannot use.
 */
export interface UdpRequestCommand {
  kind: 'udp-request';
}

/**
 * What one client line asks for, read once (src/commands/client-line.ts): a chat command for the hub, a
 * file-transfer line for the files coordinator, a data-plane line, or a refusal to answer with an error.
 * The server routes on `type` once.
 */
export type ClientLine =
  | { type: 'command'; command: Command }
  | { type: 'transfer'; command: TransferCommand }
  | { type: 'transport'; command: TransportCommand }
  | { type: 'udp-request'; command: UdpRequestCommand }
  | { type: 'refused'; error: ParseError };

/** Why a line is not a command (or a reply). Never thrown: returned. */
export interface ParseError {
  kind: 'parse-error';
  code: Extract<ErrorCode, 'bad-command' | 'unknown-command' | 'bad-argument'>;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };
