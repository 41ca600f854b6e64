import { type DigestChallenge, type DigestSession, parseAuthParams, parseDigestChallenge } from '../soap/http-digest.js';
import type { HttpAnswer } from './http-request.js';
import { OnvifError } from './onvif-error.js';

/**
 * The HTTP Digest challenge and retry (RFC 7616) written once, for every HTTP exchange with a
 * camera: SOAP calls (soap-client.ts) and snapshot GETs (snapshot-fetcher.ts). Live video does
 * not come here: ffmpeg answers RTSP's own Digest challenge (RFC 2326 §D.2) itself.
 *
 * Hand-written on purpose (issue 15): the npm helpers are not fit for a camera that may be
 * hostile or broken. `digest-header` 1.1.0 knows MD5 only, keeps one nonce count for the whole
 * process, splits the challenge on commas (a realm "a, b" breaks it) and a password on ':';
 * `digest-fetch` 3.1.1 wraps `fetch`, so it cannot use our transport with its byte cap,
 * whole-exchange timeout and per-camera agent (http-request.ts). Hashing and the header syntax
 * stay in soap/http-digest.ts; this module is the flow and the checks on what a camera sends.
 */

/** Longest challenge we read (characters). Real cameras send ~100-300; Node already cuts all headers at 16 KiB. */
export const MAX_CHALLENGE_CHARS = 4096;

/** The algorithms we can answer (RFC 7616 §3.2: SHA-256, and MD5 for backward compatibility). */
const SUPPORTED_ALGORITHMS = ['MD5', 'SHA-256'];

/** A Digest challenge we can answer, or why not (in words for the error message). */
export type ChallengeVerdict = { challenge: DigestChallenge } | { problem: string };

/**
 * Picks the challenge to answer from a 401's WWW-Authenticate field(s). A camera may offer
 * several (RFC 7235 §4.1: one field or many, comma-joined by Node); RFC 7616 §3.7 lists them
 * most preferred first and the client takes the first it supports. Refused, with a reason:
 * none offered, one over MAX_CHALLENGE_CHARS, no realm or nonce, only algorithms or qop values
 * we cannot compute (answering a SHA-512-256 or auth-int challenge with MD5 would only fail).
 */
export function chooseChallenge(header: string | string[] | undefined): ChallengeVerdict {
  const fields = Array.isArray(header) ? header : header !== undefined ? [header] : [];
  const digests = fields.flatMap(splitChallenges).filter((c) => /^digest(\s|$)/i.test(c));
  if (digests.length === 0) return { problem: fields.length === 0 ? 'no WWW-Authenticate challenge' : 'no Digest challenge (only other schemes)' };
  const problems: string[] = [];
  for (const raw of digests) {
    if (raw.length > MAX_CHALLENGE_CHARS) {
      problems.push(`a Digest challenge of ${raw.length} characters (more than ${MAX_CHALLENGE_CHARS})`);
      continue;
    }
    const params = parseAuthParams(raw.replace(/^digest\s*/i, ''));
    const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
    if (!SUPPORTED_ALGORITHMS.includes(algorithm)) {
      problems.push(`Digest algorithm ${printable(params.algorithm ?? '')} (we answer ${SUPPORTED_ALGORITHMS.join(' or ')})`);
      continue;
    }
    if (params.qop !== undefined && !params.qop.split(',').some((q) => q.trim().toLowerCase() === 'auth')) {
      problems.push(`Digest qop ${printable(params.qop)} without "auth" (auth-int is not supported)`);
      continue;
    }
    if (!params.realm || !params.nonce) {
      problems.push(`a Digest challenge without ${!params.realm ? 'realm' : 'nonce'}`);
      continue;
    }
    const challenge = parseDigestChallenge(raw);
    if (challenge) return { challenge };
    problems.push('an unreadable Digest challenge');
  }
  return { problem: problems.join('; ') };
}

export interface DigestExchangeOptions {
  /** The camera's digest state (kept between calls so later requests pass at once), or undefined when Digest is not used. */
  session: DigestSession | undefined;
  method: 'GET' | 'POST';
  /** The request-target as sent (path and query), which the response hash covers (RFC 7616 §3.4.6). */
  uri: string;
  /** Sends the request once, with this Authorization header if any. */
  send: (authorization: string | undefined) => Promise<HttpAnswer>;
  /** The camera and what was asked, for the error message ("cam-3 snapshot"). */
  where: string;
}

/**
 * Sends, and on a 401 with a Digest challenge sends once more with the answer. At most one
 * retry per exchange (first contact, or a stale nonce, RFC 7616 §3.3): a second 401 is a wrong
 * password, and retrying would only lock the account. Rejects E_ONVIF_AUTH on a final 401,
 * naming why when the challenge was the problem; any other answer is the caller's to judge.
 */
export async function sendWithDigest(o: DigestExchangeOptions): Promise<HttpAnswer> {
  let answer = await o.send(o.session?.authorization(o.method, o.uri));
  if (answer.status !== 401) return answer;
  let why = '';
  if (o.session) {
    const verdict = chooseChallenge(answer.headers['www-authenticate']);
    if ('challenge' in verdict) {
      o.session.accept(verdict.challenge);
      answer = await o.send(o.session.authorization(o.method, o.uri));
      if (answer.status !== 401) return answer;
    } else why = `; the camera sent ${verdict.problem}`;
    o.session.forget();
  }
  throw new OnvifError('E_ONVIF_AUTH', `${o.where} refused the credentials (HTTP 401)${why}`, { where: o.where });
}

/**
 * Splits one WWW-Authenticate field into its challenges: a new challenge starts after a comma
 * outside quotes that is followed by `scheme param=` (RFC 7235 §4.1, §2.1). One linear scan, so a
 * long hostile header costs its length, not its square.
 */
export function splitChallenges(field: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < field.length; i++) {
    const ch = field[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' && /^\s*[A-Za-z][\w!#$%&'*+.^`|~-]*\s+[\w!#$%&'*+.^`|~-]+\s*=/.test(field.slice(i + 1, i + 200))) {
      out.push(field.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(field.slice(start).trim());
  return out.filter((c) => c !== '');
}

/** A camera's word in our message: printable ASCII only, at most 40 characters. */
function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return `"${clean.length > 40 ? `${clean.slice(0, 40)}…` : clean}"`;
}
