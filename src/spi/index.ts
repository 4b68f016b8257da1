/** The adapter-facing interface: the only part of src/ that protocols/ may import. */
export * from './core.js';
export * from './errors.js';
export * from './message.js';
export * from './adapter.js';
export * from './connection-set.js';
export * from './promise-batches.js';
export * from './adapter-config.js';
export * from './time-heap.js';
