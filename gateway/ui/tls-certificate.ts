import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeFileAtomic } from '../core/atomic-file.js';

export interface TlsMaterial {
  key: string;
  cert: string;
  /** SHA-256 of the certificate (DER), to compare with what the browser shows. */
  fingerprint: string;
}

/**
 * The UI's HTTPS certificate: made once at first start (self-signed, 10 years: the box has no
 * internet to renew anything), kept in `dir` (0600), reused afterwards. The fingerprint is
 * printed at start so a technician can check it against the browser's warning page.
 */
export async function ensureSelfSignedCertificate(dir: string, names: { hosts: string[]; ips: string[] }): Promise<TlsMaterial> {
  const keyFile = join(dir, 'ui-tls.key');
  const certFile = join(dir, 'ui-tls.crt');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: names.hosts[0] ?? 'gridgate' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + 10 * 365 * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [...names.hosts.map((h) => ({ type: 2 as const, value: h })), ...names.ips.map((ip) => ({ type: 7 as const, ip }))],
        },
      ],
    });
    writeFileAtomic(keyFile, pems.private, 0o600);
    writeFileAtomic(certFile, pems.cert, 0o644);
  }
  const cert = readFileSync(certFile, 'utf8');
  const der = Buffer.from(cert.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const fingerprint = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
  return { key: readFileSync(keyFile, 'utf8'), cert, fingerprint };
}
