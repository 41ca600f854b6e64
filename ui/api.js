// The one place the page talks to the server: JSON in and out, the CSRF token on every change.
import { lang, t, tx } from './i18n.js';

let csrf = '';

export function setCsrf(token) {
  csrf = token || '';
}

export class ApiError extends Error {
  constructor(status, body) {
    super(errorText(status, body));
    this.status = status;
    this.code = body?.error?.code;
    this.body = body;
  }
}

/**
 * An API error in the user's language: the code's sentence (with the server's detail where the
 * sentence has a place for it). In English the server's own sentence is precise enough.
 */
function errorText(status, body) {
  const code = body?.error?.code;
  const detail = body?.error?.message || '';
  if (lang() === 'en' && detail) return detail;
  if (!code) return detail || t('error.http', { status });
  // Problems are shown beside their fields: the sentence only says to look there.
  if (code === 'E_UI_INVALID' && body?.error?.problems?.length) return t('error.invalidProblems');
  if (code === 'E_UI_INVALID' && body?.error?.field) return t('error.invalidField', { field: tx('field', body.error.field) });
  const known = tx('error', code, '');
  if (!known) return t('error.generic', { code, detail });
  return t(`error.${code}`, { detail, field: body?.error?.field ?? '' });
}

export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // plain text (exports)
  }
  if (res.status === 401 && !path.startsWith('/api/ui/login') && !path.startsWith('/api/ui/setup') && !path.startsWith('/api/ui/session')) {
    location.hash = '#/login';
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body = {}) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** Waits until a saved configuration version is applied (or failed and rolled back). */
export async function untilSettled(version, onTick) {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await get(`/api/ui/config/versions/${version}`);
      const status = r.version.status;
      onTick?.(status);
      if (status !== 'pending' && status !== 'applying') return r.version;
    } catch {
      // the gateway is restarting with the new configuration: try again
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(t('config.notSettled', { version }));
}
