// What `dualchat cert` does: make a self-signed pair (src/server/certificate.ts) and write it — each file
// to a temporary name in the same directory, then renamed, so a reader never sees half a key; the key
// readable by its owner only (0600) from its creation. An existing pair is left alone.
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { certificateNames, selfSignedCertificate } from '../server/certificate.ts';
import { messageOf } from '../server/start-error.ts';
import type { CertFlags } from './cert.ts';

const CERT_FILE = 'cert.pem';
const KEY_FILE = 'key.pem';
const CERT_MODE = 0o644;
const KEY_MODE = 0o600;

/** Writes `text` to `file` through a temporary name in the same directory; refuses to replace a file. */
async function writeNew(file: string, text: string, mode: number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL with the final mode: the key is never readable by others, not even for a moment.
  const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // link + unlink: unlike rename, link fails when the name is taken (a pair written meanwhile survives).
    await fs.link(temp, file);
  } finally {
    // Whatever happened, the temporary name goes (the file stays under its own name if linked).
    await fs.unlink(temp).catch(() => undefined);
  }
}

/** Exit status: 0 written, 1 not (the reason on `fail`). */
export async function runCert(flags: CertFlags, say: (line: string) => void, fail: (line: string) => void): Promise<number> {
  const dir = path.resolve(flags.out);
  const certPath = path.join(dir, CERT_FILE);
  const keyPath = path.join(dir, KEY_FILE);
  try {
    await fs.mkdir(dir, { recursive: true });
    for (const file of [certPath, keyPath]) {
      const exists = await fs.stat(file).then(
        () => true,
        () => false,
      );
      if (exists) {
        fail(`${file} already exists; remove it or choose another --out`);
        return 1;
      }
    }
    const names = certificateNames(flags.name);
    const pair = await selfSignedCertificate(names, new Date());
    await writeNew(keyPath, pair.key, KEY_MODE);
    await writeNew(certPath, pair.cert, CERT_MODE);
    say(`wrote ${certPath} and ${keyPath} (0600) for ${names.join(', ')}`);
    say(`server: dualchat server --tls-cert ${certPath} --tls-key ${keyPath}`);
    say(`client: dualchat client --tls --ca ${certPath}${flags.name === undefined ? '' : ` --host ${flags.name}`}`);
    return 0;
  } catch (error) {
    fail(`cannot write the certificate into ${dir}: ${messageOf(error)}`);
    return 1;
  }
}
