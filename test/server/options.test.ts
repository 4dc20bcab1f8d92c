import { describe, expect, it } from 'vitest';
import { CONNECT_TIMEOUT_MS, DEFAULT_HOST, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_TCP_PORT, DEFAULT_UDP_PORT } from '../../src/server/constants.ts';
import { checkPort, resolveServerOptions } from '../../src/server/options.ts';
import { bindError } from '../../src/server/start-error.ts';
import { SOCKET_ENGINE_CONFIG } from '../../src/udp/engine-driver.ts';

describe('resolveServerOptions', () => {
  it('fills in the defaults', () => {
    const result = resolveServerOptions({});
    expect(result).toMatchObject({
      ok: true,
      options: {
        host: DEFAULT_HOST,
        tcpPort: DEFAULT_TCP_PORT,
        udpPort: DEFAULT_UDP_PORT,
        filesDir: './files',
        logLevel: 'info',
        roomCapacity: 15,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        maxConnectionsPerAddress: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
      },
    });
  });

  it.each([
    [{ tcpPort: 65_536 }, 'tcpPort: a port is a whole number from 0 to 65535 (0: any free port), got 65536'],
    [{ udpPort: 1.5 }, 'udpPort: a port is a whole number from 0 to 65535 (0: any free port), got 1.5'],
    [{ host: ' ' }, 'host must be a non-empty address or host name'],
    [{ filesDir: '' }, 'filesDir must be a non-empty path'],
    [{ logLevel: 'loud' as never }, 'logLevel must be one of fatal, error, warn, info, debug, trace, silent; got loud'],
    [{ roomCapacity: 0 }, 'roomCapacity must be a whole number from 1 to 100000, got 0'],
    [{ connectTimeoutMs: 0 }, 'connectTimeoutMs must be a positive whole number, got 0'],
    [{ maxPendingWriteBytes: -5 }, 'maxPendingWriteBytes must be a positive whole number, got -5'],
    [{ maxConnectionsPerAddress: 0 }, 'maxConnectionsPerAddress must be a positive whole number, got 0'],
    [{ maxConnections: 0 }, 'maxConnections must be a positive whole number, got 0'],
    [{ files: { uploadSlots: 0 } }, 'uploadSlots must be a whole number ≥ 1, got 0'],
    [{ files: { maxUploadBytes: -1 } }, 'the upload limit must be a whole number of bytes ≥ 0, got -1'],
    [{ files: { uploadTypes: ['exe!'] } }, '"exe!" is not a file type; write extensions such as .txt or pdf'],
  ])('refuses %o with a message naming the option', (options, message) => {
    expect(resolveServerOptions(options)).toEqual({ ok: false, message });
  });

  it('fills in the file limits and takes the ones given', () => {
    expect(resolveServerOptions({})).toMatchObject({
      ok: true,
      options: { files: { maxUploadBytes: 3 * 1024 * 1024, uploadTypes: ['.txt', '.pdf', '.jpg', '.png', '.gif', '.webp', '.bmp'], uploadSlots: 5 } },
    });
    expect(resolveServerOptions({ files: { uploadTypes: ['TXT', '.md'], uploadSlots: 2 } })).toMatchObject({
      ok: true,
      options: { files: { uploadTypes: ['.txt', '.md'], uploadSlots: 2 } },
    });
  });

  it('lays engine options over the socket engine config and checks them', () => {
    const result = resolveServerOptions({ engine: { idleTimeoutMs: 2_000, keepaliveIntervalMs: 500 } });
    expect(result).toMatchObject({ ok: true, options: { engine: { ...SOCKET_ENGINE_CONFIG, idleTimeoutMs: 2_000, keepaliveIntervalMs: 500 } } });
    expect(resolveServerOptions({})).toMatchObject({ ok: true, options: { engine: SOCKET_ENGINE_CONFIG } });
    const bad = resolveServerOptions({ engine: { idleTimeoutMs: -1, keepaliveIntervalMs: 5_000 } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^engine: .*idleTimeoutMs must be a number in/);
  });

  it('accepts port 0 and 65535', () => {
    expect(checkPort('tcpPort', 0)).toBeUndefined();
    expect(checkPort('tcpPort', 65_535)).toBeUndefined();
    expect(checkPort('tcpPort', '80')).toMatch(/whole number/);
  });
});

describe('bindError', () => {
  it('says what could not be bound and why, in one line', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(bindError('TCP', '0.0.0.0', 5000, inUse).message).toBe(
      'cannot listen on TCP 0.0.0.0:5000: the port is already in use (is another server running?) [EADDRINUSE]',
    );
    const denied = Object.assign(new Error('bind EACCES'), { code: 'EACCES' });
    expect(bindError('UDP', '::1', 53, denied).message).toBe(
      'cannot listen on UDP [::1]:53: permission denied (ports below 1024 need privileges) [EACCES]',
    );
    expect(bindError('TCP', 'h', 1, new Error('odd')).message).toBe('cannot listen on TCP h:1: odd');
  });
});
