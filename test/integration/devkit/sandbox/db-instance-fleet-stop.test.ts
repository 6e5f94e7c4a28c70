import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MariadbSupervisor, sleep } from '../../../../devkit/sandbox/mariadb-process';
import { DbInstanceFleet } from '../../../../devkit/sandbox/rds/db-instance-fleet';
import { type DbInstanceRecord, StateStore } from '../../../../devkit/sandbox/state-store';

function record(identifier: string): DbInstanceRecord {
  return {
    identifier,
    resourceId: `db-${identifier.toUpperCase()}`,
    dbInstanceClass: 'db.t3.micro',
    engine: 'mysql',
    engineVersion: '8.0.35',
    status: 'available',
    masterUsername: 'admin',
    allocatedStorage: 20,
    address: '127.2.0.1',
    port: 1,
    internalPort: 2,
    serverId: 7,
    createdAt: new Date().toISOString(),
    backupRetentionPeriod: 0,
    vpcSecurityGroupIds: [],
    tags: [],
    publiclyAccessible: false,
    deletionProtection: false,
  };
}

describe('DbInstanceFleet.stop', () => {
  let dir: string;
  let errors: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsdeck-fleet-'));
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    errors.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  function fleetWith(deleteDelayMs: number, stopTasksTimeoutMs: number) {
    const store = new StateStore(join(dir, 'state.json'));
    const fleet = new DbInstanceFleet(store, new MariadbSupervisor(), {
      dataDir: dir,
      createDelayMs: 0,
      backupDelayMs: 0,
      deleteDelayMs,
      binlogRotateIntervalMs: 60_000,
      innodbBufferPoolSize: '16M',
      region: 'us-east-1',
      // Never used: these tests start no server.
      ca: { caFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca-key.pem') },
      requireSecureTransport: true,
      stopTasksTimeoutMs,
    });
    return { store, fleet };
  }

  it('waits for background work that ends in time, and says nothing', async () => {
    const { store, fleet } = fleetWith(100, 5000);
    const gone = record('quick');
    store.state.rds.instances.quick = gone;
    fleet.delete(gone);

    await fleet.stop();
    expect(store.state.rds.instances.quick).toBeUndefined();
    expect(errors).not.toHaveBeenCalled();
  });

  it('does not wait for ever: work still running after the bound is named and left behind', async () => {
    const { store, fleet } = fleetWith(1500, 100);
    const slow = record('slow');
    store.state.rds.instances.slow = slow;
    fleet.delete(slow);

    const started = Date.now();
    await fleet.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(errors).toHaveBeenCalledWith(
      'sandbox: stopped with background work still running after 100 ms: deletion of slow',
    );
    expect(store.state.rds.instances.slow?.status).toBe('deleting'); // redone on the next start
    await sleep(1600); // let the deletion end before the directory goes
  });
});
