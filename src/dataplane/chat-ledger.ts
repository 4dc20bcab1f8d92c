// What one side of a chat-over-UDP binding remembers so that falling back to TCP neither loses nor
// repeats a message. Pure.
//
// The engine delivers each side's chat messages exactly once and in order, so "how many of your messages
// I received" names a prefix exactly. At fallback each side freezes that count (it stops its engine) and
// tells the other over TCP (`<transport>tcp RECEIVED REASON`); the other resends over TCP exactly the
// messages it sent over UDP from that index on. A sent message must therefore be kept until it is surely
// received: the ledger forgets the prefix the engine reports acknowledged in order (an acknowledged
// message reached the peer's engine, and is delivered or counted there: see the machine's fallback).
/** Forgotten entries kept at the front of the array until there are this many and they are half of it. */
const FORGOTTEN_COMPACT_AT = 64;

export class ChatLedger<T> {
  /** Index (in the sequence of messages sent over UDP) of `kept[head]`. */
  private base = 0;
  private kept: T[] = [];
  /** Forgotten entries at the front of `kept`, dropped in one go once they are many. */
  private head = 0;
  private receivedCount = 0;

  /** Messages sent over UDP so far. */
  get sent(): number {
    return this.base + this.kept.length - this.head;
  }

  /** Messages received over UDP so far (the count told to the peer at fallback). */
  get received(): number {
    return this.receivedCount;
  }

  /** Messages kept for a possible resend. */
  get keptCount(): number {
    return this.kept.length - this.head;
  }

  recordSent(message: T): void {
    this.kept.push(message);
  }

  recordReceived(): void {
    this.receivedCount++;
  }

  /** Everything sent so far reached the peer (or chat moved to TCP for good). */
  forgetDelivered(): void {
    this.base = this.sent;
    this.kept = [];
    this.head = 0;
  }

  /** The first `count` messages sent reached the peer: forget them. */
  forgetBefore(count: number): void {
    if (count <= this.base) return;
    const drop = Math.min(count, this.sent) - this.base;
    this.head += drop;
    this.base += drop;
    if (this.head === this.kept.length) {
      this.kept = [];
      this.head = 0;
    } else if (this.head >= FORGOTTEN_COMPACT_AT && this.head * 2 >= this.kept.length) {
      this.kept = this.kept.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * What to resend when the peer says it received `peerReceived` of our messages: those sent after them,
   * in order. A count beyond what we sent is impossible (nothing to resend); one below what we know was
   * delivered cannot be honoured further back than what is kept.
   */
  unreceived(peerReceived: number): T[] {
    if (!Number.isSafeInteger(peerReceived) || peerReceived < 0 || peerReceived >= this.sent) return [];
    const from = Math.max(peerReceived, this.base) - this.base;
    return this.kept.slice(this.head + from);
  }
}
