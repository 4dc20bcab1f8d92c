// Defaults and limits of the server shell, each with its reason.

/**
 * Listen on every IPv4 interface: a chat server exists to be reached from other machines. Tests and
 * local experiments pass 127.0.0.1.
 */
export const DEFAULT_HOST = '0.0.0.0';

/** TCP control-plane port: the Python chats' customary 5000 (their clients default to it). */
export const DEFAULT_TCP_PORT = 5000;

/** UDP data-plane port: the next one, so a firewall rule can open the pair as a range. */
export const DEFAULT_UDP_PORT = 5001;

/** The shared directory served by `<listfiles>` and `<download>`, relative to the working directory. */
export const DEFAULT_FILES_DIR = './files';

/** One line at start-up, one per user action: quiet enough for a terminal, useful in a journal. */
export const DEFAULT_LOG_LEVEL = 'info';

/**
 * A connection that has not sent a valid `<connect>NAME` within this long is closed: port scanners,
 * stray HTTP requests and forgotten telnet sessions must not hold sockets forever. 30 s leaves a
 * person typing by hand ample time to choose a name.
 */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * A client that stops reading is dropped once this many bytes wait to be written to it. The kernel's
 * socket buffers (several MiB on loopback) absorb a slow reader first; 1 MiB more is thousands of chat
 * lines — far beyond any pause of a live client — and bounds what one stuck client costs us.
 */
export const MAX_PENDING_WRITE_BYTES = 1024 * 1024;

/**
 * On shutdown, how long connections get to take the goodbye line and close before they are destroyed.
 * Long enough for a round trip on any real network, short enough that Ctrl-C feels immediate.
 */
export const SHUTDOWN_GRACE_MS = 2_000;

/** The line every client receives when the server shuts down. */
export const SHUTDOWN_NOTICE = 'server shutting down';

/** Text of file commands other than `<listfiles>` until the files issue builds transfers. */
export const FILE_TRANSFERS_UNAVAILABLE = 'file transfers are not available on this server yet';

/**
 * While chat moves from UDP to TCP (between this side's `<transport>` and the client's count), chat
 * replies for that client wait in memory. The wait is one TCP round trip; a client that lets this many
 * pile up is stuck and is dropped, as one that stops reading TCP is (MAX_PENDING_WRITE_BYTES).
 */
export const FALLBACK_HOLD_MAX_REPLIES = 10_000;

/** What a client is told when it sends a non-chat command over UDP. */
export const UDP_CHAT_ONLY = 'only chat (<set_msg_all>, <set_msg>) travels over UDP; send other commands over TCP';
