import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UPLOAD_SLOTS } from '../../src/files/limits.ts';
import { checkQueueOptions, UploadQueue } from '../../src/files/upload-queue.ts';

describe('UploadQueue', () => {
  it('grants 5 at once; the 6th and 7th wait with their positions', () => {
    const q = new UploadQueue<number, string>();
    expect(q.slots).toBe(DEFAULT_UPLOAD_SLOTS);
    for (let id = 1; id <= 5; id++) expect(q.request(id, `u${id}`)).toEqual({ ok: true, events: [{ type: 'granted', id }] });
    expect(q.request(6, 'u6')).toEqual({ ok: true, events: [{ type: 'position', id: 6, position: 1 }] });
    expect(q.request(7, 'u7')).toEqual({ ok: true, events: [{ type: 'position', id: 7, position: 2 }] });
    expect([q.active, q.waiting, q.positionOf(7), q.isActive(3)]).toEqual([5, 2, 2, true]);
  });

  it('a finished upload hands its slot to the first waiter; the others move up', () => {
    const q = new UploadQueue<number, string>();
    for (let id = 1; id <= 8; id++) q.request(id, 'x');
    expect(q.release(2)).toEqual([
      { type: 'granted', id: 6 },
      { type: 'position', id: 7, position: 1 },
      { type: 'position', id: 8, position: 2 },
    ]);
    expect(q.isActive(6)).toBe(true);
    expect(q.release(2)).toEqual([]); // twice: nothing
  });

  it('a waiting upload may cancel; only those behind it move up', () => {
    const q = new UploadQueue<number, string>();
    for (let id = 1; id <= 9; id++) q.request(id, 'x');
    expect(q.cancel(7)).toEqual([
      { type: 'position', id: 8, position: 2 },
      { type: 'position', id: 9, position: 3 },
    ]);
    expect(q.positionOf(6)).toBe(1);
    expect(q.positionOf(7)).toBeUndefined();
    expect(q.active).toBe(5);
  });

  it('a client that goes away releases its slots and waiting places at once', () => {
    const q = new UploadQueue<number, string>();
    ['a', 'b', 'a', 'b', 'b', 'a', 'c', 'a', 'c'].forEach((owner, i) => q.request(i + 1, owner));
    // active: 1a 2b 3a 4b 5b; waiting: 6a 7c 8a 9c
    expect(q.releaseOwner('a')).toEqual([
      { type: 'granted', id: 7 },
      { type: 'granted', id: 9 },
    ]);
    expect([q.active, q.waiting]).toEqual([5, 0]);
    expect(q.releaseOwner('nobody')).toEqual([]);
  });

  it('refuses a duplicate id and a full waiting line', () => {
    const q = new UploadQueue<number, string>({ slots: 1, maxWaiting: 1 });
    q.request(1, 'x');
    expect(q.request(1, 'x')).toEqual({ ok: false, message: 'this upload is already queued' });
    q.request(2, 'x');
    expect(q.request(3, 'x')).toEqual({ ok: false, message: 'the upload queue is full (1 waiting); try again later' });
  });

  it('one owner holds at most its share of the slots; its others wait while later owners pass', () => {
    const q = new UploadQueue<number, string>({ slots: 3, slotsPerOwner: 2 });
    expect(q.request(1, 'a')).toEqual({ ok: true, events: [{ type: 'granted', id: 1 }] });
    expect(q.request(2, 'a')).toEqual({ ok: true, events: [{ type: 'granted', id: 2 }] });
    // A slot is free, but a has its two: the third waits first in line.
    expect(q.request(3, 'a')).toEqual({ ok: true, events: [{ type: 'position', id: 3, position: 1 }] });
    expect(q.request(4, 'b')).toEqual({ ok: true, events: [{ type: 'granted', id: 4 }] });
    expect(q.request(5, 'c')).toEqual({ ok: true, events: [{ type: 'position', id: 5, position: 2 }] });
    // b's ends: c (second in line) takes the slot, a's waiter keeps its place at the head.
    expect(q.release(4)).toEqual([
      { type: 'granted', id: 5 },
    ]);
    // a's first ends: a's waiter takes it.
    expect(q.release(1)).toEqual([{ type: 'granted', id: 3 }]);
    expect([q.active, q.waiting]).toEqual([3, 0]);
  });

  it('refuses an owner its upload beyond maxPerOwner, with the bound in the message', () => {
    const q = new UploadQueue<number, string>({ slots: 1, maxPerOwner: 2 });
    q.request(1, 'a');
    q.request(2, 'a');
    expect(q.request(3, 'a')).toEqual({ ok: false, message: 'you have 2 uploads in the queue already; wait for one to finish' });
    expect(q.request(4, 'b').ok).toBe(true);
    q.release(1);
    expect(q.request(5, 'a').ok).toBe(true);
  });

  it('holds an address group to one owner\'s share of slots and places, whatever its number of owners', () => {
    const q = new UploadQueue<number, string>({ slots: 5, slotsPerOwner: 2, maxPerOwner: 3 });
    expect(q.request(1, 's1', 'host')).toEqual({ ok: true, events: [{ type: 'granted', id: 1 }] });
    expect(q.request(2, 's2', 'host')).toEqual({ ok: true, events: [{ type: 'granted', id: 2 }] });
    expect(q.request(3, 's3', 'host')).toEqual({ ok: true, events: [{ type: 'position', id: 3, position: 1 }] });
    expect(q.request(4, 's4', 'host')).toEqual({
      ok: false,
      message: 'your address has 3 uploads in the queue already (one share for all its sessions); wait for one to finish',
    });
    // Another group is granted past the group's waiter; the waiter gets the group's freed slot.
    expect(q.request(5, 's5', 'elsewhere')).toEqual({ ok: true, events: [{ type: 'granted', id: 5 }] });
    expect(q.release(1)).toEqual([{ type: 'granted', id: 3 }]);
    expect([q.active, q.waiting]).toEqual([3, 0]);
    // Without a group, only the owner counts.
    expect(q.request(6, 's6')).toEqual({ ok: true, events: [{ type: 'granted', id: 6 }] });
  });

  it('checks its options', () => {
    expect(checkQueueOptions({ slots: 0 })).toMatch(/≥ 1/);
    expect(checkQueueOptions({ slots: 1.5 })).toMatch(/whole number/);
    expect(checkQueueOptions({ maxWaiting: -1 })).toMatch(/≥ 0/);
    expect(checkQueueOptions({ slots: 3, maxWaiting: 0 })).toBeUndefined();
    expect(() => new UploadQueue({ slots: 0 })).toThrow(RangeError);
  });

  it('property: against a simple model, slots are never exceeded, order is FIFO, positions are told', () => {
    type Op = { kind: 'request'; owner: number } | { kind: 'release'; pick: number } | { kind: 'owner'; owner: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('request' as const), owner: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('owner' as const), owner: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (slots, ops) => {
        const q = new UploadQueue<number, number>({ slots, maxWaiting: 1000 });
        const model = { active: [] as number[], waiting: [] as number[], owner: new Map<number, number>() };
        const told = new Map<number, number | 'granted'>();
        let nextId = 1;
        for (const o of ops) {
          let events;
          if (o.kind === 'request') {
            const id = nextId++;
            const r = q.request(id, o.owner);
            if (!r.ok) throw new Error(r.message);
            events = r.events;
            model.owner.set(id, o.owner);
            if (model.active.length < slots) model.active.push(id);
            else model.waiting.push(id);
          } else {
            const all = [...model.active, ...model.waiting];
            const gone =
              o.kind === 'release'
                ? all.length === 0
                  ? []
                  : [all[o.pick % all.length] as number]
                : all.filter((id) => model.owner.get(id) === o.owner);
            events = o.kind === 'release' ? (gone[0] === undefined ? [] : q.release(gone[0])) : q.releaseOwner(o.owner);
            model.active = model.active.filter((id) => !gone.includes(id));
            model.waiting = model.waiting.filter((id) => !gone.includes(id));
            for (const id of gone) told.delete(id);
            while (model.active.length < slots && model.waiting.length > 0) model.active.push(model.waiting.shift() as number);
          }
          for (const e of events) told.set(e.id, e.type === 'granted' ? 'granted' : e.position);
          expect(q.active).toBe(model.active.length);
          expect(q.active).toBeLessThanOrEqual(slots);
          for (const id of model.active) expect(told.get(id)).toBe('granted');
          model.waiting.forEach((id, i) => {
            expect(q.positionOf(id)).toBe(i + 1);
            expect(told.get(id)).toBe(i + 1); // every waiter knows its current position
          });
        }
      }),
    );
  });
});
