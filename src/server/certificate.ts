// A self-signed certificate for a quick start (`dualchat cert`): an ECDSA P-256 key from WebCrypto
// (node:crypto) and an X.509 certificate made with @peculiar/x509 — no shelling out to tools the machine
// may lack. Valid for the names asked (DNS names or IP addresses); clients trust it with `--ca cert.pem`.
import 'reflect-metadata';
import net from 'node:net';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SELF_SIGNED_VALID_DAYS } from './constants.ts';

export interface PemPair {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS #8 PEM: keep it secret. */
  key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** The generator's parameters (its WebCrypto types are the DOM's, not node's: one cast here). */
type SelfSignedParams = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0];

/** The names a quick-start certificate covers: the one asked, and this machine's loopback names. */
export function certificateNames(name: string | undefined): string[] {
  return [...new Set([...(name === undefined ? [] : [name]), 'localhost', '127.0.0.1', '::1'])];
}

/** A new key and a self-signed certificate for `names` (the first is its subject), valid from `now`. */
export async function selfSignedCertificate(names: readonly string[], now: Date): Promise<PemPair> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const subject = names[0] ?? 'localhost';
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    // RFC 5280 §4.1.2.2: positive, at most 20 octets; random so two certificates never share one.
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: `CN=${subject.replace(/[,+="\\<>;#]/g, '')}`,
    notBefore: now,
    notAfter: new Date(now.getTime() + SELF_SIGNED_VALID_DAYS * DAY_MS),
    keys: keys as unknown as SelfSignedParams['keys'],
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((n) => (net.isIP(n) === 0 ? { type: 'dns' as const, value: n } : { type: 'ip' as const, value: n }))),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { cert: `${cert.toString('pem')}\n`, key };
}
