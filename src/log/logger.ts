import pino, { type Logger } from 'pino';
import { redactText, redactValue } from './redact';

export type { Logger };

/**
 * JSON logs (pino). Every string that reaches a line goes through the redaction layer; a job's
 * lines carry `jobId` and `step` through child loggers (see `jobLogger`).
 */
export function createLogger(level: string, name = 'opsdeck', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => redactValue(object) },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
      serializers: { err: (err: unknown) => redactValue(pino.stdSerializers.err(err as Error)) },
    },
    destination,
  );
}

export function jobLogger(logger: Logger, jobId: string, step?: string): Logger {
  return logger.child(step ? { jobId, step } : { jobId });
}
