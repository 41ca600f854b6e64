import { z } from 'zod';
import { DEVICE_ID_PATTERN, DEVICE_KINDS, MODES, NAME_PATTERN, POINT_PATTERN, SEVERITIES } from '../../core/model.js';
import { isKnownUnit, UNIT_EXAMPLES } from '../../core/units.js';

/** Building blocks every part of the configuration shares. */

export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be lower-case letters, digits and dashes, starting with a letter or digit, at most 63 characters')
  .meta({ examples: ['zhengdong-cbd'] });

export const deviceIdSchema = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'must be letters, digits, dot, dash or underscore, at most 128 characters')
  .meta({ examples: ['cam-031'] });

export const pointNameSchema = z
  .string()
  .regex(POINT_PATTERN, 'must be letters, digits and . _ / -, at most 128 characters')
  .meta({ examples: ['pm25'] });

export const unitSchema = z
  .string()
  .refine(isKnownUnit, { message: `is not a UCUM unit the gateway knows (e.g. ${UNIT_EXAMPLES.join(', ')})` })
  .meta({ examples: ['Cel'] });

export const modeSchema = z.enum(MODES).meta({ examples: ['normal'] });
export const severitySchema = z.enum(SEVERITIES).meta({ examples: ['major'] });
export const deviceKindSchema = z.enum(DEVICE_KINDS).meta({ examples: ['modbus'] });

/** A duration in milliseconds. */
export const millisSchema = (min: number, max: number, example: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(max)
    .meta({ examples: [example], description: `milliseconds, ${min}..${max}` });

/**
 * A secret is never written in the configuration itself: it is read from a file (e.g. a
 * systemd credential) or an environment variable when the gateway starts.
 */
export const secretRefSchema = z
  .union([
    z.strictObject({
      file: z
        .string()
        .min(1)
        .meta({ examples: ['/etc/gridgate/platform.pass'] }),
    }),
    z.strictObject({
      env: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
        .meta({ examples: ['GRIDGATE_PLATFORM_PASSWORD'] }),
    }),
  ])
  .meta({ examples: [{ env: 'GRIDGATE_PLATFORM_PASSWORD' }], description: 'a secret read from { file } or { env }, never inline' });
export type SecretRef = z.infer<typeof secretRefSchema>;
