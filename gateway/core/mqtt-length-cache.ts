/**
 * Keeps mqtt-packet's cache of encoded packet lengths from pinning Node's Buffer pool.
 *
 * mqtt-packet 9.0.2 (writeToStream.js, `varByteIntCache`) keeps, for every MQTT "remaining
 * length" below 16,384 it has written (MQTT 3.1.1 §2.2.3, 1–2 bytes there), a Buffer made by
 * `Buffer.allocUnsafe(4)`: a slice of Node's shared 8 KiB pool slab. A slice keeps its whole slab
 * alive, and in a running gateway each new length appears between other allocations, so each
 * cache entry pins an 8 KiB slab of its own to hold 1–2 bytes: V8 "external" memory that grows
 * with every new event or telemetry size until 16,384 lengths are seen (up to 128 MiB). The soaks
 * saw it as external memory growing linearly, +10–13 MB/h (docs/operations.md). Upstream:
 * mqttjs/mqtt-packet#163, still open, no release fixes it (checked 2026-11-30).
 *
 * The cache cannot be reached from outside and no option turns it off, so we fill it once,
 * in one tight loop before any connection writes: the 16,384 entries are then carved back to
 * back from a few consecutive slabs (about 256 KiB in all, for the life of the process) and no
 * later write adds an entry. Hand-written because no library does this; remove it when
 * mqtt-packet releases a fix (the test in test/core/mqtt-length-cache.test.ts then still passes).
 */
import mqttPacket from 'mqtt-packet';

/** mqtt-packet caches the encodings of remaining lengths below this (writeToStream.js). */
export const MQTT_LENGTH_CACHE_SIZE = 16_384;

let filled = false;

/** Whether this process has filled the cache (for the test that the MQTT parts call it). */
export function mqttLengthCacheFilled(): boolean {
  return filled;
}

/**
 * Fills mqtt-packet's remaining-length cache, once per process (later calls do nothing).
 * Call it before the first MQTT packet is written. Also turns mqtt-packet's packet-id cache off
 * (`writeCache: false`, which both our clients set anyway): with it on, the first write would
 * build 65,536 more cached Buffers.
 */
export function fillMqttLengthCache(): void {
  if (filled) return;
  filled = true;
  mqttPacket.writeToStream.cacheNumbers = false;
  // A writable that throws the bytes away; writeToStream needs only write() (and destroy() on bad input).
  const sink = { write: () => true, destroy: () => {} } as unknown as NodeJS.WritableStream;
  // One unpooled block for every payload: subarray() makes views, nothing from the pool.
  const payload = Buffer.allocUnsafeSlow(MQTT_LENGTH_CACHE_SIZE);
  // PINGREQ and friends have remaining length 0, PUBACK 2 (§3.4.1); a QoS 0 PUBLISH on topic "t"
  // is 2 (topic length) + 1 (topic) + payload (§3.3.2): every length from 3 up.
  mqttPacket.writeToStream({ cmd: 'puback', messageId: 1 }, sink);
  for (let length = 3; length < MQTT_LENGTH_CACHE_SIZE; length++) {
    mqttPacket.writeToStream({ cmd: 'publish', topic: 't', payload: payload.subarray(0, length - 3), qos: 0, dup: false, retain: false }, sink);
  }
}
