import type { AuditEventInput } from '../audit/audit-event';
import type { Logger } from '../log/logger';
import { commandsReceived } from '../metrics/metrics';
import type { AckBudget } from './ack-budget';
import { ephemeral, type EphemeralResponse, type FrontDoorDeps } from './front-door-deps';
import type { ParsedRequest } from './parse-request';
import { md } from '../slack/mrkdwn';

/** The longest the ack waits for an audit append (the rest of the budget is for the work). */
const ADMIT_TIMEOUT_MS = 1000;

/** The audit row every event of one request shares: who, from where, what, on what, with what. */
export function requestEvent(parsed: ParsedRequest) {
  const { requester, command, target, input } = parsed;
  return {
    actor: { id: requester.userId, name: requester.userName },
    channel: { id: requester.channelId, name: requester.channelName },
    command,
    ...(target !== undefined && { target }),
    args: input,
  };
}

/**
 * Stage 4: writes the request's audit event before anything changes. A changing request whose
 * event cannot be written is refused (fail closed), answered with why; a read-only one goes
 * ahead. Resolves with null when admitted.
 */
export type Admit = (
  audited: AuditEventInput,
  readOnly: boolean,
) => Promise<EphemeralResponse | null>;

export function admitter(
  deps: Pick<FrontDoorDeps, 'audit'>,
  parsed: ParsedRequest,
  budget: AckBudget,
  log: Logger,
): Admit {
  const metric = parsed.module.name;
  return async (audited, readOnly) => {
    const admission = await deps.audit.admit(audited, {
      readOnly,
      timeoutMs: Math.min(ADMIT_TIMEOUT_MS, budget.remaining()),
    });
    if (admission.admitted) return null;
    commandsReceived.inc({ command: metric, result: 'audit-unavailable' });
    log.warn(
      { command: parsed.command },
      'changing request refused: the audit trail cannot be written',
    );
    deps.audit
      .recordJobEvent({
        ...requestEvent(parsed),
        type: 'denied',
        detail: { reason: 'audit-unavailable' },
      })
      .catch((error: unknown) => log.error({ err: error }, 'refusal not spooled'));
    return ephemeral(md`:lock: ${admission.message}`);
  };
}
