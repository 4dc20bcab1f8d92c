// Presence held in this process: the single-node chat, and the shape a cluster's replica takes.
import type { RoomEntry, UserEntry } from '../commands/types.ts';
import { sameAddress, type SessionAddress } from './ids.ts';
import type { Presence } from './ports.ts';

interface Holder {
  name: string;
  who: SessionAddress;
  room: string;
}

export class MemoryPresence implements Presence {
  private readonly names = new Map<string, Holder>();
  private readonly roomCounts = new Map<string, number>();

  claimName(key: string, name: string, who: SessionAddress): boolean {
    if (this.names.has(key)) return false;
    this.names.set(key, { name, who, room: '' });
    return true;
  }

  releaseName(key: string, who: SessionAddress): void {
    const holder = this.names.get(key);
    if (holder !== undefined && sameAddress(holder.who, who)) this.names.delete(key);
  }

  locate(key: string): { name: string; who: SessionAddress } | undefined {
    return this.names.get(key);
  }

  enterRoom(room: string, _key: string): void {
    this.roomCounts.set(room, (this.roomCounts.get(room) ?? 0) + 1);
  }

  leaveRoom(room: string, _key: string): void {
    const left = (this.roomCounts.get(room) ?? 0) - 1;
    if (left > 0) this.roomCounts.set(room, left);
    else this.roomCounts.delete(room);
  }

  setListedRoom(key: string, room: string): void {
    const holder = this.names.get(key);
    if (holder !== undefined) holder.room = room;
  }

  takeSeat(room: string, _key: string, capacity: number): { taken: true } | { taken: false; size: number } {
    const size = this.roomCounts.get(room) ?? 0;
    if (size >= capacity) return { taken: false, size };
    this.roomCounts.set(room, size + 1);
    return { taken: true };
  }

  userCount(): number {
    return this.names.size;
  }

  users(): UserEntry[] {
    const out: UserEntry[] = [];
    for (const holder of this.names.values()) out.push({ name: holder.name, room: holder.room });
    return out;
  }

  rooms(): RoomEntry[] {
    const out: RoomEntry[] = [];
    for (const [name, count] of this.roomCounts) out.push({ name, count });
    return out;
  }
}
