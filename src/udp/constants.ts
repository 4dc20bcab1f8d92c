// Constants of the UDP shell (sockets, the hello proof), each with its reason. The binding's and the
// fallback's timings are the data-plane machine's: src/dataplane/constants.ts.

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
/**
 * A path challenge's random bytes: 64 bits, as RFC 9000's PATH_CHALLENGE — an off-path attacker cannot
 * guess them, and a response must also carry the token's MAC over them.
 */
export const BINDING_CHALLENGE_BYTES = 8;
