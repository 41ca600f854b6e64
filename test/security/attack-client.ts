import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * What an attacker on the site LAN sends, as raw as it gets: any source address in 127/8 (the
 * LAN here), any Host and Origin, cookies by hand. node:http rather than fetch: fetch forbids
 * setting Host.
 */
export function send(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: unknown; from?: string; insecure?: boolean } = {},
): Promise<Answer> {
  const u = new URL(url);
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: o.method ?? (body ? 'POST' : 'GET'),
        localAddress: o.from,
        rejectUnauthorized: !o.insecure,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...o.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A browser at one address: its cookie, CSRF token and Origin. */
export class Browser {
  cookie = '';
  csrf = '';

  constructor(
    readonly base: string,
    readonly from = '127.0.0.1',
    readonly insecure = false,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const r = await send(this.base + path, {
      method,
      body,
      from: this.from,
      insecure: this.insecure,
      headers: {
        origin: new URL(this.base).origin,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
    });
    const set = r.headers['set-cookie'];
    if (set) this.cookie = String(Array.isArray(set) ? set[0] : set).split(';')[0]!;
    if (r.body && typeof r.body === 'object' && typeof r.body.csrf === 'string') this.csrf = r.body.csrf;
    return r;
  }

  login(user: string, password: string) {
    return this.call('POST', '/api/ui/login', { user, password });
  }

  /** Opens a websocket with this browser's cookie and Origin; resolves once open or closed. */
  socket(path: string, headers: Record<string, string> = {}): Promise<Socket> {
    const base = new URL(this.base);
    const ws = new WebSocket(`${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}${path}`, {
      headers: { origin: base.origin, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      localAddress: this.from,
      rejectUnauthorized: !this.insecure,
    });
    return Socket.open(ws);
  }
}

/** A websocket and what became of it. */
export class Socket {
  closed: { code: number; reason: string } | undefined;
  messages = 0;
  bytes = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => {
      this.messages++;
      this.bytes += d.length;
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {});
  }

  static open(ws: WebSocket): Promise<Socket> {
    const s = new Socket(ws);
    return new Promise((resolve) => {
      ws.once('open', () => resolve(s));
      ws.once('close', () => resolve(s));
      ws.once('unexpected-response', (req, res) => {
        s.closed = { code: res.statusCode ?? 0, reason: 'http' };
        // With this listener the request is ours to end (ws docs), else the connection stays open.
        res.resume();
        req.destroy();
        resolve(s);
      });
      ws.once('error', () => resolve(s));
    });
  }

  close(): void {
    this.ws.close();
  }
}

export const ADMIN = { user: 'admin', password: 'correct horse battery' };

/** First start: the admin made with the printed setup code. */
export async function makeAdmin(base: string, setupCode: string, insecure = false): Promise<Browser> {
  const admin = new Browser(base, '127.0.0.1', insecure);
  const r = await admin.call('POST', '/api/ui/setup', { code: setupCode, ...ADMIN });
  if (r.status !== 200) throw new Error(`setup failed: ${r.status} ${r.text}`);
  return admin;
}
