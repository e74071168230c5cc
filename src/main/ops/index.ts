export {
  CORRELATION_ID_PATTERN,
  createFileLogger,
  createLogger,
  createRecordLogger,
  currentCorrelationId,
  LOG_LEVELS,
  newCorrelationId,
  REDACTED_PATHS,
  relog,
  withCorrelation,
  withoutCorrelation,
} from './logger';
export type { Logger, LoggerOptions, LogLevel, LogRecord } from './logger';
export { createMetricsRegistry } from './metrics';
export type { Registry } from './metrics';
export { checkReadiness } from './readiness';
export type { DependencyStatus, ReadinessCheck, ReadinessReport } from './readiness';
export { failpoint } from './failpoints';
export { answerOps, OPS_PATHS, sendResponse } from './http';
export type { OpsEndpoints } from './http';
