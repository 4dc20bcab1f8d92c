// A connection's queue of one iteration (src/tcp/out-queue.ts): its own bytes, shared ranges, and the
// open range of a queue that follows a room's pieces — what it takes, where it stops, what lapses.
import { describe, expect, it } from 'vitest';
import { OutQueue } from '../../src/tcp/out-queue.ts';
import { SharedPieces } from '../../src/tcp/write-batch.ts';

const text = (parts: Uint8Array[]): string[] => parts.map((p) => Buffer.from(p).toString('utf8'));
const add = (pieces: SharedPieces, t: string): number => pieces.add(Buffer.from(t));

describe('OutQueue', () => {
  it('a follower takes every part added until something else is queued, which closes its range there', () => {
    let joined = 0;
    const q = new OutQueue(() => joined++);
    const room = new SharedPieces();
    q.follow(room, add(room, 'a'));
    add(room, 'b');
    expect(q.pendingBytes).toBe(2);
    q.push(Buffer.from('!'));
    add(room, 'c');
    expect(text(q.take())).toEqual(['ab', '!']);
    expect(joined).toBeGreaterThan(0);
    // It lapsed where the push closed its range: the room makes it follow again from its next part.
    expect(room.takeLapsed()).toEqual([q]);
    expect(room.takeLapsed()).toEqual([]);
  });

  it('skips its own part and follows from the next; a skip of the last part leaves no empty range', () => {
    const q = new OutQueue(() => undefined);
    const room = new SharedPieces();
    q.follow(room, add(room, 'a'));
    q.skipShared(room, add(room, 'mine'));
    add(room, 'c');
    q.skipIfFollowing(room, add(room, 'mine2'));
    add(room, 'd');
    expect(text(q.take())).toEqual(['a', 'c', 'd']);
    const other = new OutQueue(() => undefined);
    other.skipIfFollowing(room, 0);
    expect(other.take()).toEqual([]);
  });

  it('stops following at unfollow, takes a part written alone once, and drops everything once closed', () => {
    const q = new OutQueue(() => undefined);
    const room = new SharedPieces();
    q.follow(room, add(room, 'a'));
    q.unfollow(room);
    add(room, 'b');
    q.pushShared(room, add(room, 'c'));
    expect(text(q.take())).toEqual(['a', 'c']);
    expect(room.takeLapsed()).toEqual([]);
    q.close();
    q.push(Buffer.from('late'));
    q.follow(room, add(room, 'd'));
    expect(q.take()).toEqual([]);
  });

  it('a follower of another room’s pieces lapses there when this room queues a line for it', () => {
    const q = new OutQueue(() => undefined);
    const a = new SharedPieces();
    const b = new SharedPieces();
    q.follow(a, add(a, 'a1'));
    q.follow(b, add(b, 'b1'));
    add(a, 'a2');
    expect(a.takeLapsed()).toEqual([q]);
    expect(text(q.take())).toEqual(['a1', 'b1']);
  });
});
