import modbusSerial from 'modbus-serial';
import type { Table } from './address.js';
import { ModbusError } from './modbus-errors.js';
import { RtuLinePort } from './rtu-line-port.js';
import type { ModbusConnection } from './schema.js';

// Under NodeNext the CommonJS default export sits on `.default` (shared/DEPENDENCIES.md).
const ModbusRTU = modbusSerial.default;
type Client = InstanceType<typeof ModbusRTU>;

/** One physical connection (a TCP socket or a serial line) that carries requests for several unit ids. */
export interface ModbusLink {
  /** `10.0.0.7:502` or `/dev/ttyUSB0`, for messages. */
  readonly label: string;
  /** True for a serial line (RTU, or RTU through a serial server): one request at a time, for everyone on it. */
  readonly serialLine: boolean;
  readBits(unit: number, table: Table, start: number, count: number, timeoutMs: number): Promise<boolean[]>;
  readRegisters(unit: number, table: Table, start: number, count: number, timeoutMs: number): Promise<number[]>;
  writeCoil(unit: number, address: number, value: boolean, timeoutMs: number): Promise<void>;
  writeRegisters(unit: number, address: number, values: number[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A stable key: devices with equal keys share one link. */
export function linkKey(c: ModbusConnection): string {
  return c.transport === 'rtu' ? `rtu:${c.path}` : `${c.transport}:${c.host}:${c.port}`;
}

/** What modbus-serial keeps of a client, for transactionOf. */
interface ClientInternals {
  _transactions?: Record<number, unknown>;
  _port?: { _transactionIdWrite?: unknown };
}

/**
 * modbus-serial (8.0.25) never deletes a finished transaction from `client._transactions` (its
 * callbacks, request and the answer they hold): over TCP the ids cycle through 256, so every
 * connection keeps up to 256 finished transactions, ~20 MB for 50 devices once they have
 * polled 256 times. Call before a request, then call the result right after it is sent: it
 * returns what forgets that transaction once it is settled (a late answer to a forgotten id is
 * ignored by the library, as for any unknown id). A no-op where the internals are not as expected.
 */
function transactionOf(client: Client): () => () => void {
  const c = client as unknown as ClientInternals;
  const id = c._port?._transactionIdWrite;
  const table = c._transactions;
  if (typeof id !== 'number' || !table) return () => () => {};
  return () => {
    const tx = table[id];
    return () => {
      if (tx !== undefined && table[id] === tx) delete table[id];
    };
  };
}

/** modbus-serial reports these for an answer it could not use (CRC, length, wrong unit or function). */
const BAD_FRAME = /CRC|length|Unexpected data|byte count/i;

/**
 * A ModbusLink over modbus-serial's client. It connects lazily on the first request and guards
 * every request with its own timer (the library never calls back for a request whose socket was
 * destroyed).
 *
 * After a garbled answer a TCP stream has lost its framing and is reconnected. A serial line is
 * not: it is made quiet (wait for silence, drop what came, flush) and used again, because a
 * corrupted frame is routine on RS-485 and re-opening a tty costs a close and a lock. A serial
 * port is re-opened only when it failed or closed, and only after the old one is fully closed
 * (its descriptor and lock released), so the re-open cannot fail with "Cannot lock port".
 */
export class ModbusSerialLink implements ModbusLink {
  readonly label: string;
  readonly serialLine: boolean;
  private client: Client | undefined;
  private port: RtuLinePort | undefined;
  private connecting: Promise<Client> | undefined;
  /** The close of a previous serial port, awaited before the next open. */
  private closing: Promise<void> = Promise.resolve();
  private readonly pending = new Set<(err: unknown) => void>();
  private closed = false;

  constructor(private readonly connection: ModbusConnection) {
    this.label = connection.transport === 'rtu' ? connection.path : `${connection.host}:${connection.port}`;
    this.serialLine = connection.transport !== 'tcp';
  }

  /** Bytes dropped on the serial line as noise, garbage or broken answers (0 for TCP). */
  get discardedBytes(): number {
    return this.port?.discarded ?? 0;
  }

  readBits(unit: number, table: Table, start: number, count: number, timeoutMs: number): Promise<boolean[]> {
    return this.request(unit, timeoutMs, async (c) => {
      const res = table === 'coil' ? await c.readCoils(start, count) : await c.readDiscreteInputs(start, count);
      // The library returns whole bytes of bits (multiple of 8); keep the ones asked for.
      if (res.data.length < count) throw new Error(`byte count: ${res.data.length} bits for ${count} asked`);
      return res.data.slice(0, count);
    });
  }

  readRegisters(unit: number, table: Table, start: number, count: number, timeoutMs: number): Promise<number[]> {
    return this.request(unit, timeoutMs, async (c) => {
      const res = table === 'holding-register' ? await c.readHoldingRegisters(start, count) : await c.readInputRegisters(start, count);
      if (res.data.length !== count) throw new Error(`byte count: ${res.data.length} registers for ${count} asked`);
      return res.data;
    });
  }

  writeCoil(unit: number, address: number, value: boolean, timeoutMs: number): Promise<void> {
    return this.request(unit, timeoutMs, async (c) => {
      await c.writeCoil(address, value);
    });
  }

  writeRegisters(unit: number, address: number, values: number[], timeoutMs: number): Promise<void> {
    // Modbus app. protocol 6.6 (FC 06) for one register, 6.12 (FC 16) for more.
    return this.request(unit, timeoutMs, async (c) => {
      if (values.length === 1) await c.writeRegister(address, values[0]!);
      else await c.writeRegisters(address, values);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop(new ModbusError('E_MODBUS_STOPPED', `link ${this.label} closed`));
    await this.closing;
  }

  private async request<T>(unit: number, timeoutMs: number, op: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new ModbusError('E_MODBUS_STOPPED', `link ${this.label} closed`);
    const started = performance.now();
    const client = await this.connect(timeoutMs);
    const left = Math.max(1, timeoutMs - (performance.now() - started));
    client.setID(unit);
    client.setTimeout(left);
    const port = this.port;
    try {
      return await this.guarded(client, left, op);
    } catch (err) {
      const e = err as { name?: unknown; modbusCode?: unknown; message?: unknown };
      const timeout = e?.name === 'TransactionTimedOutError';
      const badFrame = !timeout && typeof e?.modbusCode !== 'number' && typeof e?.message === 'string' && BAD_FRAME.test(e.message);
      if (port && this.client === client && (timeout || badFrame)) {
        // Serial line: the rest of a broken or late answer must not meet the next request.
        // The request keeps the bus until the line is quiet (at most one more timeout).
        await port.quiet(timeoutMs);
      } else if (!timeout && typeof e?.modbusCode !== 'number') {
        // TCP after a garbled answer, or any connection failure: start afresh.
        this.reset(client);
      }
      throw err;
    }
  }

  private guarded<T>(client: Client, left: number, op: (c: Client) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void, after?: () => void) => {
        after?.();
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        this.pending.delete(onDrop);
        fn();
      };
      const onDrop = (err: unknown) => settle(() => reject(err));
      // 25 ms after the library's own timer: normally the library reports first.
      const guard = setTimeout(() => settle(() => reject({ name: 'TransactionTimedOutError' })), left + 25);
      this.pending.add(onDrop);
      const forget = transactionOf(client);
      const done = op(client);
      // op registered its transaction synchronously (modbus-serial writes the request at once).
      const forgetIt = forget();
      done.then(
        (v) => settle(() => resolve(v), forgetIt),
        (err: unknown) => settle(() => reject(err), forgetIt),
      );
    });
  }

  private connect(timeoutMs: number): Promise<Client> {
    if (this.client?.isOpen) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    const c = this.connection;
    let port: RtuLinePort | undefined;
    let client: Client;
    if (c.transport === 'rtu') {
      port = new RtuLinePort({ path: c.path, baudRate: c.baudRate, parity: c.parity, dataBits: c.dataBits, stopBits: c.stopBits });
      client = new ModbusRTU(port);
    } else {
      client = new ModbusRTU();
    }
    // A port error re-emitted by the client with no listener would crash the process.
    client.on('error', () => this.reset(client));
    // Connecting shares the request's time budget (at least 1 s: a TCP handshake on a busy line).
    const budget = Math.max(1000, timeoutMs);
    this.connecting = new Promise<Client>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.reset(client, port);
        reject(new ModbusError('E_MODBUS_CONNECTION', `could not connect to ${this.label} in ${budget} ms`));
      }, budget);
      const opening = (async () => {
        if (c.transport === 'tcp') return client.connectTCP(c.host, { port: c.port });
        if (c.transport === 'rtu-over-tcp') return client.connectTelnet(c.host, { port: c.port }); // modbus-serial's TelnetPort: raw RTU frames on TCP
        // A serial port is opened only once the previous one has let go of the tty.
        await this.closing;
        return new Promise<void>((ok, fail) => client.open((err: unknown) => (err ? fail(err) : ok())));
      })();
      opening.then(
        () => {
          clearTimeout(timer);
          // Opened after its time was up: already being closed (the close waits for the open).
          if (timedOut) return;
          if (this.closed) {
            this.reset(client, port);
            reject(new ModbusError('E_MODBUS_STOPPED', `link ${this.label} closed`));
            return;
          }
          client.on('close', () => {
            if (this.client === client) this.drop(Object.assign(new Error('the other side closed the connection'), { code: 'ECONNRESET' }));
          });
          this.client = client;
          this.port = port;
          resolve(client);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (timedOut) return;
          this.reset(client, port);
          reject(err);
        },
      );
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Fails every request in flight and forgets the client, so the next request reconnects. */
  private drop(err: unknown): void {
    const client = this.client;
    for (const fail of [...this.pending]) fail(err);
    if (client) this.reset(client);
  }

  private reset(client: Client, port = this.client === client ? this.port : undefined): void {
    if (this.client === client) {
      this.client = undefined;
      this.port = undefined;
    }
    if (port) {
      // Closing a tty is asynchronous: the next open waits for it (else "Cannot lock port").
      const previous = this.closing;
      this.closing = previous.then(() => new Promise<void>((done) => port.close(() => done())));
      return;
    }
    try {
      client.destroy(() => {});
    } catch {
      // already gone
    }
  }
}
