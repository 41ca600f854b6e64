import http from 'node:http';
import { OnvifError } from './onvif-error.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequestOptions {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  /** Whole-exchange limit: connect, send, wait, read (ms). */
  timeoutMs: number;
  /** The body is cut off and the request fails past this many bytes. */
  maxBytes: number;
  agent?: http.Agent;
  signal?: AbortSignal;
  /** Names the camera in error messages (never includes credentials). */
  where: string;
}

/**
 * One HTTP exchange with hard limits. We do not use the `onvif` package's transport: its
 * socket timeout defaults to 120 s and it buffers any size; one dead camera must cost a
 * bounded time and memory (issue 4, "Scale").
 */
export function httpRequest(o: HttpRequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      reject(new OnvifError('E_ONVIF_ABORTED', `request to ${o.where} cancelled`, { where: o.where }));
      return;
    }
    let settled = false;
    const finish = (err: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer!);
    };
    const headers: Record<string, string> = { ...o.headers };
    if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = http.request(
      { method: o.method, hostname: o.url.hostname, port: o.url.port || 80, path: o.url.pathname + o.url.search, headers, agent: o.agent },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const declared = Number(res.headers['content-length'] ?? 0);
        if (declared > o.maxBytes) {
          finish(new OnvifError('E_ONVIF_TOO_LARGE', `answer from ${o.where} declares ${declared} bytes, over the ${o.maxBytes}-byte cap`, { where: o.where }));
          return;
        }
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > o.maxBytes) {
            finish(new OnvifError('E_ONVIF_TOO_LARGE', `answer from ${o.where} exceeded the ${o.maxBytes}-byte cap`, { where: o.where }));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => finish(unreachable(o.where, err)));
      },
    );
    const timer = setTimeout(
      () => finish(new OnvifError('E_ONVIF_TIMEOUT', `${o.where} did not answer in ${o.timeoutMs} ms`, { where: o.where })),
      o.timeoutMs,
    );
    const onAbort = () => finish(new OnvifError('E_ONVIF_ABORTED', `request to ${o.where} cancelled`, { where: o.where }));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => finish(unreachable(o.where, err)));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

function unreachable(where: string, err: Error): OnvifError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new OnvifError('E_ONVIF_UNREACHABLE', `${where} unreachable (${code})`, { cause: err, where });
}
