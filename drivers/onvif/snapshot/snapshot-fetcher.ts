import type http from 'node:http';
import { DigestSession } from '../soap/http-digest.js';
import { sendWithDigest } from '../transport/digest-retry.js';
import { httpRequest } from '../transport/http-request.js';
import { OnvifError } from '../transport/onvif-error.js';

export interface SnapshotFetcherOptions {
  where: string;
  username: string;
  password: string;
  agent: http.Agent;
  timeoutMs: number;
  /** Larger pictures are refused (bytes). */
  maxBytes: number;
}

/**
 * Fetches JPEG snapshots (ONVIF Media §5.16: an HTTP GET of the snapshot URI) with HTTP Digest
 * (RFC 7616), and a size cap. Which events get a picture is snapshot-budget.ts's call.
 */
export class SnapshotFetcher {
  private readonly digest: DigestSession;

  constructor(private readonly o: SnapshotFetcherOptions) {
    this.digest = new DigestSession(o.username, o.password);
  }

  /** GETs the picture at `uri`; rejects with E_ONVIF_SNAPSHOT / E_ONVIF_TOO_LARGE / E_ONVIF_AUTH. */
  async fetch(uri: string, signal?: AbortSignal): Promise<Buffer> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch (err) {
      throw new OnvifError('E_ONVIF_SNAPSHOT', `snapshot URI of ${this.o.where} is not a URL`, { cause: err, where: this.o.where });
    }
    // Credentials in the URI (some cameras put them there) are never sent as Basic: digest only.
    url.username = '';
    url.password = '';
    const pathAndQuery = url.pathname + url.search;
    const get = (authorization: string | undefined) =>
      httpRequest({
        method: 'GET',
        url,
        headers: authorization ? { authorization } : {},
        timeoutMs: this.o.timeoutMs,
        maxBytes: this.o.maxBytes,
        agent: this.o.agent,
        signal,
        where: `${this.o.where} snapshot`,
      });
    // A final 401 (after at most one Digest retry) rejects E_ONVIF_AUTH there.
    const answer = await sendWithDigest({ session: this.digest, method: 'GET', uri: pathAndQuery, send: get, where: `${this.o.where} snapshot` });
    if (answer.status !== 200)
      throw new OnvifError('E_ONVIF_SNAPSHOT', `${this.o.where} snapshot answered HTTP ${answer.status}`, { where: `${this.o.where} snapshot` });
    const b = answer.body;
    // JPEG (ITU T.81 Annex B): starts with SOI FF D8 and ends with EOI FF D9.
    if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8 || b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) {
      throw new OnvifError(
        'E_ONVIF_SNAPSHOT',
        `${this.o.where} snapshot is not a JPEG (${b.length} bytes, content-type ${answer.headers['content-type'] ?? 'none'})`,
        { where: `${this.o.where} snapshot` },
      );
    }
    return b;
  }
}
