/**
 * The promise hot-path operations return when they finished synchronously (a non-persistent send
 * or settlement): the SPI allows an already-resolved promise, and sharing one saves an allocation
 * per message. Core code may compare against it to skip attaching handlers that cannot run.
 */
export const RESOLVED: Promise<void> = Promise.resolve();
