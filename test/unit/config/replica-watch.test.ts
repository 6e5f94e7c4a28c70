import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OpsdeckConfig } from '../../../src/config/schema';
import { ReplicaWatchConfig, watchSchedules } from '../../../src/config/replica-watch';

describe('watchSchedules', () => {
  const defaults = ReplicaWatchConfig.parse({});

  it('every replica on 60 s by default, its own watchSeconds when given, at offsets of their own', () => {
    const schedules = watchSchedules({ b: {}, a: {}, c: { watchSeconds: 15 } }, defaults);
    expect(schedules.map((s) => [s.replica, s.intervalMs])).toEqual([
      ['a', 60_000],
      ['b', 60_000],
      ['c', 15_000],
    ]);
    for (const s of schedules) {
      expect(s.offsetMs).toBeGreaterThanOrEqual(0);
      expect(s.offsetMs).toBeLessThan(s.intervalMs);
    }
    // Spread: the two 60 s replicas do not check at the same moment, and a restart keeps it so.
    expect(schedules[0]!.offsetMs).not.toBe(schedules[1]!.offsetMs);
    expect(watchSchedules({ b: {}, a: {} }, defaults)[0]!.offsetMs).toBe(schedules[0]!.offsetMs);
  });

  it('none when the watch is off', () => {
    expect(watchSchedules({ a: {} }, ReplicaWatchConfig.parse({ enabled: false }))).toEqual([]);
  });

  it('console mode (config/console.yaml) watches its on-premise replica onprem every 5 s', () => {
    // Its `console` and `sandbox` sections are read by the console alone (devkit/dev.ts).
    const raw = parse(
      readFileSync(join(__dirname, '../../../config/console.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    delete raw.console;
    delete raw.sandbox;
    const config = OpsdeckConfig.parse(raw);
    expect(watchSchedules(config.replicas, config.replicaWatch)).toEqual([
      expect.objectContaining({ replica: 'onprem', intervalMs: 5000 }),
    ]);
  });
});
