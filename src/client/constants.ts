// Every timing and size limit of the CLI client, with the reason for its value.

/** Default server address: the server listens on every interface; a local client talks to loopback. */
export const DEFAULT_HOST = '127.0.0.1';

/** Default TCP control-plane port: the one `dualchat server` binds by default. */
export const DEFAULT_TCP_PORT = 5000;

/**
 * How long to wait for the TCP handshake. A refused port fails at once; an unroutable or silent host
 * would otherwise hang for the kernel's SYN retries (over two minutes on Linux). Five seconds keeps the
 * promise "an unreachable server makes the client exit within 10 s" with margin for the welcome wait.
 */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Worst case before an unreachable or mute server makes the client give up: CONNECT_TIMEOUT_MS +
 * WELCOME_TIMEOUT_MS + CLOSE_FLUSH_MS (src/tcp/client-connection.ts) = 8.5 s, under the promised 10 s.
 *
 * How long to wait for the server's answer (`welcome` or `error`) to `<connect>NAME`. A healthy server
 * answers within a millisecond; a peer that accepted TCP but never speaks our protocol is not a server.
 */
export const WELCOME_TIMEOUT_MS = 3_000;

/** How long `/quit`, Ctrl-C, Ctrl-D and stdin EOF wait for `<disconnected>` before leaving anyway. */
export const DISCONNECT_WAIT_MS = 2_000;

/**
 * After stdin EOF in scripted mode: leave as soon as every command sent got its reply, or after this
 * much quiet (no reply at all) while some are still unanswered — a command whose answer is not a reply
 * we can recognise must not keep the client waiting for the whole cap.
 */
export const EOF_QUIET_MS = 1_500;

/** After stdin EOF in scripted mode: never wait longer than this for outstanding replies. */
export const EOF_MAX_WAIT_MS = 5_000;

/**
 * A sent command whose reply never came is forgotten after this long, so the pending queue that
 * matches replies to commands (and `/users` to its scope) cannot drift forever behind a lost reply.
 */
export const PENDING_EXPIRY_MS = 30_000;

/** At most this many unanswered commands are remembered (oldest dropped): bounded memory. */
export const MAX_PENDING = 1_000;

/** At most this many user names are remembered for tab completion (a full server list replaces them). */
export const MAX_KNOWN_NAMES = 10_000;

/**
 * Chat travels over UDP, every other command over TCP, and the two do not keep each other's order. So
 * before a command goes out on the other transport than the one before it, the client waits until every
 * command sent so far was answered (`/join x` then `hello` must put hello into x; `hello` then `/quit`
 * must not lose hello): at most this long without any reply while some are unanswered…
 */
export const ORDER_WAIT_QUIET_MS = 1_500;
/** …and never longer than this in all, so a command whose answer we cannot recognise costs a bounded wait. */
export const ORDER_WAIT_MAX_MS = 5_000;

/**
 * `--json` progress events: at most one per transfer every this many ms, or when it moved this many
 * percent — enough for a script to draw a bar, few enough that a 20 MB download is not 100 lines
 * (the first and the final one always come).
 */
export const PROGRESS_EVENT_INTERVAL_MS = 250;
export const PROGRESS_EVENT_STEP_PERCENT = 5;

/**
 * After stdin EOF in scripted mode, transfers still running are waited for as long as they make
 * progress; one that shows no file event for this long is given up (a resumable download keeps its
 * bytes). Generous: a lossy link may stall for several retransmission timeouts.
 */
export const TRANSFER_STALL_MS = 20_000;

/** The interactive progress bars: how many are drawn at once (others are summed up in one line). */
export const MAX_PROGRESS_BARS = 4;

/** The interactive progress bars are redrawn at most this often. */
export const PROGRESS_REDRAW_MS = 100;

/**
 * A second Ctrl-C on an empty line within this long leaves the interactive client; the first only
 * says so. Two seconds: a deliberate double press, while a stray one is forgotten.
 */
export const CTRL_C_AGAIN_MS = 2_000;

