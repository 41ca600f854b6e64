import { monotonicFactory } from 'ulid';
import { createIdFactory } from '../gateway/core/ids.js';
for (const [name, f] of [['ulid monotonicFactory', monotonicFactory()], ['gridgate createIdFactory', createIdFactory()]] as const) {
  let x = 0; const t = performance.now();
  for (let i = 0; i < 1_000_000; i++) x += f().length;
  console.log(name, ((performance.now() - t) / 1000).toFixed(3), 'µs/id');
}
