export { BrokerCore, type CoreConfig, type CoreStats, type DestinationStats } from './broker-core.js';
