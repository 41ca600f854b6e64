import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino replaces with [redacted] wherever they appear in a log record. */
const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'passwordFile',
  'secret',
  '*.secret',
  'key',
  '*.key',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** Removes `user:pass@` from URLs (rtsp://, mqtt://, http://) inside any string. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+:[^/@\s]*@/gi, '$1***:***@');
}

function scrubUrls(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrlCredentials(value) : value;
  if (depth > 4 || typeof value !== 'object' || value === null || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrubUrls(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubUrls(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** A stream to write to; stdout by default (journald reads it). */
  destination?: pino.DestinationStream;
}

/** The root logger: JSON lines, secrets redacted, URL credentials stripped from messages. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.GRIDGATE_LOG_LEVEL ?? 'info',
      base: { name: 'gridgate' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: (err: unknown) => {
          const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
          if (typeof out.message === 'string') out.message = redactUrlCredentials(out.message);
          if (typeof out.stack === 'string') out.stack = redactUrlCredentials(out.stack);
          return out;
        },
        url: (url: unknown) => (typeof url === 'string' ? redactUrlCredentials(url) : url),
      },
      formatters: {
        // Credentials in URLs can sit in any field (a camera's stream URL, a broker URL).
        log: (object) => scrubUrls(object, 0) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const last = args.length - 1;
          if (typeof args[last] === 'string') args[last] = redactUrlCredentials(args[last] as string);
          method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    // Synchronous writes: a daemon that exits (or is killed) must not lose its last lines.
    options.destination ?? pino.destination({ sync: true }),
  );
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
