// A bad port reads the same wherever it is typed: server ports, the client's --tcp, HOST:PORT flags,
// and the library's options.
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
