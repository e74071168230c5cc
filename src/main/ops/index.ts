export {
  createFileLogger,
  createLogger,
  currentCorrelationId,
  LOG_LEVELS,
  newCorrelationId,
  REDACTED_PATHS,
  withCorrelation,
} from './logger';
export type { Logger, LoggerOptions, LogLevel } from './logger';
export { createMetricsRegistry } from './metrics';
export type { Registry } from './metrics';
export { checkReadiness } from './readiness';
export type { DependencyStatus, ReadinessCheck, ReadinessReport } from './readiness';
