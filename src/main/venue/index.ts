export { VenueError } from './errors';
export type { VenueErrorKind } from './errors';
export type { AccountPort, ContractPort, ExecutionPort, MarketDataPort, OrderPort, PositionPort, VenueEventSource } from './ports';
export type * from './types';
