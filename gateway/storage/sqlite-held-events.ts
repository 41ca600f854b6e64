import type Database from 'better-sqlite3';

/** Where in the event path an event was held: before the event gate (a driver's) or after it (the gate's own picture). */
export type HeldStage = 'driver' | 'gate';

export interface HeldRow {
  id: number;
  stage: HeldStage;
  heldMs: number;
  /** The event as JSON (a DriverEvent or a GatewayEvent, by stage), without its picture. */
  body: string;
}

/**
 * A journal of events the gateway has taken from a device but not yet written to the outbox,
 * because they wait for a picture (up to the snapshot timeout, 3 s by default). An ONVIF pull
 * has no acknowledgement: a pulled notification is gone from the camera, so without this a
 * kill -9 or a power cut during the fetch would lose the alert. `hold` commits at once (its own
 * transaction, fsynced as the outbox's commits are); the outbox deletes the row in the very
 * commit that stores the event, so after a crash an event is either in the outbox or here,
 * never both and never neither. At start the gateway sends what is left here without a picture.
 */
export class SqliteHeldEvents {
  private readonly insert;
  private readonly remove;
  private readonly list;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO held_events (stage, held_ms, body) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM held_events WHERE id = ?');
    this.list = db.prepare('SELECT id, stage, held_ms AS heldMs, body FROM held_events ORDER BY id');
  }

  /** Journals an event (durable when this returns); its id for `release`. */
  hold(stage: HeldStage, event: unknown, nowMs: number): number {
    return Number(this.insert.run(stage, nowMs, JSON.stringify(event)).lastInsertRowid);
  }

  /** Forgets a held event: called inside the outbox commit that stores it, or when it is suppressed. */
  release(id: number): void {
    this.remove.run(id);
  }

  /** What a previous run held and never stored, oldest first. */
  all(): HeldRow[] {
    return this.list.all() as HeldRow[];
  }
}
