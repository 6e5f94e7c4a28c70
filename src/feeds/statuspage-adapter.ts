import { z } from 'zod';
import { ErrorCode, FeedError } from '../errors';
import { assertJsonWithinLimits } from './content-limits';
import type { FeedIncident } from './feed-incident';
import { isFinishedStatus } from './feed-incident';
import { IMPACTS, type Impact } from '../config/feeds';

/**
 * Atlassian Statuspage's public JSON API (v2): `/api/v2/incidents.json` (the 50 most recent
 * incidents, unresolved or not) and `/api/v2/scheduled-maintenances.json`. Only the fields the
 * relay uses are validated; anything else in the document is ignored.
 */

export const STATUSPAGE_PATHS = ['/api/v2/incidents.json', '/api/v2/scheduled-maintenances.json'];

/** The documents a `statuspage` feed reads, from the page's address. */
export function statuspageUrls(pageUrl: string): string[] {
  return STATUSPAGE_PATHS.map((path) => `${pageUrl}${path}`);
}

const time = z
  .string()
  .max(64)
  .refine((text) => Number.isFinite(Date.parse(text)), 'is not a time');

const Update = z.object({
  id: z.string().min(1).max(200),
  status: z.string().max(64),
  body: z.string().max(200_000).nullable().default(''),
  created_at: time,
  display_at: time.nullish(),
});

const Component = z.object({ name: z.string().max(500) });

const Incident = z.object({
  id: z.string().min(1).max(200),
  name: z.string().max(2000),
  status: z.string().max(64),
  impact: z.string().max(64).nullish(),
  shortlink: z.string().max(2000).nullish(),
  created_at: time,
  started_at: time.nullish(),
  scheduled_for: time.nullish(),
  scheduled_until: time.nullish(),
  components: z.array(Component).max(1000).nullish(),
  incident_updates: z.array(Update).max(1000),
});

const IncidentsDocument = z.object({ incidents: z.array(Incident).max(1000) });
const MaintenancesDocument = z.object({ scheduled_maintenances: z.array(Incident).max(1000) });

/** Whether a document's text looks like Statuspage JSON (for `kind: auto`). */
export function looksLikeJson(text: string): boolean {
  return /^\s*[{[]/.test(text);
}

/** Parses incidents.json or scheduled-maintenances.json; rejects anything else. */
export function parseStatuspage(text: string): FeedIncident[] {
  assertJsonWithinLimits(text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FeedError(ErrorCode.FeedInvalid, 'not valid JSON (truncated?)', { cause: error });
  }
  const maintenances =
    json !== null && typeof json === 'object' && 'scheduled_maintenances' in json;
  const result = (maintenances ? MaintenancesDocument : IncidentsDocument).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new FeedError(
      ErrorCode.FeedInvalid,
      `not a Statuspage incidents or scheduled-maintenances document${where}`,
      { cause: result.error },
    );
  }
  const document = result.data;
  return 'incidents' in document
    ? document.incidents.map((incident) => toIncident(incident, 'incident'))
    : document.scheduled_maintenances.map((incident) => toIncident(incident, 'maintenance'));
}

function toIncident(raw: z.infer<typeof Incident>, kind: FeedIncident['kind']): FeedIncident {
  const status = raw.status.toLowerCase();
  const startedAt = Date.parse(
    (kind === 'maintenance' ? raw.scheduled_for : raw.started_at) ?? raw.created_at,
  );
  const updates = raw.incident_updates
    .map((update) => ({
      id: update.id,
      status: update.status.toLowerCase(),
      body: update.body ?? '',
      at: Date.parse(update.display_at ?? update.created_at),
    }))
    .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  return {
    id: raw.id,
    kind,
    title: raw.name,
    status,
    resolved: isFinishedStatus(status),
    impact: toImpact(raw.impact),
    components: (raw.components ?? []).map((component) => component.name),
    ...(raw.shortlink ? { link: raw.shortlink } : {}),
    startedAt,
    ...(kind === 'maintenance' && raw.scheduled_until
      ? { scheduledUntil: Date.parse(raw.scheduled_until) }
      : {}),
    updates,
  };
}

/** Statuspage's impacts; a maintenance's `maintenance` (and anything unknown) has none. */
function toImpact(impact: string | null | undefined): Impact | null {
  return (IMPACTS as readonly string[]).includes(impact ?? '') ? (impact as Impact) : null;
}
