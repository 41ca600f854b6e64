import type { Logger } from 'pino';
import { z } from 'zod';
import { type Clock, formatTime } from '../core/clock.js';
import { errorMessage, GatewayError } from '../core/errors.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { SqliteStateStore } from '../storage/sqlite-state-store.js';

/** command.schema.json as zod: the edge check of every command payload. */
const commandSchema = z.strictObject({
  id: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()),
  expiresAt: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be RFC 3339 UTC with milliseconds')
    .optional(),
});

/** Commands larger than this are refused without parsing (64 KiB). */
const MAX_COMMAND_BYTES = 64 * 1024;
const HANDLER_TIMEOUT_MS = 30_000;

export interface CommandHandler<A extends z.ZodType = z.ZodType> {
  args: A;
  run(args: z.infer<A>, meta: { id: string; name: string }): Promise<Record<string, unknown>>;
}

/**
 * Turns a platform command (topic name + payload) into exactly one result document
 * (command-result.schema.json). A command id seen before is not carried out again: its stored
 * result is returned. Expired commands are refused with E_EXPIRED before anything runs.
 */
export class CommandDispatcher {
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly running = new Map<string, Promise<string>>();

  constructor(
    private readonly store: SqliteStateStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  register<A extends z.ZodType>(name: string, handler: CommandHandler<A>): void {
    this.handlers.set(name, handler as unknown as CommandHandler);
  }

  /** The result JSON to publish on `cmd/{name}/result`. Never throws. */
  async handle(name: string, payload: Buffer): Promise<string> {
    const parsed = this.parse(payload);
    if ('error' in parsed) {
      this.log.warn({ command: name, problem: parsed.error.message }, 'bad command refused');
      return this.finish(name, parsed.id, undefined, parsed.error, false);
    }
    const { id } = parsed.command;
    const earlier = this.store.commandResult(id);
    if (earlier !== undefined) {
      this.log.info({ command: name, id }, 'repeated command id: sending the earlier result');
      return earlier;
    }
    const inProgress = this.running.get(id);
    if (inProgress) return inProgress;
    const work = this.execute(name, parsed.command);
    this.running.set(id, work);
    try {
      return await work;
    } finally {
      this.running.delete(id);
    }
  }

  private async execute(name: string, command: z.infer<typeof commandSchema>): Promise<string> {
    const { id } = command;
    if (command.expiresAt && Date.parse(command.expiresAt) < this.clock.now()) {
      return this.finish(name, id, undefined, new GatewayError('E_EXPIRED', `command expired at ${command.expiresAt}; not carried out`));
    }
    const handler = this.handlers.get(name);
    if (!handler) {
      const known = [...this.handlers.keys()].sort().join(', ');
      return this.finish(name, id, undefined, new GatewayError('E_UNKNOWN_COMMAND', `unknown command "${name}" (known: ${known})`));
    }
    const args = handler.args.safeParse(command.args);
    if (!args.success) {
      const detail = args.error.issues.map((i) => `${i.path.length ? `args.${i.path.join('.')}` : 'args'}: ${i.message}`).join('; ');
      return this.finish(name, id, undefined, new GatewayError('E_BAD_ARGS', detail));
    }
    try {
      const result = await withTimeout(handler.run(args.data, { id, name }), HANDLER_TIMEOUT_MS, name);
      return this.finish(name, id, result, undefined);
    } catch (err) {
      const error = err instanceof GatewayError ? err : new GatewayError('E_INTERNAL', `command ${name} failed: ${errorMessage(err)}`, { cause: err });
      if (error.code === 'E_INTERNAL') this.log.error({ err, command: name, id }, 'command failed');
      return this.finish(name, id, undefined, error);
    }
  }

  private finish(name: string, id: string, result: Record<string, unknown> | undefined, error: GatewayError | undefined, remember = true): string {
    const ts = formatTime(this.clock.now());
    const doc = error ? { id, ok: false, ts, error: { code: error.code, message: error.message } } : { id, ok: true, ts, result: result ?? {} };
    const json = JSON.stringify(doc);
    this.metrics.commands.inc({ command: this.handlers.has(name) ? name : 'unknown', code: error?.code ?? 'OK' });
    if (remember) this.store.rememberCommandResult(id, json, this.clock.now());
    return json;
  }

  private parse(payload: Buffer): { command: z.infer<typeof commandSchema> } | { id: string; error: GatewayError } {
    if (payload.length > MAX_COMMAND_BYTES) {
      return { id: 'unknown', error: new GatewayError('E_BAD_COMMAND', `command payload is ${payload.length} bytes, more than ${MAX_COMMAND_BYTES}`) };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return { id: 'unknown', error: new GatewayError('E_BAD_COMMAND', `command payload is not JSON: ${errorMessage(err)}`) };
    }
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success) {
      const rawId = (raw as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' && rawId.length > 0 && rawId.length <= 64 ? rawId : 'unknown';
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      return { id, error: new GatewayError('E_BAD_COMMAND', `command does not match command.schema.json: ${detail}`) };
    }
    return { command: parsed.data };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError('E_INTERNAL', `command ${name} did not finish in ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
