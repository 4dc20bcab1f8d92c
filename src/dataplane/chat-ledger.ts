// What one side of a chat-over-UDP binding remembers so that falling back to TCP neither loses nor
// repeats a message. Pure.
//
// The engine delivers each side's chat messages exactly once and in order, so "how many of your messages
// I received" names a prefix exactly. At fallback each side freezes that count (it stops its engine) and
// tells the other over TCP (`<transport>tcp RECEIVED REASON`); the other resends over TCP exactly the
// messages it sent over UDP from that index on. A sent message must therefore be kept until it is surely
// received: the ledger forgets everything sent so far whenever the engine reports nothing unacknowledged
// (an acknowledged message was received and, the engine draining events as it acknowledges, delivered).
export class ChatLedger<T> {
  /** Index (in the sequence of messages sent over UDP) of `kept[0]`. */
  private base = 0;
  private kept: T[] = [];
  private receivedCount = 0;

  /** Messages sent over UDP so far. */
  get sent(): number {
    return this.base + this.kept.length;
  }

  /** Messages received over UDP so far (the count told to the peer at fallback). */
  get received(): number {
    return this.receivedCount;
  }

  /** Messages kept for a possible resend. */
  get keptCount(): number {
    return this.kept.length;
  }

  recordSent(message: T): void {
    this.kept.push(message);
  }

  recordReceived(): void {
    this.receivedCount++;
  }

  /** The engine has nothing unacknowledged: everything sent so far reached the peer. */
  forgetDelivered(): void {
    this.base = this.sent;
    this.kept = [];
  }

  /**
   * What to resend when the peer says it received `peerReceived` of our messages: those sent after them,
   * in order. A count beyond what we sent is impossible (nothing to resend); one below what we know was
   * delivered cannot be honoured further back than what is kept.
   */
  unreceived(peerReceived: number): T[] {
    if (!Number.isSafeInteger(peerReceived) || peerReceived < 0 || peerReceived >= this.sent) return [];
    const from = Math.max(peerReceived, this.base) - this.base;
    return this.kept.slice(from);
  }
}
