/** npm run bench:ids — µs per ULID: ulid's monotonicFactory against gridgate's factory (core/ids.ts). */
import { loadavg } from 'node:os';
import { monotonicFactory } from 'ulid';
import { createIdFactory } from '../gateway/core/ids.js';

console.log(
  `# bench:ids — node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const [name, make] of [
  ['ulid monotonicFactory', monotonicFactory()],
  ['gridgate createIdFactory', createIdFactory()],
] as const) {
  let chars = 0;
  const t = performance.now();
  for (let i = 0; i < 1_000_000; i++) chars += make().length;
  console.log(`  ${name}: ${((performance.now() - t) / 1000).toFixed(3)} µs/id (${chars / 1e6} chars each)`);
}
