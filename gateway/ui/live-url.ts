import { GatewayError } from '../core/errors.js';

/**
 * What ffmpeg may open for live view, checked before it runs (issue 12, finding 3): a camera (or
 * anything answering ONVIF at its address) once returned `concat:/etc/passwd|/etc/hostname` as
 * its stream address. A device-supplied address is data: only `rtsp://` and `rtsps://` with a
 * host, no control characters, at most 2048 characters. Quote and backslash are percent-encoded
 * (ffmpeg URL-decodes RTSP credentials) so the address cannot leave its quoted place in the
 * ffconcat script that hands it to ffmpeg (see live-streams.ts).
 */
export function checkStreamUrl(raw: string): string {
  if (raw.length > 2048) throw new GatewayError('E_LIVE_URL', 'the stream address is longer than 2048 characters: not opened');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u0020\u007f]/.test(raw)) throw new GatewayError('E_LIVE_URL', 'the stream address holds spaces or control characters: not opened');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError('E_LIVE_URL', 'the stream address is not a URL: not opened');
  }
  if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:')
    throw new GatewayError('E_LIVE_URL', `live view opens rtsp:// and rtsps:// addresses only, not ${url.protocol.slice(0, 20)}`);
  if (!url.hostname) throw new GatewayError('E_LIVE_URL', 'the stream address has no host: not opened');
  return url.toString().replace(/'/g, '%27').replace(/\\/g, '%5C');
}

/** Lines of ffmpeg's stderr that point at the cause, mapped to words a viewer may see. */
const PUBLIC_ERRORS: Array<[RegExp, string]> = [
  [/401|Unauthorized|authorization failed/i, 'the camera refused the user name or password (401)'],
  [/403|Forbidden/i, 'the camera refused access to the stream (403)'],
  [/404|Not Found/i, 'the camera has no such stream (404)'],
  [/Connection refused/i, 'the camera refused the connection'],
  [/timed out|Timeout|No route to host|Network is unreachable/i, 'the camera did not answer'],
  [/resolve hostname|Name or service not known/i, 'the camera address could not be resolved'],
  [/TLS|SSL|certificate/i, 'the TLS connection to the camera failed'],
];

/**
 * The error a viewer sees: a category, never ffmpeg's own text (it names files and URLs, and
 * which files exist is itself a leak). The full line, credentials redacted, goes to the log.
 */
export function publicStreamError(stderr: string): string {
  // The last line that names a cause wins: an RTSP exchange may carry an earlier 401 (the digest
  // challenge answered on the next try) before the real failure, a 404 for a missing path.
  const lines = stderr.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    for (const [pattern, text] of PUBLIC_ERRORS) if (pattern.test(lines[i]!)) return text;
  }
  return 'the stream could not be opened (the gateway log has the details)';
}
