import type { z } from 'zod';
import type { SecretRef } from '../config/schema/common.js';
import type { DeviceConfigBase, Driver } from './driver.js';

/** What the composition root hands a driver module's factory. */
export interface DriverModuleOptions {
  /** Resolves `{ env }` / `{ file }` secret references (relative files against the configuration's folder). */
  readSecret?: (ref: SecretRef) => string;
  /** The gateway's data directory, for driver state that must survive a restart. */
  stateDir?: string;
}

/**
 * One protocol, as the gateway sees it (like an EdgeX device service): its name, the schema of
 * its devices and of its profiles, and a factory for its driver. `drivers/<protocol>/index.ts`
 * exports one; `drivers/index.ts` lists them, and the configuration's device union, the runtime
 * registry and the UI's forms are derived from that list.
 */
export interface DriverModule<Name extends string = string, DeviceSchema extends z.ZodType = z.ZodType, ProfileSchema extends z.ZodType = z.ZodType> {
  /** The value of a device's `driver` field. */
  readonly name: Name;
  /** A device of this driver: a strict object with `driver: z.literal(name)` and the base device fields. */
  readonly deviceSchema: DeviceSchema;
  /** A profile file of this driver (a named, reusable point list). */
  readonly profileSchema: ProfileSchema;
  /** A new driver instance; constructors only assign (I/O begins in `start`). */
  create(options: DriverModuleOptions): Driver<z.output<DeviceSchema> & DeviceConfigBase>;
}

/** Checks a module's parts against each other (the schema's output is a device of that driver) and keeps its literal types. */
export function defineDriverModule<
  const Name extends string,
  DeviceSchema extends z.ZodType<DeviceConfigBase & { driver: Name }>,
  ProfileSchema extends z.ZodType,
>(module: DriverModule<Name, DeviceSchema, ProfileSchema>): DriverModule<Name, DeviceSchema, ProfileSchema> {
  return module;
}

/** Fresh driver instances of the given modules, by name (the daemon's drivers, the UI's test-before-save and discovery). */
export function createDrivers(modules: readonly DriverModule[], options: DriverModuleOptions = {}): Map<string, Driver> {
  return new Map(modules.map((m) => [m.name, m.create(options)]));
}
