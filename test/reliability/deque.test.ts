import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deque } from '../../src/reliability/deque.ts';

describe('Deque', () => {
  it('matches an array under random push/shift', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 300 }), (ops) => {
        const d = new Deque<number>(4);
        const ref: number[] = [];
        for (const op of ops) {
          if (op === null) {
            if (d.shift() !== ref.shift()) return false;
          } else {
            d.push(op);
            ref.push(op);
          }
          if (d.length !== ref.length || d.peek() !== ref[0]) return false;
        }
        for (let i = 0; i < ref.length; i++) if (d.get(i) !== ref[i]) return false;
        return d.get(ref.length) === undefined && d.get(-1) === undefined;
      }),
    );
  });
});
