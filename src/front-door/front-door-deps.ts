import type { KnownBlock } from '@slack/types';
import type { ApprovalDeps } from '../approvals/approval-flow';
import type { EmergencyReviews } from '../approvals/emergency-reviews';
import type { AuditStore } from '../audit/audit-store';
import type { AwsClients } from '../aws/clients';
import type { CommandRegistry } from '../command/command-registry';
import type { FeedStatus } from '../command/define-command';
import type { DeployServices } from '../deploy/deploy-services';
import { redactText } from '../log/redact';
import type { Block } from '../slack/blocks';
import type { Mrkdwn } from '../slack/mrkdwn';
import type { DatabaseAccess } from '../mysql/database-access';
import type { ReplicaHealthView } from '../replicas/replica-health-view';

/** What the front door works with, built once per bot process. */
export interface FrontDoorDeps extends ApprovalDeps {
  commands: CommandRegistry;
  /** The audit trail, for commands that read it (`/ops audit`). */
  auditStore: AuditStore;
  /** AWS clients for planners that read what exists (the zone's records before `/phz add`). */
  aws: AwsClients;
  /** The configured databases, for planners that look at a table before planning. */
  databases: DatabaseAccess;
  /** `/deploy`'s locks and history (with a `deploy` config section). */
  deploys?: DeployServices;
  /** The status feeds and their state, for `/ops feeds`. */
  feeds: FeedStatus;
  /** The replicas' health, for `/seed-slave status` and `/ops replicas`. */
  replicas: ReplicaHealthView;
  /** The reviews of emergencies that ran without their approval (break glass). */
  reviews: EmergencyReviews;
  /** Upper bound on the work before the ack; Slack gives up after 3 s. */
  ackBudgetMs?: number;
}

/** The fields of Slack's slash command payload that opsdeck reads. */
export interface SlashCommandPayload {
  command: string;
  text: string;
  user_id: string;
  user_name: string;
  channel_id: string;
  channel_name: string;
  team_id: string;
  trigger_id: string;
}

/** The ephemeral answer Slack shows the requester (the body of the ack). */
export interface EphemeralResponse {
  response_type: 'ephemeral';
  text: string;
  blocks?: KnownBlock[];
}

/** The ack's body: text from the rendering layer, redacted. */
export function ephemeral(text: Mrkdwn, blocks?: Block[]): EphemeralResponse {
  const safe = redactText(text.text);
  return blocks
    ? { response_type: 'ephemeral', text: safe, blocks }
    : { response_type: 'ephemeral', text: safe };
}
