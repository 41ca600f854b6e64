import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';

/** Secrets the UI stores are handed to the gateway as environment variables with this prefix. */
export const SECRET_ENV_PREFIX = 'GRIDGATE_SECRET_';
const SECRET_NAME = /^[A-Z0-9_]{1,100}$/;

interface SealedValue {
  /** AES-256-GCM (NIST SP 800-38D): 12-byte IV, 16-byte tag, base64. */
  iv: string;
  tag: string;
  data: string;
  at: string;
}

/**
 * Camera and broker passwords entered in the UI, encrypted at rest with AES-256-GCM. The key is
 * a separate file outside the configuration and the data folder (e.g. /etc/gridgate/secret.key,
 * 0600), made at first use. The configuration only ever holds `{ env: GRIDGATE_SECRET_NAME }`;
 * the gateway gets the values through `env()`. Values are write-only: nothing returns them to
 * a client.
 */
export class SecretStore {
  private key: Buffer | undefined;
  private values: Record<string, SealedValue> = {};

  constructor(private readonly o: { file: string; keyFile: string }) {}

  open(): void {
    if (existsSync(this.o.keyFile)) {
      this.key = Buffer.from(readFileSync(this.o.keyFile, 'utf8').trim(), 'base64');
      if (this.key.length !== 32) throw new Error(`secret key ${this.o.keyFile} is not 32 bytes of base64`);
    } else {
      mkdirSync(dirname(this.o.keyFile), { recursive: true, mode: 0o700 });
      this.key = randomBytes(32);
      writeFileAtomic(this.o.keyFile, `${this.key.toString('base64')}\n`, 0o600);
    }
    if (existsSync(this.o.file)) this.values = JSON.parse(readFileSync(this.o.file, 'utf8')) as Record<string, SealedValue>;
  }

  /** Stores (or replaces) a secret; returns its environment variable name. */
  set(name: string, value: string): string {
    if (!SECRET_NAME.test(name)) throw new Error('secret names are upper-case letters, digits and _');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.requireKey(), iv);
    cipher.setAAD(Buffer.from(name));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    this.values[name] = { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64'), at: new Date().toISOString() };
    this.save();
    return SECRET_ENV_PREFIX + name;
  }

  delete(name: string): void {
    if (!(name in this.values)) return;
    delete this.values[name];
    this.save();
  }

  /** Names and when each was set; never the values. */
  list(): Array<{ name: string; env: string; at: string }> {
    return Object.entries(this.values).map(([name, v]) => ({ name, env: SECRET_ENV_PREFIX + name, at: v.at }));
  }

  /** The decrypted secrets as environment variables, for the gateway only. */
  env(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(this.values)) {
      const decipher = createDecipheriv('aes-256-gcm', this.requireKey(), Buffer.from(v.iv, 'base64'));
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(Buffer.from(v.tag, 'base64'));
      out[SECRET_ENV_PREFIX + name] = Buffer.concat([decipher.update(Buffer.from(v.data, 'base64')), decipher.final()]).toString('utf8');
    }
    return out;
  }

  private save(): void {
    mkdirSync(dirname(this.o.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.o.file, `${JSON.stringify(this.values, null, 2)}\n`, 0o600);
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error('secret store not opened');
    return this.key;
  }
}

/** The secret name for a place in the configuration: devices cam-031 password → DEV_CAM_031_PASSWORD. */
export function secretNameFor(path: string[]): string {
  return path
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100);
}
