import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';

/** Crockford base32 without I, L, O, U: nothing to misread on a phone at night. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time code of 12 characters (60 bits), compared without its dashes. */
export function newSetupCode(): { code: string; display: string } {
  let code = '';
  for (let i = 0; i < 12; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return { code, display: code.match(/.{4}/g)!.join('-') };
}

const KEPT = /^[0-9A-HJKMNP-TV-Z]{12}$/;

/**
 * The one-time setup code kept in a file (mode 0600) until the first administrator exists
 * (issue 17: a code made per process was printed anew at every restart, so the journal held
 * several and `grep setup` could not tell which one held). A restart reads the same code back;
 * setup deletes the file. Removing the file while no user exists rotates the code.
 */
export class SetupCodeFile {
  constructor(readonly path: string) {}

  /** The kept code, or a new one written to the file; `fresh` says it was made now (print it). */
  obtain(): { code: string; display: string; fresh: boolean } {
    let kept = '';
    try {
      kept = readFileSync(this.path, 'utf8').trim().toUpperCase().replace(/-/g, '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A file that is not a code (truncated, edited) is replaced, as a missing one is.
    if (KEPT.test(kept)) return { code: kept, display: kept.match(/.{4}/g)!.join('-'), fresh: false };
    const made = newSetupCode();
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path, `${made.display}\n`, 0o600);
    return { ...made, fresh: true };
  }

  /** Setup is done (or users exist already): the code is gone for good. */
  remove(): void {
    rmSync(this.path, { force: true });
  }
}
