// Constants of the UDP shell, each with its reason.

/**
 * Socket receive buffer. Measured on these machines: with Node's default (~208 KiB) 14–61% of a burst of
 * 1200-byte datagrams is lost even on loopback; with 4 MiB, 0 loss at 140k–200k datagrams/s.
 * (The kernel caps it at net.core.rmem_max, 4 MiB here.)
 */
export const UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;
/** Send buffer: same reasoning for bursts of a bulk transfer. */
export const UDP_SEND_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Datagrams sent per event-loop turn before yielding (setImmediate). Measured here: 64–256 sends per
 * setImmediate reach Node's ceiling (~170k/s) without starving timers and TCP.
 */
export const UDP_SENDS_PER_TURN = 256;

/** Size of the session token the server gives over TCP (bits ≥ 128 as the design demands). */
export const BINDING_TOKEN_BYTES = 16;
/** Truncated HMAC-SHA256 carried in a hello: 128 bits, enough against forgery for a chat session. */
export const BINDING_MAC_BYTES = 16;
/** The client resends its hello this often until the server answers. */
export const HELLO_RETRY_MS = 200;
/** Give up binding (fall back to chat over TCP) after this long without an answer: "a few seconds". */
export const BINDING_TIMEOUT_MS = 3_000;
/**
 * A bound client whose engine has awaited an answer (a chat line or a keepalive sent, not acknowledged) for
 * this long, without hearing anything at all from the server, starts sending fresh hellos (every
 * HELLO_RETRY_MS) until it hears again. An idle session awaits nothing and never does it. Far above a round
 * trip, so a healthy path never triggers it; much shorter than the engine's 10 s dead-peer limit, so a client
 * whose address changed (NAT rebinding: the server drops its datagrams as coming from a stranger) proves
 * itself again long before its engine gives up.
 */
export const REBIND_SILENCE_MS = 3_000;
/**
 * After one side moved chat to TCP (sent `<transport>tcp N`), how long it waits for the other side's count
 * before going on without it. The answer travels over a live TCP connection, so it normally takes one
 * round trip; this bound only matters if the peer is broken. The server, when its engine declared the
 * client lost, drops a session that does not answer within it: silent on both paths, the client is gone.
 */
export const FALLBACK_SYNC_TIMEOUT_MS = 5_000;
/**
 * Messages remembered for resending over TCP at fallback are forgotten as soon as the engine reports
 * everything acknowledged; the engine's stats are consulted for that at most this often per binding.
 */
export const LEDGER_PRUNE_INTERVAL_MS = 50;
