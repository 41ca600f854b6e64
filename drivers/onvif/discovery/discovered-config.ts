import type { DiscoveredDevice } from '../../../gateway/devices/driver.js';
import type { SecretRef } from '../../../gateway/config/schema/common.js';

export interface AutoAddTemplate {
  /** Device id from the discovered endpoint: `${prefix}${last 12 hex digits of the urn:uuid}`. */
  idPrefix: string;
  username: string;
  password: SecretRef;
  zone?: string;
}

/**
 * A device configuration (input to onvifDeviceSchema) for a discovered device, for the core to
 * add when the site is configured to auto-add; the driver itself only offers (driver contract).
 * Returns undefined when the device offered no http XAddr.
 */
export function deviceConfigFromDiscovery(d: DiscoveredDevice, t: AutoAddTemplate): Record<string, unknown> | undefined {
  const xaddrs = (d.meta?.xaddrs as string[] | undefined) ?? [d.address];
  // http only: the transport does not speak HTTPS yet.
  const url = xaddrs.find((x) => /^http:\/\//.test(x));
  if (!url) return undefined;
  const tail =
    d.identity
      .replace(/[^0-9a-fA-F]/g, '')
      .slice(-12)
      .toLowerCase() || 'unknown';
  return {
    id: `${t.idPrefix}${tail}`,
    name: d.name,
    kind: 'camera',
    driver: 'onvif',
    url,
    username: t.username,
    password: t.password,
    ...(t.zone ? { zone: t.zone } : {}),
  };
}
