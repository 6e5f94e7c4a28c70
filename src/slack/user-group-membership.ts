import type { WebClient } from '@slack/web-api';
import type { RedisClient } from '../util/redis-client';
import type { Logger } from '../log/logger';
import { classifySlackError } from '../notify/slack-error';

/**
 * Which Slack user groups (S...) a user is in, for the access rules that name user groups.
 *
 * Slack answers the other way round (usergroups.users.list: the members of one group, Tier 2,
 * about 20 calls a minute), so the members of each group are fetched and kept in Redis for
 * `cacheSeconds`, where every bot and worker process finds them: one call per group per
 * period for the whole deployment, however many people run commands. Concurrent misses in one
 * process share one call.
 *
 * Bounded in time: a group whose members are not known within `timeoutMs` is reported
 * `unresolved` and counts as "not a member" (fail closed); the call still completes in the
 * background and fills the cache for the next request.
 */

export interface UnresolvedUserGroup {
  id: string;
  /** Why its members are not known, e.g. `timed out after 1000 ms`, `ratelimited`. */
  reason: string;
}

export interface UserGroupLookup {
  /** The groups, among those asked about, that the user is in. */
  memberOf: string[];
  unresolved: UnresolvedUserGroup[];
}

export interface UserGroupMembershipOptions {
  cacheSeconds: number;
  logger: Logger;
}

/** How long a request waits for Slack to name a user group's members (the ack has 3 s in all). */
export const USER_GROUP_LOOKUP_MS = 1000;

const NOTHING: UserGroupLookup = { memberOf: [], unresolved: [] };

export class UserGroupMembership {
  private readonly inFlight = new Map<string, Promise<string[]>>();

  constructor(
    private readonly slack: Pick<WebClient, 'usergroups'>,
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly options: UserGroupMembershipOptions,
  ) {}

  private key(usergroup: string): string {
    return `${this.prefix}:usergroup:${usergroup}:members`;
  }

  /** Which of `usergroups` the user is in, known within `timeoutMs`. Never throws. */
  async lookUp(
    userId: string,
    usergroups: readonly string[],
    timeoutMs: number,
  ): Promise<UserGroupLookup> {
    if (usergroups.length === 0) return NOTHING;
    const limit = Math.max(0, Math.round(timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`timed out after ${limit} ms`), limit);
    });
    try {
      const cached = await this.cached(usergroups);
      // Per group: its members, or why they are not known.
      const answers = await Promise.all(
        usergroups.map((id, i) =>
          cached[i] !== undefined
            ? cached[i]
            : Promise.race([
                this.fetch(id).catch(
                  (error: unknown) => `Slack: ${classifySlackError(error).reason}`,
                ),
                deadline,
              ]),
        ),
      );
      const lookup: UserGroupLookup = { memberOf: [], unresolved: [] };
      answers.forEach((answer, i) => {
        const id = usergroups[i]!;
        if (typeof answer === 'string') lookup.unresolved.push({ id, reason: answer });
        else if (answer.includes(userId)) lookup.memberOf.push(id);
      });
      return lookup;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Members from Redis, per group (undefined: not cached, or Redis did not answer). */
  private async cached(usergroups: readonly string[]): Promise<(string[] | undefined)[]> {
    try {
      const values = await this.redis.mget(...usergroups.map((id) => this.key(id)));
      return values.map((value) => (value === null ? undefined : (JSON.parse(value) as string[])));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'user group cache not readable; asking Slack');
      return usergroups.map(() => undefined);
    }
  }

  /** Asks Slack (one call per group at a time in this process) and caches the answer. */
  private fetch(usergroup: string): Promise<string[]> {
    const pending = this.inFlight.get(usergroup);
    if (pending) return pending;
    const call = this.ask(usergroup).finally(() => this.inFlight.delete(usergroup));
    this.inFlight.set(usergroup, call);
    return call;
  }

  private async ask(usergroup: string): Promise<string[]> {
    let members: string[];
    try {
      const answer = await this.slack.usergroups.users.list({ usergroup });
      members = answer.users ?? [];
    } catch (error) {
      // A group that does not exist has no members: a definite answer, cached like one.
      if (classifySlackError(error).reason !== 'no_such_subteam') {
        this.options.logger.warn({ err: error, usergroup }, 'user group members not looked up');
        throw error;
      }
      this.options.logger.warn(
        { usergroup },
        'the access policy names a user group Slack does not know',
      );
      members = [];
    }
    await this.redis
      .set(this.key(usergroup), JSON.stringify(members), 'EX', this.options.cacheSeconds)
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error, usergroup }, 'user group members not cached'),
      );
    return members;
  }
}

/**
 * Why user-group grants were not applied, for a refusal (empty when every group was known).
 * Slack mrkdwn, one sentence.
 */
export function describeUnresolved(lookup: UserGroupLookup): string {
  if (lookup.unresolved.length === 0) return '';
  const groups = lookup.unresolved.map((u) => `${u.id} (${u.reason})`).join(', ');
  const which = lookup.unresolved.length === 1 ? 'group' : 'groups';
  return `Slack could not tell in time whether you are in user ${which} ${groups}, so grants through user groups were not applied (grants to you by user id were); trying again in a moment may work.`;
}
