// The bus carries the stream's topics (src/shared/topics.ts): the core's name for that contract.
import type { StreamTopics } from '../../shared';

export type { SymbolQuote } from '../../shared';

export type CoreTopics = StreamTopics;
