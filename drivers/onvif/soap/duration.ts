/**
 * xs:duration (XML Schema part 2 §3.2.6) as used by ONVIF for timeouts and termination times:
 * `PT60S`, `PT1M30S`, `PT0.5S`. Years and months are refused (no fixed length).
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return undefined;
  const ms = ((Number(m[2] ?? 0) * 24 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 60_000 + Math.round(Number(m[5] ?? 0) * 1000);
  return m[1] ? -ms : ms;
}

/** Milliseconds as `PT<n>S` (fractional seconds kept to ms). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return `PT${Number.isInteger(s) ? s : s.toFixed(3)}S`;
}

/** An absolute xs:dateTime or a relative xs:duration (WS-BaseNotification §4.1 InitialTerminationTime) as epoch ms. */
export function parseTermination(text: string, nowMs: number): number | undefined {
  const t = text.trim();
  if (t.startsWith('P') || t.startsWith('-P')) {
    const d = parseDuration(t);
    return d === undefined ? undefined : nowMs + d;
  }
  const abs = Date.parse(t);
  return Number.isNaN(abs) ? undefined : abs;
}
