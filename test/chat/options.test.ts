import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB_OPTIONS, Hub } from '../../src/chat/hub.ts';
import { resolveHubOptions } from '../../src/chat/options.ts';

describe('hub options', () => {
  it('defaults to capacity 15, lobby, 4096 characters', () => {
    expect(DEFAULT_HUB_OPTIONS).toEqual({ roomCapacity: 15, defaultRoom: 'lobby', maxTextLength: 4096, rateLimit: 20, rateBurst: 40, listReplyBytes: 8192 });
    expect(resolveHubOptions()).toEqual({ ok: true, options: DEFAULT_HUB_OPTIONS });
  });

  it('fills in missing fields and canonicalises the default room', () => {
    expect(resolveHubOptions({ defaultRoom: '#Main', roomCapacity: 3 })).toEqual({
      ok: true,
      options: { roomCapacity: 3, defaultRoom: 'main', maxTextLength: 4096, rateLimit: 20, rateBurst: 40, listReplyBytes: 8192 },
    });
  });

  it.each([
    [{ roomCapacity: 0 }, 'roomCapacity'],
    [{ roomCapacity: 2.5 }, 'roomCapacity'],
    [{ roomCapacity: Number.NaN }, 'roomCapacity'],
    [{ maxTextLength: -1 }, 'maxTextLength'],
    [{ maxTextLength: 1e9 }, 'maxTextLength'],
    [{ listReplyBytes: 1023 }, 'listReplyBytes'],
    [{ listReplyBytes: 64 * 1024 + 1 }, 'listReplyBytes'],
    [{ defaultRoom: 'two words' }, 'defaultRoom'],
    [{ defaultRoom: '' }, 'defaultRoom'],
  ])('refuses %j with a message naming %s; the constructor throws RangeError', (options, field) => {
    const result = resolveHubOptions(options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(field);
    expect(() => new Hub(options)).toThrow(RangeError);
  });
});
