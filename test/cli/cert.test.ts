// `dualchat cert`: a pair that a TLS server and client accept, the key readable by its owner only, and
// an existing pair never overwritten; the server's TLS options checked before anything is opened.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runCert } from '../../src/cli/cert-run.ts';
import { resolveServerOptions } from '../../src/server/options.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'dualchat-cert-'));
  dirs.push(d);
  return d;
}

describe('dualchat cert', () => {
  it('writes a certificate for the name and loopback, and its key 0600, with no temporary file left', async () => {
    const out = path.join(await tempDir(), 'tls');
    const said: string[] = [];
    const code = await runCert({ out, name: 'chat.example.org' }, (l) => said.push(l), (l) => said.push(`FAIL ${l}`));
    expect(code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['cert.pem', 'key.pem']);
    expect((await stat(path.join(out, 'key.pem'))).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(await readFile(path.join(out, 'cert.pem')));
    expect(cert.subjectAltName).toContain('DNS:chat.example.org');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.checkHost('chat.example.org')).toBe('chat.example.org');
    // The pair goes together in a TLS context.
    const key = await readFile(path.join(out, 'key.pem'), 'utf8');
    expect(() => tls.createSecureContext({ cert: cert.toString(), key })).not.toThrow();
    expect(said.join('\n')).toContain('--tls-cert');
  });

  it('refuses to overwrite an existing pair', async () => {
    const out = await tempDir();
    await writeFile(path.join(out, 'key.pem'), 'mine');
    const failures: string[] = [];
    expect(await runCert({ out }, () => {}, (l) => failures.push(l))).toBe(1);
    expect(failures[0]).toMatch(/key\.pem already exists/);
    expect(await readFile(path.join(out, 'key.pem'), 'utf8')).toBe('mine');
  });
});

describe('the server’s TLS options', () => {
  it.each([
    [{ tlsPort: 6697 }, 'tlsPort needs a certificate and key (--tls-cert, --tls-key)'],
    [{ requireTls: true }, 'requireTls needs a certificate and key (--tls-cert, --tls-key)'],
    [{ tls: { cert: 'c', key: 'k' }, tlsPort: 70_000 }, 'tlsPort: a port is a whole number from 0 to 65535 (0: any free port), got 70000'],
  ])('%o is refused', (options, message) => {
    expect(resolveServerOptions(options)).toEqual({ ok: false, message });
  });
});
