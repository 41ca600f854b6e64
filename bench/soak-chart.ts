/** A small SVG line chart (no chart library offline): one panel per series, shared time axis. */
export interface Series {
  name: string;
  unit: string;
  points: Array<[number, number]>;
  /** Shaded spans (e.g. outages), in the same time unit as the points. */
  spans?: Array<[number, number]>;
}

/** `spans` are shaded (outages); `marks` are dashed vertical lines with a label (restarts). */
export function svgChart(title: string, series: Series[], spans: Array<[number, number]> = [], marks: Array<[number, string]> = []): string {
  const width = 900;
  const panel = 150;
  const left = 70;
  const right = 20;
  const top = 40;
  const height = top + series.length * (panel + 30) + 20;
  const tMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const x = (t: number) => left + ((width - left - right) * Math.min(t, tMax)) / tMax;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16">${escapeXml(title)}</text>`,
  ];
  series.forEach((s, i) => {
    const y0 = top + i * (panel + 30);
    const vMax = Math.max(1e-9, ...s.points.map((p) => p[1])) * 1.1;
    const y = (v: number) => y0 + panel - (panel * v) / vMax;
    for (const [a, b] of spans) parts.push(`<rect x="${x(a)}" y="${y0}" width="${Math.max(1, x(b) - x(a))}" height="${panel}" fill="#fde2e2"/>`);
    parts.push(`<rect x="${left}" y="${y0}" width="${width - left - right}" height="${panel}" fill="none" stroke="#999"/>`);
    for (const [t, label] of marks) {
      parts.push(`<line x1="${x(t)}" y1="${y0}" x2="${x(t)}" y2="${y0 + panel}" stroke="#d1242f" stroke-dasharray="4 3"/>`);
      if (i === 0) parts.push(`<text x="${x(t) + 3}" y="${y0 + panel - 4}" fill="#d1242f">${escapeXml(label)}</text>`);
    }
    parts.push(`<text x="${left + 6}" y="${y0 + 14}">${escapeXml(`${s.name} (${s.unit}), max ${round(Math.max(0, ...s.points.map((p) => p[1])))}`)}</text>`);
    parts.push(
      `<text x="${left - 6}" y="${y0 + 10}" text-anchor="end">${round(vMax)}</text><text x="${left - 6}" y="${y0 + panel}" text-anchor="end">0</text>`,
    );
    if (s.points.length > 1)
      parts.push(
        `<polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
      );
    parts.push(`<text x="${width - right}" y="${y0 + panel + 14}" text-anchor="end">${round(tMax)} min</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function round(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
