import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

/** The project's copy of the platform contract (contract/ at the top; test/core/contract-copy.unit.test.ts keeps it equal to the reference). */
export const CONTRACT_DIR = resolve(import.meta.dirname, '..', '..', 'contract');

export type ContractKind = 'state' | 'device-state' | 'telemetry' | 'event' | 'command' | 'command-result';

/** Validators for every contract schema (ajv, draft 2020-12, strict). */
export function contractValidator() {
  const ajv = new Ajv2020.default({ strict: true, allErrors: true, allowUnionTypes: true });
  for (const file of readdirSync(CONTRACT_DIR).filter((f) => f.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(resolve(CONTRACT_DIR, file), 'utf8')));
  }
  return {
    /** Undefined when valid, else the errors as text. */
    check(kind: ContractKind, doc: unknown): string | undefined {
      const validate = ajv.getSchema(`https://gridgate.example/contract/v1/${kind}.schema.json`);
      if (!validate) throw new Error(`no schema for ${kind}`);
      return validate(doc) ? undefined : ajv.errorsText(validate.errors);
    },
  };
}

/** Which schema a contract topic's payload must match (undefined for snapshots and commands we send). */
export function kindOfTopic(topic: string): ContractKind | 'snapshot' | undefined {
  if (topic.endsWith('/state') && topic.includes('/devices/')) return 'device-state';
  if (topic.endsWith('/state')) return 'state';
  if (topic.endsWith('/telemetry')) return 'telemetry';
  if (topic.endsWith('/events')) return 'event';
  if (topic.includes('/snapshots/')) return 'snapshot';
  if (/\/cmd\/[^/]+\/result$/.test(topic)) return 'command-result';
  if (/\/cmd\/[^/]+$/.test(topic)) return 'command';
  return undefined;
}
