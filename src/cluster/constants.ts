// The cluster's timings and names, each with its reason (docs/cluster.md).

/**
 * A node renews its heartbeat key this often. Every renewal is one small script on Redis per node: a
 * cluster of ten nodes costs Redis ten calls a second, nothing beside the chat's own traffic.
 */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * The heartbeat key lives this long without a renewal: three missed beats. One late beat (a busy event
 * loop, a garbage collection, a slow network) does not end a node; a node killed with -9 is found dead
 * within TTL + one interval (≤ 4 s), and its users leave every room then.
 */
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** A node checks the other nodes' heartbeats at every beat of its own: a dead node is noticed within one interval of its key expiring. */
export const REAP_INTERVAL_MS = HEARTBEAT_INTERVAL_MS;

/**
 * Reaching Redis at start: a server that cannot reach it within this long says so and exits 1 (a
 * loopback or LAN Redis answers in milliseconds; 3 s covers a DNS lookup and a slow first handshake).
 */
export const REDIS_CONNECT_TIMEOUT_MS = 3_000;

/**
 * A connection dropped on purpose (a start that failed) is destroyed after this if its socket has not
 * closed: ioredis's 2 s default kept a server that could not reach Redis from exiting for 2 s.
 */
export const REDIS_DISCONNECT_TIMEOUT_MS = 100;

/** Reconnecting after Redis is lost: the first retry this soon, each next one twice as late … */
export const RECONNECT_FIRST_DELAY_MS = 100;

/** … up to this: a restarted Redis is found again within 2 s, and a dead one costs a connect attempt every 2 s. */
export const RECONNECT_MAX_DELAY_MS = 2_000;

/** Every key and channel of dualchat in Redis starts with this, so one Redis can hold other data too. */
export const KEY_PREFIX = 'dualchat:';

/** The port of `redis://HOST` without one: Redis's own default. */
export const REDIS_DEFAULT_PORT = 6379;

/** A database number is a 32-bit signed integer in Redis (SELECT); higher ones cannot exist. */
export const REDIS_DB_MAX = 2 ** 31 - 1;
