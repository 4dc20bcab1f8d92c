// A throw-away self-signed certificate for 127.0.0.1, made with the openssl command at test time, so the
// transport-factory tests can run a real TLS handshake through the seams independently of dualchat's own
// certificate code (src/server/certificate.ts, used by the TLS e2e tests). Undefined when openssl is not
// there: those tests are skipped, and say so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Certificate {
  key: string;
  cert: string;
}

let made: Certificate | undefined | null = null;

/** A key and a certificate valid for IP 127.0.0.1 (made once per test process), or undefined. */
export function localhostCertificate(): Certificate | undefined {
  if (made !== null) return made;
  const dir = mkdtempSync(path.join(tmpdir(), 'dualchat-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'ignore', timeout: 10_000 },
    );
    made = { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } catch {
    made = undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return made;
}
