// What happened to every line of a latency run: when it was handed to the sender, when (and how many
// times, and in which order) it reached the receiver. Lines are numbered per stream (a sender/receiver
// pair) from 0; a stream's lines must arrive once each, in order. Latency = arrival − hand-over, on one
// clock (sender and receiver live in the same process).

export interface DeliverySummary {
  /** Lines handed to senders. */
  sent: number;
  /** Distinct lines that arrived. */
  delivered: number;
  /** Lines sent that never arrived (within the wait). */
  lost: number;
  /** Arrivals of a line that had already arrived. */
  duplicates: number;
  /** Arrivals of a line numbered below one that had already arrived on its stream. */
  outOfOrder: number;
  /** Arrivals naming a stream or line that was never sent. */
  unknown: number;
}

export class DeliveryLog {
  private readonly sentAt: Float64Array[];
  private readonly arrivedAt: Float64Array[];
  private readonly highest: Int32Array;
  private readonly duplicatesOf: Int32Array;
  private readonly outOfOrderOf: Int32Array;
  private sentCount = 0;
  private deliveredCount = 0;
  private unknownCount = 0;
  private lastArrivalAt = Number.NaN;

  /** `lines[s]`: how many lines stream s will send. */
  constructor(lines: readonly number[]) {
    for (const n of lines) if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a stream's line count must be a whole number ≥ 0 (got ${n})`);
    this.sentAt = lines.map((n) => new Float64Array(n).fill(Number.NaN));
    this.arrivedAt = lines.map((n) => new Float64Array(n).fill(Number.NaN));
    this.highest = new Int32Array(lines.length).fill(-1);
    this.duplicatesOf = new Int32Array(lines.length);
    this.outOfOrderOf = new Int32Array(lines.length);
  }

  /** Line `seq` of `stream` was handed over at `at`; false if there is no such line or it was already. */
  sent(stream: number, seq: number, at: number): boolean {
    const row = this.sentAt[stream];
    if (row === undefined || !Number.isSafeInteger(seq) || seq < 0 || seq >= row.length || !Number.isNaN(row[seq] as number)) return false;
    row[seq] = at;
    this.sentCount++;
    return true;
  }

  /** Line `seq` of `stream` arrived at `at`. */
  arrived(stream: number, seq: number, at: number): 'new' | 'duplicate' | 'unknown' {
    const row = this.arrivedAt[stream];
    const sent = this.sentAt[stream];
    if (row === undefined || sent === undefined || !Number.isSafeInteger(seq) || seq < 0 || seq >= row.length || Number.isNaN(sent[seq] as number)) {
      this.unknownCount++;
      return 'unknown';
    }
    if (!Number.isNaN(row[seq] as number)) {
      this.duplicatesOf[stream] = (this.duplicatesOf[stream] as number) + 1;
      return 'duplicate';
    }
    row[seq] = at;
    this.deliveredCount++;
    if (!(at <= this.lastArrivalAt)) this.lastArrivalAt = at;
    if (seq < (this.highest[stream] as number)) this.outOfOrderOf[stream] = (this.outOfOrderOf[stream] as number) + 1;
    else this.highest[stream] = seq;
    return 'new';
  }

  /** Every line sent has arrived. */
  get complete(): boolean {
    return this.deliveredCount === this.sentCount;
  }

  /** When the latest line arrived (NaN before any). */
  get lastArrival(): number {
    return this.lastArrivalAt;
  }

  get delivered(): number {
    return this.deliveredCount;
  }

  /** Latency of each line of the given streams (all when omitted), in stream then line order; null when it did not arrive. */
  latencies(streams?: readonly number[]): Array<number | null> {
    const out: Array<number | null> = [];
    for (const s of streams ?? this.sentAt.map((_, i) => i)) {
      const sent = this.sentAt[s];
      const arrived = this.arrivedAt[s];
      if (sent === undefined || arrived === undefined) continue;
      for (let i = 0; i < sent.length; i++) {
        const a = arrived[i] as number;
        const t = sent[i] as number;
        if (Number.isNaN(t)) continue; // never sent (the run was cut short)
        out.push(Number.isNaN(a) ? null : a - t);
      }
    }
    return out;
  }

  /** Counts for the given streams (all when omitted); `unknown` arrivals belong to no stream and are always the total. */
  summary(streams?: readonly number[]): DeliverySummary {
    const chosen = streams ?? this.sentAt.map((_, i) => i);
    const l = this.latencies(chosen);
    const delivered = l.filter((x) => x !== null).length;
    let duplicates = 0;
    let outOfOrder = 0;
    for (const s of chosen) {
      duplicates += this.duplicatesOf[s] ?? 0;
      outOfOrder += this.outOfOrderOf[s] ?? 0;
    }
    return { sent: l.length, delivered, lost: l.length - delivered, duplicates, outOfOrder, unknown: this.unknownCount };
  }
}
