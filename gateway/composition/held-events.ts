import type { Logger } from 'pino';
import type { TypedBus } from '../core/bus.js';
import { errorMessage } from '../core/errors.js';
import type { GatewayEvent } from '../core/model.js';
import type { DriverEvent } from '../devices/driver.js';
import type { GatewayBusEvents } from '../pipeline/bus-events.js';
import type { EventHolds } from '../rules/event-gate.js';
import type { SqliteHeldEvents } from '../storage/sqlite-held-events.js';

/** Why a re-sent held event has no picture (`data.snapshotSkipped`). */
export const HELD_AT_STOP = 'the gateway stopped before the picture came';

/** The journal as the driver context (stage `driver`) and the event gate (stage `gate`) use it. */
export function eventHolds(held: SqliteHeldEvents, now: () => number): { driver: (e: DriverEvent) => number; gate: EventHolds } {
  return {
    // A driver event without a time gets it now: re-sent after a restart it keeps when it happened.
    driver: (e) => held.hold('driver', { ...e, ts: e.ts ?? now(), snapshot: undefined }, now()),
    gate: { hold: (e: GatewayEvent) => held.hold('gate', e, now()), release: (id) => held.release(id) },
  };
}

/**
 * Sends, once and without a picture, what a previous run took from a device and held for its
 * picture but never stored (a kill -9 or power cut during the fetch). A driver's event goes
 * through the event gate again; the gate's own (already made, with its id) straight to the
 * outbox. Each row is released in the commit that stores its event. Returns how many.
 */
export function resendHeldEvents(
  held: SqliteHeldEvents,
  o: { bus: TypedBus<GatewayBusEvents>; accept: (event: GatewayEvent, snapshot?: Buffer, heldId?: number) => void; log: Logger },
): number {
  const rows = held.all();
  for (const row of rows) {
    try {
      if (row.stage === 'driver') {
        const e = JSON.parse(row.body) as DriverEvent;
        o.bus.emit('driver-event', { ...e, heldId: row.id, data: { ...e.data, snapshotSkipped: HELD_AT_STOP } });
      } else {
        const e = JSON.parse(row.body) as GatewayEvent;
        o.accept({ ...e, data: { ...e.data, snapshotSkipped: HELD_AT_STOP } }, undefined, row.id);
      }
    } catch (err) {
      o.log.error({ held: row.id, stage: row.stage, err: errorMessage(err) }, 'a held event could not be read back: dropped');
      held.release(row.id);
    }
  }
  if (rows.length) o.log.warn({ events: rows.length }, 'events held for a picture when the gateway stopped: sent without it');
  return rows.length;
}
