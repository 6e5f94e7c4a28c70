import {
  REPLICA_COMMAND_ACTION_ID,
  incidentRootBlocks,
  isReplicaButtonCommand,
} from '../../../src/replicas/replica-alert-messages';
import type { Incident } from '../../../src/replicas/replica-health';
import { blockKitViolations } from '../../../devkit/slack/block-kit-limits';

const HEALTH = { replica: 'onprem', source: 'billing' };
const AT = Date.UTC(2026, 11, 4, 12, 0, 0);

function incident(kind: Incident['kind'], more: Partial<Incident> = {}): Incident {
  return {
    family: kind === 'margin' ? 'margin' : 'replication',
    kind,
    severity: 'warning',
    title: `${kind} on onprem`,
    diagnostics: ['a fact'],
    actions: ['a command'],
    signature: kind,
    ...more,
  };
}

/** The buttons of a root: label → the command it carries. */
function buttons(blocks: ReturnType<typeof incidentRootBlocks>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const block of blocks as { type: string; elements?: Record<string, unknown>[] }[])
    for (const element of block.elements ?? []) {
      expect(element.action_id).toBe(REPLICA_COMMAND_ACTION_ID);
      found[(element.text as { text: string }).text] = element.value as string;
    }
  return found;
}

describe('replica alert buttons', () => {
  it('a short margin offers Raise retention with its command, and Mute', () => {
    const blocks = incidentRootBlocks(
      incident('margin', { raiseRetention: '/seed-slave retention billing --hours 168' }),
      AT,
      HEALTH,
    );
    expect(buttons(blocks)).toEqual({
      'Raise retention': '/seed-slave retention billing --hours 168',
      'Mute 4 h': '/seed-slave mute onprem --hours 4',
    });
    expect(blockKitViolations(blocks, 'message')).toEqual([]);
  });

  it('error 1236 offers Reseed and Mute, no Raise retention', () => {
    expect(buttons(incidentRootBlocks(incident('binlog-gone'), AT, HEALTH))).toEqual({
      Reseed: '/seed-slave billing onprem',
      'Mute 4 h': '/seed-slave mute onprem --hours 4',
    });
  });

  it('a lagging replica offers only Mute', () => {
    expect(Object.keys(buttons(incidentRootBlocks(incident('lag'), AT, HEALTH)))).toEqual([
      'Mute 4 h',
    ]);
  });

  it('only the commands the alerts carry ride on a button', () => {
    for (const value of [
      '/seed-slave billing onprem',
      '/seed-slave mute onprem --hours 4',
      '/seed-slave retention billing --hours 168',
    ])
      expect(isReplicaButtonCommand(value)).toBe(true);
    for (const value of [
      '/seed-slave retention billing --hours 1',
      '/seed-slave retention billing',
      '/seed-slave mute onprem --hours 24',
      '/seed-slave billing onprem --databases mysql',
      '/deploy billing prod v1',
      '/ops cancel 1',
      '/seed-slave billing onprem\n/ops cancel 1',
      '/seed-slave Billing onprem',
    ])
      expect(isReplicaButtonCommand(value)).toBe(false);
  });
});
