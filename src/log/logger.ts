import pino, { type Logger } from 'pino';
import { redactText, redactValue } from './redact';

export type { Logger };

/**
 * JSON logs (pino). Every string that reaches a line goes through the redaction layer; a job's
 * lines carry `jobId` and `step` through child loggers (see `jobLogger`).
 */
export function createLogger(
  level: string,
  name = 'opsdeck',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      name,
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      // redactValue turns errors into plain, redacted {type, message, stack, ...} objects, so
      // pino's own err serializer (which would see a plain object) is replaced by identity.
      formatters: { log: (object) => redactValue(object) },
      serializers: { err: (value: unknown) => value },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

export function jobLogger(logger: Logger, jobId: string, step?: string): Logger {
  return logger.child(step ? { jobId, step } : { jobId });
}
