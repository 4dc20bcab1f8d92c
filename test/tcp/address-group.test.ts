import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressGroup } from '../../src/tcp/address-group.ts';

describe('addressGroup: what the per-address connection limit counts', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:db8:1:2::5.6.7.8', '2001:db8:1:2::/64'],
  ])('%s counts as %s', (address, group) => {
    expect(addressGroup(address)).toBe(group);
  });

  it('every address of one IPv6 /64 counts as one; another /64 does not', () => {
    const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    fc.assert(
      fc.property(fc.array(hextet, { minLength: 4, maxLength: 4 }), fc.array(hextet, { minLength: 4, maxLength: 4 }), (low1, low2) => {
        const a = ['2001', 'db8', 'aa', 'bb', ...low1].join(':');
        const b = ['2001', 'db8', 'aa', 'bb', ...low2].join(':');
        const other = ['2001', 'db8', 'aa', 'bc', ...low1].join(':');
        expect(addressGroup(a)).toBe(addressGroup(b));
        expect(addressGroup(other)).not.toBe(addressGroup(a));
      }),
    );
  });

  it('leaves what is not an address it knows as it is (counted alone)', () => {
    expect(addressGroup('1:2:3')).toBe('1:2:3');
    expect(addressGroup('zz::1')).toBe('zz::1');
  });
});
