export { MessageBus, PRIORITIES } from './bus';
export type { BusErrorSink, Handler, Priority, TopicMap } from './bus';
export type { CoreTopics, SymbolQuote } from './topics';
