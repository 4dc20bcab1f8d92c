// A bad port reads the same wherever it is typed: server ports, the client's --tcp, HOST:PORT flags,
// and the library's options.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../src/cli/endpoint.ts';
import { parsePortFlag } from '../../src/client/flags.ts';
import { checkPort } from '../../src/server/options.ts';

const WORDING = /a port is a whole number from [01] to 65535( \(0: any free port\))?, got /;

describe('one wording for a bad port', () => {
  it.each(['99999', '-1', 'http', '1.5', ''])('%j', (bad) => {
    const endpoint = parseEndpoint(`127.0.0.1:${bad}`, undefined);
    expect(typeof endpoint === 'string' ? endpoint : '').toMatch(WORDING);
    const flag = parsePortFlag(bad);
    expect(flag.ok ? '' : flag.message).toMatch(WORDING);
  });

  it('0 is any free port for a server, never a port to connect to', () => {
    expect(parseEndpoint('0', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parsePortFlag('0')).toEqual({ ok: false, message: 'a port is a whole number from 1 to 65535, got "0"' });
    expect(checkPort('tcpPort', 70_000)).toMatch(/^tcpPort: a port is a whole number from 0 to 65535 \(0: any free port\), got 70000$/);
  });
});

describe('--port, a habit from other programs', () => {
  const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

  it('the server says which flags it has instead (not commander\'s guess, "--host?")', () => {
    const r = run('server', '--port', '6100');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('there is no --port: the TCP control port is --tcp 6100, the UDP data port --udp PORT.');
    expect(r.stderr).not.toContain('--host');
  });

  it('the client takes it as --tcp, with the same check', () => {
    const r = run('client', '--port', '0', '--json');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(WORDING);
    const refused = run('client', '--port', '1', '--name', 'x', '--json');
    expect(refused.stderr).toContain('connection refused by 127.0.0.1:1');
    const bad = run('client', '--udp-retry', '-5', '--json');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('a whole number of seconds from 0 (never) to 600');
  });
});
