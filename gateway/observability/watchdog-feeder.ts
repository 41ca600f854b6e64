import type { Logger } from 'pino';
import type { GatewayFacade as Gateway } from '../facade.js';
import { HealthWatchdog } from './health-watchdog.js';
import type { SdNotify } from './sd-notify.js';

/** Pings systemd's watchdog while the gateway is really healthy (not on a bare timer). Returns a stop function. */
export function feedWatchdog(systemd: SdNotify, gateway: () => Gateway, log: Logger): () => void {
  const periodMs = systemd.watchdogMs;
  if (!periodMs) return () => {};
  const watchdog = new HealthWatchdog(
    {
      delivered: () => gateway().progressProbe().delivered(),
      backlog: () => gateway().progressProbe().backlog(),
      uplinkConnected: () => gateway().progressProbe().uplinkConnected(),
      checkOutbox: () => gateway().progressProbe().checkOutbox(),
    },
    periodMs,
  );
  watchdog.start();
  let unhealthy: string | undefined;
  const timer = setInterval(() => {
    const why = watchdog.check();
    if (why === undefined) {
      if (unhealthy) log.info('healthy again: feeding the watchdog');
      unhealthy = undefined;
      void systemd.watchdog();
    } else if (why !== unhealthy) {
      unhealthy = why;
      log.error({ why }, 'unhealthy: not feeding the systemd watchdog');
      void systemd.status(`unhealthy: ${why}`);
    }
  }, periodMs / 3);
  return () => {
    clearInterval(timer);
    watchdog.stop();
  };
}
