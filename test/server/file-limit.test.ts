import { describe, expect, it } from 'vitest';
import { MIN_DEFAULT_MAX_CONNECTIONS, RESERVED_FILE_DESCRIPTORS } from '../../src/server/constants.ts';
import { defaultMaxConnections, maxConnectionsFor, softOpenFileLimit } from '../../src/server/file-limit.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            300                  524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('the default of --max-connections', () => {
  it('reads the soft open-file limit from /proc/<pid>/limits text', () => {
    expect(softOpenFileLimit(LIMITS)).toBe(300);
    expect(softOpenFileLimit(LIMITS.replace('300 ', 'unlimited'))).toBeUndefined();
    expect(softOpenFileLimit('nothing here')).toBeUndefined();
  });

  it('keeps descriptors for the server itself, and never goes below the floor', () => {
    expect(maxConnectionsFor(300)).toBe(300 - RESERVED_FILE_DESCRIPTORS);
    expect(maxConnectionsFor(20)).toBe(MIN_DEFAULT_MAX_CONNECTIONS);
  });

  it("derives this process's cap, saying where the limit came from", () => {
    const { maxConnections, source } = defaultMaxConnections();
    expect(maxConnections).toBe(maxConnectionsFor(source.openFileLimit));
    if (process.platform === 'linux') expect(source.from).toBe('/proc/self/limits');
  });
});
