import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransferTable } from '../../src/files/transfer-table.ts';

describe('TransferTable', () => {
  it('gives unique ids and bounds downloads per owner (4 by default)', () => {
    const t = new TransferTable<string, string>();
    const ids = [1, 2, 3, 4].map((i) => t.add('alice', 'download', `f${i}`));
    expect(ids.map((r) => r.ok && r.id)).toEqual([1, 2, 3, 4]);
    expect(t.add('alice', 'download', 'f5')).toEqual({ ok: false, message: 'at most 4 downloads at once; wait for one to finish' });
    expect(t.add('bob', 'download', 'g1')).toEqual({ ok: true, id: 5 });
    expect(t.add('alice', 'upload', 'u1')).toEqual({ ok: true, id: 6 }); // other kinds: no limit
    expect(t.count('alice')).toBe(5);
    t.delete(2);
    expect(t.add('alice', 'download', 'f5')).toEqual({ ok: true, id: 7 });
  });

  it('lets an owner see only its own transfers', () => {
    const t = new TransferTable<string, string>();
    const r = t.add('alice', 'download', 'x');
    if (!r.ok) throw new Error(r.message);
    expect(t.getOwned(r.id, 'alice')?.value).toBe('x');
    expect(t.getOwned(r.id, 'bob')).toBeUndefined();
    expect(t.getOwned(999, 'alice')).toBeUndefined();
  });

  it('hands back everything of an owner that goes away', () => {
    const t = new TransferTable<string, number>({ download: 2 });
    t.add('alice', 'download', 1);
    t.add('bob', 'upload', 2);
    t.add('alice', 'sendfile', 3);
    expect(t.removeOwner('alice').map((e) => [e.kind, e.value])).toEqual([
      ['download', 1],
      ['sendfile', 3],
    ]);
    expect(t.size).toBe(1);
    expect(t.removeOwner('alice')).toEqual([]);
  });

  it('wraps ids at 2^32 − 1 and skips those in use', () => {
    const t = new TransferTable<string, number>({});
    (t as unknown as { nextId: number }).nextId = 0xffff_fffe;
    const a = t.add('x', 'upload', 0);
    const b = t.add('x', 'upload', 0);
    const c = t.add('x', 'upload', 0);
    expect([a, b, c].map((r) => r.ok && r.id)).toEqual([0xffff_fffe, 0xffff_ffff, 1]);
    (t as unknown as { nextId: number }).nextId = 0xffff_fffe;
    expect(t.add('x', 'upload', 0)).toEqual({ ok: true, id: 2 });
  });

  it('keeps its per-owner index equal to the table under any sequence of adds, deletes and departures', () => {
    const owner = fc.constantFrom('alice', 'bob', 'carol');
    const kind = fc.constantFrom('download' as const, 'upload' as const, 'sendfile' as const);
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), owner, kind }),
      fc.record({ op: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ op: fc.constant('leave' as const), owner }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = new TransferTable<string, number>();
        for (const [i, o] of ops.entries()) {
          if (o.op === 'add') t.add(o.owner, o.kind, i);
          else if (o.op === 'delete') t.delete(o.id);
          else t.removeOwner(o.owner);
          const all = t.all();
          for (const who of ['alice', 'bob', 'carol']) {
            expect(t.list(who)).toEqual(all.filter((e) => e.owner === who));
            expect(t.count(who, 'download')).toBe(all.filter((e) => e.owner === who && e.kind === 'download').length);
          }
          expect(new Set(t.owners())).toEqual(new Set(all.map((e) => e.owner)));
        }
      }),
    );
  });
});
