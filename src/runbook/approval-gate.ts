import type { Mrkdwn } from '../slack/mrkdwn';
import type { JobMeta } from './job-envelope';
import type { PlanStep } from './plan-of';

/** What a runbook asks a second person to approve mid-run (an `approval` step). */
export interface ApprovalPlan {
  /** One line: what will happen, e.g. "merge into production billing.invoices". */
  summary: Mrkdwn;
  steps: PlanStep[];
  /** What the planner checked and found (a preflight), shown above the plan. */
  findings?: Mrkdwn[];
}

/** The waiting step, as the gate sees it: its job, its durable state and its thread. */
export interface ApprovalWait {
  meta: JobMeta;
  /** The job's input, as the approval's audit rows show it. */
  input: Record<string, unknown>;
  state: Readonly<Record<string, unknown>>;
  remember(values: Record<string, unknown>): Promise<void>;
  say(text: Mrkdwn): Promise<void>;
  /** Cancellation: aborts the wait (the approval stays as it is). */
  signal: AbortSignal;
  /** Where in the state this approval's id lives (one approval per key). */
  stateKey: string;
}

/**
 * Asks for approval and waits for the decision: resolves with the approver's Slack id; rejects
 * (not retried) on a rejection or an expiry. Provided by the approvals layer; the engine only
 * pauses the step's timeout around it.
 */
export interface ApprovalGate {
  awaitApproval(wait: ApprovalWait, plan: ApprovalPlan): Promise<string>;
}
