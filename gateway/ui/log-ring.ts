import { redactLine } from './redact.js';

export interface LogLine {
  time?: number;
  level?: number;
  component?: string;
  msg?: string;
  [k: string]: unknown;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * The last log lines, for the UI's Logs screen: a pino destination (use it in a multistream
 * beside stdout) keeping `capacity` lines, redacted again when read.
 */
export class LogRing {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = 2000) {}

  /** pino DestinationStream. */
  write(line: string): void {
    this.lines.push(line.trimEnd());
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** Newest first; `level` is the lowest level shown; `text` a case-insensitive substring. */
  query(filter: { level?: string; text?: string; limit?: number } = {}): LogLine[] {
    const min = LEVELS[filter.level ?? 'trace'] ?? 10;
    const text = filter.text?.toLowerCase();
    const out: LogLine[] = [];
    for (let i = this.lines.length - 1; i >= 0 && out.length < (filter.limit ?? 300); i--) {
      const raw = redactLine(this.lines[i]!);
      if (text && !raw.toLowerCase().includes(text)) continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(raw) as LogLine;
      } catch {
        parsed = { msg: raw };
      }
      if ((parsed.level ?? 30) < min) continue;
      out.push(parsed);
    }
    return out;
  }
}
