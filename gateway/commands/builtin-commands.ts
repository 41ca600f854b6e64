import { z } from 'zod';
import { deviceIdSchema, modeSchema, pointNameSchema } from '../config/schema/common.js';
import { GatewayError } from '../core/errors.js';
import type { Mode } from '../core/model.js';
import type { CommandDispatcher } from './command-dispatcher.js';

export interface CommandTargets {
  setMode(mode: Mode, by: string, reason: string): { mode: Mode; previous: Mode };
  resync(): number;
  writePoint(device: string, point: string, value: number | boolean | string): Promise<void>;
  snapshot(device: string, channel: number | undefined): Promise<{ eventId: string }>;
}

/** The contract's commands (contract/README.md, "Commands"). */
export function registerBuiltinCommands(dispatcher: CommandDispatcher, targets: CommandTargets): void {
  dispatcher.register('set-mode', {
    args: z.strictObject({ mode: modeSchema, reason: z.string().max(500).optional() }),
    run: async (args, meta) => targets.setMode(args.mode, `platform:command:${meta.id}`, args.reason ?? 'set by the platform'),
  });
  dispatcher.register('resync', {
    args: z.strictObject({}),
    run: async () => ({ devices: targets.resync() }),
  });
  dispatcher.register('write-point', {
    args: z.strictObject({ device: deviceIdSchema, point: pointNameSchema, value: z.union([z.number().finite(), z.boolean(), z.string().max(256)]) }),
    run: async (args) => {
      await targets.writePoint(args.device, args.point, args.value);
      return { written: true };
    },
  });
  dispatcher.register('snapshot', {
    args: z.strictObject({ device: deviceIdSchema, channel: z.number().int().min(0).optional() }),
    run: async (args) => {
      const result = await targets.snapshot(args.device, args.channel);
      if (!result.eventId) throw new GatewayError('E_INTERNAL', 'snapshot produced no event');
      return result;
    },
  });
}
