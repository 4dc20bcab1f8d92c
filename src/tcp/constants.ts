// Limits and timings of the TCP control plane, each with its reason.

/**
 * Longest command line, in bytes, not counting its terminator. The longest legitimate command is a
 * chat message: at most 16,384 code points (the hub's ceiling), i.e. 64 KiB of UTF-8 at worst; a
 * longer line is not a command but a runaway or hostile sender, and holding it would let one
 * connection pin unbounded memory. The connection is closed: its stream cannot be resynchronised.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * How long an unterminated command must sit quietly in the buffer before it is taken as complete.
 * The Python clients send one command per `send()` with no delimiter; one `send()` of a short line
 * arrives in one TCP segment, so once bytes stop arriving the command is whole. 40 ms is well above
 * loopback and LAN segment spacing (sub-millisecond) and well below what a person notices as lag
 * (~100 ms), and it is under the Python clients' own pause between two sends (typically ≥ 100 ms).
 */
export const QUIET_FLUSH_MS = 40;

/**
 * How long an unterminated buffer that is visibly incomplete (it ends inside a UTF-8 sequence, or it
 * opens `<` with no `>` yet) waits for the rest before it is taken as it is. Long enough to ride out
 * a delayed segment on a real network (a few retransmission-free RTTs), short enough that a client
 * which really sent a broken command still gets its error promptly.
 */
export const PARTIAL_FLUSH_MS = 500;

/**
 * An iteration's queue of at most this many parts is handed to the socket as they are, in one
 * gathered write (cork, a write per part, uncork: one writev), instead of joined into one copy first.
 * A member of a busy room that sent a line itself gets the room's joined bytes in two or three views
 * around its own line (every connection of the room in the same iteration), so the copy was a second
 * pass over nearly every byte the server sends; a part costs a write() call of the stream instead
 * (about as much as copying a few KiB), so a queue of many small parts (replies of a command, one by
 * one) is still joined.
 */
export const GATHERED_WRITE_MAX_PARTS = 4;

/**
 * After the server ends a connection (FIN sent), how long it waits for the peer to close its side
 * before destroying the socket. A well-behaved client closes within a round trip; one that never does
 * would otherwise hold a half-open socket (and a file descriptor) forever.
 */
export const CLOSE_LINGER_MS = 5_000;

/**
 * TCP keepalive: first probe after this much idle time. A chat connection may be idle for hours;
 * keepalive lets the kernel notice a peer that vanished (power loss, NAT timeout) so its user leaves
 * the room instead of lingering as a ghost. One minute is far below common NAT idle timeouts (≥ 5 min).
 */
export const KEEPALIVE_INITIAL_DELAY_MS = 60_000;

/**
 * A TLS handshake not done within this long after accept is cut and its slot freed (node's own default
 * is 120 s, during which a silent peer holds a connection of its address's allowance). A handshake is
 * two round trips; 10 s covers a slow mobile link many times over.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** TLS 1.3, and 1.2 for older stacks; nothing older (RFC 8996 deprecates 1.0 and 1.1). */
export const TLS_MIN_VERSION = 'TLSv1.2';
/**
 * Connections being refused at once, per listener: a refused connection keeps its descriptor while its
 * line lingers for the peer to read (REFUSED_CONNECTION_LINGER_MS, unless the peer closes first) and,
 * on a TLS port, while the handshake that carries the line runs (never plain bytes into a TLS stream).
 * At most this many at once; beyond, a refused connection is closed at once without its line — a flood
 * of connections the server refuses anyway cannot hold descriptors (the very thing `--max-connections`
 * keeps in reserve) nor make it do unbounded handshakes. 64: the descriptors the connection cap leaves
 * free (RESERVED_FILE_DESCRIPTORS), and far more refusals than an honest crowd gets within a second.
 */
export const MAX_REFUSALS_AT_ONCE = 64;
/**
 * A plain client on a TLS port (its first byte is not a TLS handshake record) is told so in one plain
 * line, then has this long to read it and close before it is destroyed — as a refused connection does.
 */
export const PLAIN_ON_TLS_LINGER_MS = 1_000;
