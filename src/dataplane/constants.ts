// The data-plane machine's timings and bounds (src/dataplane/machine.ts), each with its reason.

/** The client resends its hello this often until the server answers. */
export const HELLO_RETRY_MS = 200;
/**
 * A client still binding whose hello is refused as `replayed` (someone sent a copy of it first, from
 * elsewhere: abuse row 11) sends a fresh one (next nonce) this many times before it gives up: the server
 * then challenges the client's own address and moves the binding there once it answers. A few: a copier
 * that races every hello wins only as long as it keeps up, and then the session falls back to TCP.
 */
export const REPLAYED_HELLO_RETRIES = 3;

/**
 * Until an address has answered a challenge, the server sends it at most this many times the bytes it
 * received from it (RFC 9000 §8: anti-amplification), so a forged-source hello cannot turn the server
 * into a flood aimed at someone else.
 */
export const AMPLIFICATION_FACTOR = 3;
/**
 * New addresses a binding keeps a challenge out for at once; the oldest is forgotten for a newer one.
 * A NAT that rebinds while the previous rebind is being validated needs two; more is spare.
 */
export const MAX_PENDING_PATHS = 4;
/**
 * While a bound address has not answered its challenge (the challenge or the response was lost), the
 * datagrams it keeps sending bring the challenge again, at most this often: the hello's retry interval,
 * a few round trips; each resend counts against the 3× bound like anything else sent there.
 */
export const CHALLENGE_RETRY_MS = HELLO_RETRY_MS;

/** Give up binding (fall back to chat over TCP) after this long without an answer: "a few seconds". */
export const BINDING_TIMEOUT_MS = 3_000;
/**
 * A bound client whose server has not yet said its address is validated (a helloOk with the flag) sends
 * a fresh hello every HELLO_RETRY_MS, at most this many times: each brings the challenge again (or the
 * confirmation) and buys the server 3× its bytes to send. Without it, a client that only listens
 * deadlocks when its first challenge or response is lost: the server, held to 3× what it heard, sends it
 * next to nothing, so it has nothing to answer, and the server's engine gives it up (as RFC 9002
 * §6.2.2.1 has a QUIC client keep probing until the server may send freely). As many as fit in the
 * binding timeout.
 */
export const VALIDATION_PROBES = BINDING_TIMEOUT_MS / HELLO_RETRY_MS;
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
 * How often per binding the chat a peer leaves unacknowledged is held against its bound (the engine's
 * statistics are read for it): often enough that a stuck reader is caught within a few of its messages'
 * worth, rarely enough that reading the statistics never shows in the cost of a chat line.
 */
export const QUEUE_CHECK_INTERVAL_MS = 50;

/**
 * While chat moves from UDP to TCP (between this side's `<transport>` and the peer's count), chat handed
 * to the machine waits in memory. The wait is one TCP round trip; a peer that lets this many pile up is
 * stuck and its session is dropped, as one that stops reading TCP is (the server's MAX_PENDING_WRITE_BYTES).
 */
export const FALLBACK_HOLD_MAX_REPLIES = 10_000;

/**
 * Packets a sealed binding's engine may send before the machine gives up UDP (as `lost`: chat moves to
 * TCP, nothing lost). A sealed data datagram's AEAD nonce is its packet number's 32 wire bits
 * (src/udp/sealing.ts), so no engine may wrap them under one key; stopping at 2^31 also keeps every
 * number the receiver unwraps within half the space, so an old packet can never pass for a new one.
 * At 100,000 packets/s that is six hours of sending.
 */
export const SEALED_PACKET_LIMIT = 2 ** 31;
