import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics object per function, created once at init.
 * Log lines carry ids (referral, person, approval) as the correlation that follows a young person's path,
 * never names, e-mails, phone numbers or free text.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parcours' });
/** Metrics carry the stage as a dimension: dev and prod may share an account, and alarms watch one stage. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'CoopConnexionParcours',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'parcours',
  ...(process.env.STAGE ? { defaultDimensions: { stage: process.env.STAGE } } : {}),
});

/** Puts the path's correlation ids on every following log line of this invocation. */
export function correlate(ids: { personId?: string; referralId?: string; approvalId?: string }): void {
  logger.appendKeys(Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined)));
}

/**
 * Publishes this invocation's metrics (as CloudWatch embedded metric format) when there are any; Powertools'
 * own middleware would log a warning on every invocation that records none, such as reads.
 */
export const flushMetrics = () => {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};
