export { JournalStore, type JournalStats } from './journal-store.js';
export type { JournalLogger, JournalOptions } from './journal-options.js';
export type { SyncPolicy } from './group-commit.js';
export { nodeIo, type JournalIo } from './journal-io.js';
export { recoverJournal, type Recovered, type RecoveryOptions, type RecoveryReport } from './recovery.js';
