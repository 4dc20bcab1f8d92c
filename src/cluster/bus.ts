// The hub's Bus across nodes: a room reply is published once on the cluster's channel (each node fans it
// out to its own members), only when the room has members on another node; a reply to a user on another
// node likewise. While the link to Redis is down, or when a publish fails, the event is dropped — never
// queued to be sent late, never sent twice — and the sender is told (the cluster's `dropped` hook).
import type { Bus, BusEvent } from '../chat/ports.ts';
import { encodeEvent } from './events.ts';
import type { PresenceReplica } from './replica.ts';

export interface BusLink {
  readonly replica: PresenceReplica;
  /** The link is up (publishing may go through). */
  connected(): boolean;
  publish(text: string): Promise<void>;
  /** An event that did not (or may not have) reached the other nodes. */
  dropped(event: BusEvent): void;
}

export class RedisBus implements Bus {
  /** Events published, and dropped (link down or a failed publish), since start. */
  published = 0;
  droppedCount = 0;

  constructor(private readonly link: BusLink) {}

  publish(event: BusEvent): void {
    const link = this.link;
    if (event.type === 'room' && !link.replica.hasRemoteMembers(event.room)) return;
    if (!link.connected()) {
      this.drop(event);
      return;
    }
    this.published++;
    link.publish(encodeEvent({ t: 'bus', event })).catch(() => this.drop(event));
  }

  private drop(event: BusEvent): void {
    this.droppedCount++;
    this.link.dropped(event);
  }
}
