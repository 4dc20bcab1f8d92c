// Paces what the client sends to the chat rate the server announced in its welcome, so that typed or
// pasted lines wait their turn in the client instead of being refused by the server — and finds the
// lines the server refused anyway (`rate-limited`: jitter on the way, another client of the same
// session's budget) so that they are sent again, never lost. Pure: `now` comes in, "send now or at
// time T" and "send these again" go out; the link (src/client/link.ts) owns the queue and the timer.
//
// The server's bucket (src/chat/rate-limit.ts) is kept here as a copy, a little slower (PACE_*). A
// refusal does not say which line it refuses, and a line's echo may come over UDP while the error comes
// over TCP, so the refused lines are told by elimination: after a refusal nothing more is paced out;
// each echo crosses its line off; when as many lines are left in flight as refusals came, those are the
// refused ones. A line that will never echo (refused for another reason) would stall that count: after
// REFUSAL_SETTLE_MS the newest lines in flight are taken as the refused ones (the bucket runs dry at the
// end of a burst, so the refused lines are the later ones).
import { fullBucket, isChatRateRefusal, msUntilToken, RATE_LIMITED_KINDS, takeToken, type TokenBucket } from '../chat/rate-limit.ts';
import type { ChatRateLimits, Command, Reply } from '../commands/types.ts';
import { MAX_PENDING, PACE_BURST_SHARE, PACE_RATE_SHARE, PENDING_EXPIRY_MS, REFUSAL_SETTLE_MS } from './constants.ts';

/** What the pacer is handed: anything that carries a command (the link's outbox entries). */
export interface Paceable {
  command: Command;
}

/** Chat lines whose echo tells that the server took them. */
type EchoedKind = 'broadcast' | 'private' | 'action';

interface InFlight<T extends Paceable> {
  item: T;
  kind: EchoedKind;
  text: string;
  sentAt: number;
}

/** What a reply means to the pacer. */
export interface PacerVerdict<T extends Paceable> {
  /** Lines to send again, oldest first, ahead of everything still queued. */
  resend: T[];
  /** The reply is a refusal of a paced line that will be sent again: not an error to show. */
  absorbed: boolean;
}

/** A chat line the server echoes: its kind and text. */
function echoed(command: Command): { kind: EchoedKind; text: string } | undefined {
  return command.kind === 'broadcast' || command.kind === 'private' || command.kind === 'action' ? { kind: command.kind, text: command.text } : undefined;
}

/** The echo kind a reply is, when it is our own chat line coming back. */
function echoOf(reply: Reply): EchoedKind | undefined {
  if (reply.kind === 'message' && reply.self) return 'broadcast';
  if ((reply.kind === 'private' || reply.kind === 'action') && reply.self) return reply.kind;
  return undefined;
}

export class Pacer<T extends Paceable> {
  /** The pace (already under the server's figures); undefined: no limit known or none (rate 0). */
  private pace: ChatRateLimits | undefined;
  private bucket: TokenBucket | undefined;
  private readonly inFlight: InFlight<T>[] = [];
  /** `rate-limited` refusals whose lines are not yet told apart. */
  private refusals = 0;
  private refusedAt = 0;

  /** The server's figures from its welcome (undefined: an older server, no pacing). The bucket starts full, as the server's does. */
  configure(limits: ChatRateLimits | undefined, now: number): void {
    this.reset(); // a new session: nothing of the last one is in flight
    if (limits === undefined || limits.rate <= 0) {
      this.pace = undefined;
      this.bucket = undefined;
      return;
    }
    this.pace = { rate: limits.rate * PACE_RATE_SHARE, burst: Math.max(1, Math.floor(limits.burst * PACE_BURST_SHARE)) };
    this.bucket = fullBucket(this.pace.burst, now);
  }

  /** True while refused lines are being told apart (nothing paced goes out meanwhile). */
  get settling(): boolean {
    return this.refusals > 0;
  }

