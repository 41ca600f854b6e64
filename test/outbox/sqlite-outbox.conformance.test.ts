import { silentLogger } from '../../gateway/core/logger.js';
import { SqliteOutbox } from '../../gateway/outbox/sqlite-outbox.js';
import { openGatewayDatabase } from '../../gateway/storage/sqlite-database.js';
import { describeOutboxConformance, type OutboxEnv } from './outbox-conformance.js';

/** SqliteOutbox in the configurations it runs in: how readings are packed into rows, and the fsync policy. */
function sqliteOutbox(synchronous: 'FULL' | 'NORMAL', rowReadings: number) {
  return (path: string, { clock, capacityBytes }: OutboxEnv) => {
    const { db } = openGatewayDatabase(path, synchronous, silentLogger());
    return new SqliteOutbox({ db, gateway: 'gw-conf', site: 'site-conf', capacityBytes, log: silentLogger(), clock, rowReadings });
  };
}

describeOutboxConformance('SqliteOutbox, one reading per row, synchronous=FULL', sqliteOutbox('FULL', 1));
describeOutboxConformance('SqliteOutbox, 100 readings per row (the default), synchronous=NORMAL', sqliteOutbox('NORMAL', 100));
