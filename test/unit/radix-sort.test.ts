import { expect } from 'chai';
import fc from 'fast-check';
import { float64Key, RadixSorter } from '../../core/radix-sort.js';

describe('RadixSorter', () => {
  it('orders like a stable comparison sort, for numbers of any sign and size', () => {
    const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -5, max: 5 }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), (values) => {
        const n = values.length;
        const hi = new Uint32Array(n);
        const lo = new Uint32Array(n);
        values.forEach((v, i) => float64Key(v, i, hi, lo));
        const perm = Uint32Array.from(values, (_, i) => i);
        new RadixSorter().sort(perm, n, [hi, lo]);
        const expected = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
        // Stable: equal values (-0 and 0 included) keep their input order.
        expect([...perm]).to.deep.equal(expected);
      }),
    );
  });
});
