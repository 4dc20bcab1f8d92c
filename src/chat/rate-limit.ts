// A token bucket per session for chat messages: `rate` tokens per second refill up to `burst`; each
// message takes one. Pure: the caller passes `now` (ms). A rate of 0 turns the limit off. The hub keeps
// one per session; dualchat's client keeps a copy to pace its own lines (src/client/pacer.ts).

/** The command kinds the hub counts against the bucket (`rateLimited` in hub.ts): chat, actions, history pages. */
export const RATE_LIMITED_KINDS: ReadonlySet<string> = new Set(['broadcast', 'say', 'private', 'action', 'room-action', 'history']);

export interface TokenBucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export function fullBucket(burst: number, now: number): TokenBucket {
  return { tokens: burst, at: now };
}

/** Takes one token if there is one; returns false (and takes nothing) when the bucket is empty. */
export function takeToken(bucket: TokenBucket, rate: number, burst: number, now: number): boolean {
  if (rate <= 0) return true;
  const elapsed = Math.max(0, now - bucket.at);
  bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * rate) / 1000);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Milliseconds until the next token, for the refusal message. */
export function msUntilToken(bucket: TokenBucket, rate: number): number {
  return rate <= 0 ? 0 : Math.ceil(((1 - bucket.tokens) * 1000) / rate);
}

/** How a refusal for the chat rate begins: the one `rate-limited` refusal a client's pacer sends again. */
const CHAT_RATE_REFUSAL_PREFIX = 'slow down: at most ';

/** The words of a chat line refused for the rate (after `<error>rate-limited `). */
export function chatRateRefusal(rate: number, burst: number, waitMs: number): string {
  return `${CHAT_RATE_REFUSAL_PREFIX}${rate} messages per second (burst ${burst}); try again in ${waitMs} ms`;
}

/**
 * A `rate-limited` error is the chat rate's refusal (not the command budget's, nor too many wrong
 * passwords, which share the code): only that one refuses a chat line that may be sent again.
 */
export function isChatRateRefusal(message: string): boolean {
  return message.startsWith(CHAT_RATE_REFUSAL_PREFIX);
}