/**
 * Lines are paced to the chat rate the server announces in its welcome (src/client/pacer.ts), under it:
 * the server counts arrivals, and on the way lines sent on time can be bunched together (a busy engine
 * window, a retransmission, either process stalled by a loaded machine). A line the server then
 * refuses is sent again, but lines sent after it may have been taken meanwhile, so it arrives out of
 * order: the margin keeps refusals rare. 90 % of the rate, and a quarter of the burst kept in reserve
 * (10 of the default 40: half a second of bunching at 20/s; the reserve then grows by 2 a second),
 * slow neither a typist nor a paste (200 lines: 9.4 s instead of 8 s at the full rate). A reserve of
 * 2 was measured too small: with three terminal tests at once on the shared 2 cores, line 41 of a
 * 200-line paste was refused and lines 42–45 taken.
 */
export const PACE_RATE_SHARE = 0.9;
export const PACE_BURST_SHARE = 0.75;

/**
 * After the server refused a line anyway (`rate-limited`), sending waits until the echoes of the lines
 * still in flight tell which ones it refused; if they cannot (a line answered by another error has no
 * echo), after this long the newest lines in flight are taken as the refused ones and sent again. One
 * second: several round trips on any path, and the server's bucket has refilled by then.
 */
export const REFUSAL_SETTLE_MS = 1_000;

/** `--json` `queued` events: at most one every this many ms while lines wait (a 200-line paste is not 200 events). */
export const QUEUED_EVENT_INTERVAL_MS = 500;

/**
 * Reconnecting after a lost connection (or a server restart): the first try after RECONNECT_FIRST_MS,
 * each next one twice as late, at most RECONNECT_MAX_DELAY_MS apart (1, 2, 4, 8, 15, 15 … s). A restart
 * behind a supervisor takes a second or two, so the first tries find it; the cap keeps a client that
 * waits for a longer outage from knocking more than four times a minute; the server holds the name 30 s
 * (NAME_HOLD_MS), which the first four tries (15 s in all) fit in.
 */
export const RECONNECT_FIRST_MS = 1_000;
export const RECONNECT_MAX_DELAY_MS = 15_000;
/**
 * Each wait is spread by up to this share either way (1 s becomes 0.8–1.2 s): a crash cuts thousands of
 * clients off in the same instant, and identical backoffs would bring them back in the same instants
 * too, each wave a burst of connects and sign-ins. Small enough that the first four tries still fit in
 * the server's 30 s name hold (at most 18 s).
 */
export const RECONNECT_JITTER = 0.2;
/** Tries before giving up: 20 is about 4 minutes, past which an outage is not a blip (the user can start again). */
export const RECONNECT_MAX_ATTEMPTS = 20;

/**
 * Pages of one long list (`<users>`, `<rooms>`, `<files>`) the client asks for before it shows what it
 * has: 1,000 pages of the server's default 8 KiB are 8 MB, far beyond 20,000 users (~50 pages) or
 * 5,600 long file names (~150), yet a server that claims endless pages cannot keep the client asking.
 */
export const MAX_LIST_PAGES = 1_000;

/**
 * A close datagram from the server comes as a session ends or the server shuts down, and TCP says which
 * (`server shutting down`, or the connection's end). Both travel at once but on two sockets, so the
 * datagram can be read first; the move to TCP is shown only if, this long after, nothing explained it.
 * Loopback and LAN deliver the TCP line within a millisecond; a second covers a congested path.
 */
export const SERVER_CLOSE_EXPLAINED_MS = 1_000;

/**
 * After chat fell back to TCP because the UDP path failed (the binding timed out, or the engine lost the
 * server), the client asks for UDP again after this long (`--udp-retry`, 0 = never), then twice as long
 * after each try that failed or did not last UDP_RETRY_STABLE_MS, up to UDP_RETRY_MAX_MS. A path that
 * failed tends to stay bad for a while (a Wi-Fi hand-over, a firewall's idle timeout, a congested uplink):
 * half a minute lets a blip pass without binding over and over into it; the cap keeps a client behind a
 * firewall that drops UDP for good from knocking more than six times an hour (each try is 3 s of hellos).
 */
export const UDP_RETRY_FIRST_MS = 30_000;
export const UDP_RETRY_MAX_MS = 600_000;
/** A binding that lasted this long worked: the next fallback waits UDP_RETRY_FIRST_MS again. */
export const UDP_RETRY_STABLE_MS = 60_000;
