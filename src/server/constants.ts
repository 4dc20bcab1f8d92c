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
 * stray HTTP requests, forgotten telnet sessions and slowloris attacks (open many sockets, send
 * nothing, exhaust file descriptors) must not hold sockets. Every dualchat client and the Python
 * clients send `<connect>` within one round trip of connecting; 10 s is still enough for a person
 * typing `<connect>alice` by hand into `nc`, and it caps what an attacker holding sockets open gets:
 * MAX_CONNECTIONS_PER_ADDRESS sockets per address, each for 10 s.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Open TCP connections one source address may hold (`--max-conn-per-ip`). A household or office
 * behind one NAT runs a handful of clients; 16 leaves room for them while one host cannot take
 * thousands of sockets (and their file descriptors) for itself. Loopback is not exempt: local tools
 * (the load generator) spread over 127.0.0.0/8 instead. A refused connection gets one error line.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 16;

/** Largest `--max-conn-per-ip` accepted: far above any process's descriptor limit, i.e. "no limit". */
export const MAX_CONNECTIONS_PER_ADDRESS_LIMIT = 1_000_000;

// ---- the global connection cap (`--max-connections`; src/server/file-limit.ts) ----

/**
 * Descriptors the server keeps for itself when it derives `--max-connections` from the open-file limit:
 * the listening and UDP sockets, the SQLite database and its WAL, the log, files being uploaded and
 * downloaded (upload slots plus a download per user at most a few dozen at once), Node's own (epoll,
 * pipes, the libuv thread pool's files). 64 covers them with room; beyond the cap new connections are
 * refused with a line, instead of accept() failing with EMFILE for everyone.
 */
export const RESERVED_FILE_DESCRIPTORS = 64;
/** The open-file limit assumed where it cannot be read (not Linux): the usual soft default of Linux and macOS shells. */
export const FALLBACK_OPEN_FILE_LIMIT = 1024;
/** The derived cap never goes below this: a server with a tiny descriptor limit still admits a few users. */
export const MIN_DEFAULT_MAX_CONNECTIONS = 16;
/** Largest `--max-connections` accepted (as for `--max-conn-per-ip`). */
export const MAX_CONNECTIONS_LIMIT = 1_000_000;

/*
 * No idle limit for named sessions (a decision, hence no constant): a chat client may rightly stay
 * silent for hours, and the Python clients send nothing between commands (their protocol has no
 * ping). Dead peers are found instead by: the FIN or reset of a client that half-closes or crashes
 * (at once); TCP keepalive (src/tcp/constants.ts: first probe after 60 s idle, then the kernel's
 * interval and count — Node 20 cannot set those; Linux defaults 75 s × 9 make ~12 min); the write
 * limit (MAX_PENDING_WRITE_BYTES) for one that stops reading; and for UDP-bound sessions the
 * engine's dead-peer limit (10 s without an answer), which moves chat back to TCP, where the above
 * apply. Documented in docs/operations.md.
 */

/**
 * A client that stops reading is dropped once this many bytes wait to be written to it. The kernel's
 * socket buffers (several MiB on loopback) absorb a slow reader first; 1 MiB more is thousands of chat
 * lines — far beyond any pause of a live client — and bounds what one stuck client costs us.
 */
export const MAX_PENDING_WRITE_BYTES = 1024 * 1024;

/**
 * What a UDP-bound client may hold unacknowledged beyond MAX_PENDING_WRITE_BYTES before it is dropped
 * the same way. TCP's bound counts only what the kernel did not take: a TCP connection first fills its
 * kernel send buffer (Linux autotunes it up to net.ipv4.tcp_wmem's max, 4 MiB by default) and the
 * reader's receive buffer; a UDP engine keeps every unacknowledged line itself. With the 1 MiB bound
 * alone, members of a busy room whose client process lagged for a few seconds were dropped while TCP
 * members with the same lag were not (`npm run bench -- fanout`: 100 members, ~1.8k lines/s each; 5 of
 * 100 UDP clients dropped at ~7.7k lines queued, none on TCP). 4 MiB puts the two on a par.
 */
export const UDP_CHAT_QUEUE_ALLOWANCE_BYTES = 4 * 1024 * 1024;

/**
 * On shutdown, how long connections get to take the goodbye line and close before they are destroyed.
 * Long enough for a round trip on any real network, short enough that Ctrl-C feels immediate.
 */
export const SHUTDOWN_GRACE_MS = 2_000;

/**
 * After SIGINT/SIGTERM the process exits within this long whatever happens: a graceful close takes
 * at most SHUTDOWN_GRACE_MS plus the destroy of what is left (milliseconds even for 10,000 sockets);
 * if something still hangs past this — a bug, a stuck disk — the process exits anyway, status 1, so a
 * supervisor's stop never waits on us. Under the 5 s an operator (and systemd's default stop timeout
 * of 90 s, and Docker's 10 s) expects.
 */
export const SHUTDOWN_DEADLINE_MS = 4_500;

/**
 * A connection refused for its source address (too many open from there) gets its error line and
 * FIN, then this long to close its side before the socket is destroyed: enough for the line to be
 * read on any network, short enough that refused connections do not hold descriptors for long (and at
 * most MAX_REFUSALS_AT_ONCE of them at once per port, src/tcp/constants.ts).
 */
export const REFUSED_CONNECTION_LINGER_MS = 1_000;

/**
 * Each per-input log line (`input rejected`, the hub's `refused` and `name-refused`, `udp hello refused`,
 * rejected and dropped datagrams, connections refused for their address) is written at most this often
 * per second; the rest are counted (`suppressed`, src/server/throttle.ts; `<stats>` still counts every
 * refusal). Junk lines and random hellos grew the log 78× and 82× the bytes sent; 10 a second still
 * shows an operator what is happening and who does it.
 */
export const INPUT_LOGS_PER_SECOND = 10;

/**
 * The `<stats>` reply lists UDP sessions by packet loss, worst first, at most this many: enough to
 * spot the clients with bad paths, bounded so 10,000 sessions do not make a 10,000-line reply.
 */
export const STATS_TOP_SESSIONS = 20;

/** What a client is told when it sends a non-chat command over UDP. */
export const UDP_CHAT_ONLY = 'only chat (<set_msg_all>, <set_msg>) travels over UDP; send other commands over TCP';

/** The server's version, as IRC clients are told it (002, 004, VERSION); the package's version. */
export const SERVER_VERSION = 'dualchat-0.1.0';

/**
 * How long a `dualchat cert` certificate is valid: a year, so a forgotten test certificate expires
 * rather than being trusted forever, and a quick start does not have to renew it for months.
 */
export const SELF_SIGNED_VALID_DAYS = 365;

/** Random bytes in a `<hold>` token (32 hex digits): 128 bits, unguessable for the seconds a hold lasts, like the UDP binding token. */
export const HOLD_TOKEN_BYTES = 16;