  /** Lines sent and not yet echoed (bounded by MAX_PENDING). */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  /** When `item` may be sent: `now` or earlier means at once. */
  readyAt(item: T, now: number): number {
    if (!RATE_LIMITED_KINDS.has(item.command.kind)) return now;
    if (this.refusals > 0) return this.refusedAt + REFUSAL_SETTLE_MS;
    const pace = this.pace;
    const bucket = this.bucket;
    if (pace === undefined || bucket === undefined) return now;
    // Bring the copy up to date without taking a token: take one and give it back.
    if (takeToken(bucket, pace.rate, pace.burst, now)) {
      bucket.tokens += 1;
      return now;
    }
    return now + msUntilToken(bucket, pace.rate);
  }

  /** How long `count` more paced lines take to go at the pace (0 without one). */
  drainMs(count: number): number {
    return this.pace === undefined ? 0 : Math.ceil((count * 1000) / this.pace.rate);
  }

  /** `item` went out now. */
  sent(item: T, now: number): void {
    if (!RATE_LIMITED_KINDS.has(item.command.kind)) return;
    if (this.pace !== undefined && this.bucket !== undefined) takeToken(this.bucket, this.pace.rate, this.pace.burst, now);
    const line = echoed(item.command);
    if (line === undefined) return;
    this.expire(now);
    this.inFlight.push({ item, ...line, sentAt: now });
    if (this.inFlight.length > MAX_PENDING) this.inFlight.shift();
  }

  /** A reply from the server: an echo crosses its line off; a `rate-limited` refusal of a line in flight is counted. */
  received(reply: Reply, now: number): PacerVerdict<T> {
    const echo = echoOf(reply);
    if (echo !== undefined) {
      this.crossOff(echo, 'text' in reply ? reply.text : '');
      return { resend: this.resolve(), absorbed: false };
    }
    // Only the chat rate's refusal: the command budget's and the password guard's share the code but
    // refuse a command that is not in flight (counting them would send an accepted line twice and hide the error).
    if (reply.kind === 'error' && reply.code === 'rate-limited' && isChatRateRefusal(reply.message) && this.inFlight.length > this.refusals) {
      this.refusals += 1;
      this.refusedAt = now;
      // The server's bucket is empty: so is the copy.
      if (this.bucket !== undefined) this.bucket = { tokens: 0, at: now };
      return { resend: this.resolve(), absorbed: true };
    }
    return { resend: [], absorbed: false };
  }

  /** Time passed: refusals the echoes could not settle within REFUSAL_SETTLE_MS take the newest lines in flight. */
  tick(now: number): T[] {
    if (this.refusals === 0 || now < this.refusedAt + REFUSAL_SETTLE_MS) return [];
    const refused = this.inFlight.splice(Math.max(0, this.inFlight.length - this.refusals));
    this.inFlight.length = 0; // the others were taken (their echo or another answer is late, not missing)
    this.refusals = 0;
    return refused.map((f) => f.item);
  }

  /** Forgets everything in flight (the connection is gone). */
  reset(): void {
    this.inFlight.length = 0;
    this.refusals = 0;
  }

  /** The oldest line of that kind with that text (the server may have reworded it: then the oldest of that kind). */
  private crossOff(kind: EchoedKind, text: string): void {
    let at = this.inFlight.findIndex((f) => f.kind === kind && f.text === text);
    if (at < 0) at = this.inFlight.findIndex((f) => f.kind === kind);
    if (at >= 0) this.inFlight.splice(at, 1);
  }

  /** Every line still in flight is a refused one: all of them go again. */
  private resolve(): T[] {
    if (this.refusals === 0 || this.inFlight.length > this.refusals) return [];
    const refused = this.inFlight.splice(0).map((f) => f.item);
    this.refusals = 0;
    return refused;
  }

  private expire(now: number): void {
    // Only outside a refusal: while one is being settled every line in flight counts.
    if (this.refusals > 0) return;
    while (this.inFlight.length > 0 && now - (this.inFlight[0]?.sentAt ?? now) > PENDING_EXPIRY_MS) this.inFlight.shift();
  }
}
