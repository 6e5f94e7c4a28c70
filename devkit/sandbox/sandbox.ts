import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, resolve, join } from 'node:path';
import { SandboxAccess } from './access-control';
import { createCodeBuildService } from './codebuild/codebuild-service';
import { createCodePipelineService } from './codepipeline/codepipeline-service';
import { SandboxConfig } from './config';
import { defaultSecurityGroupId } from './ec2/default-security-group';
import { createEc2Service } from './ec2/ec2-service';
import { MariadbSupervisor } from './mariadb-process';
import { DbInstanceFleet } from './rds/db-instance-fleet';
import { createRdsService } from './rds/rds-service';
import { createRoute53Service } from './route53/route53-service';
import { BucketStore } from './s3/bucket-store';
import { createS3Service } from './s3/s3-service';
import { createSandboxServer } from './server';
import { STATE_FILE, StateStore } from './state-store';
import { ensureCertificateAuthority } from './tls-certificates';

/** A connection a DB instance's security groups did not admit. */
export interface RefusedConnection {
  at: Date;
  instance: string;
  client: string;
  reason: string;
}

export interface RunningSandbox {
  /** Base URL for the SDK clients' `endpoint`. */
  url: string;
  /** Absolute data directory (state file, datadirs, binlog archives, the CA). */
  dataDir: string;
  /**
   * The sandbox CA's certificate (`<dataDir>/tls/ca.pem`): every instance's certificate is signed
   * by it, so clients verify instances against it (`tls.caFile`).
   */
  caFile: string;
  /** Every call recorded (IAM action, access key), and actions to deny: see access-control.ts. */
  access: SandboxAccess;
  /** The last connections (up to 200) that security groups refused, oldest first. */
  refusedConnections(): readonly RefusedConnection[];
  /** Stops the HTTP server and every mariadbd the sandbox runs; state stays on disk. */
  stop(): Promise<void>;
}

/** Where the sandbox in `dataDir` keeps its CA's certificate (made at its first start). */
export function sandboxCaFile(dataDir: string): string {
  return join(resolve(dataDir), 'tls', 'ca.pem');
}

/**
 * Starts the sandbox cloud: loads its state, brings back the DB instances that existed, and
 * serves the RDS, EC2, Route53, CodeBuild, CodePipeline and S3 APIs on one port. `port: 0` picks a free port. Each DB
 * instance's endpoint admits only what its security groups allow; `onRefused` hears of the rest.
 */
export async function startSandbox(
  options: Partial<SandboxConfig> = {},
  hooks: { onRefused?: (refused: RefusedConnection) => void } = {},
): Promise<RunningSandbox> {
  const config = SandboxConfig.parse(options);
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const store = new StateStore(join(dataDir, STATE_FILE));
  const ca = await ensureCertificateAuthority(
    dirname(sandboxCaFile(dataDir)),
    'opsdeck sandbox CA',
  );
  const refused: RefusedConnection[] = [];
  const fleet = new DbInstanceFleet(store, new MariadbSupervisor(), {
    ...config,
    dataDir,
    ca,
    onRefused: (instance, client, reason) => {
      const entry = { at: new Date(), instance, client, reason };
      refused.push(entry);
      if (refused.length > 200) refused.shift();
      hooks.onRefused?.(entry);
    },
  });
  await fleet.resume();
  const rds = createRdsService(store, fleet, {
    region: config.region,
    restorableLagMs: config.restorableLagMs,
    defaultSecurityGroupId: () => defaultSecurityGroupId(store),
  });
  const ec2 = createEc2Service(store, { region: config.region, pendingMs: config.createDelayMs });
  const route53 = createRoute53Service(store, { syncDelayMs: config.route53SyncDelayMs });
  const s3 = createS3Service(new BucketStore(join(dataDir, 's3')), { region: config.region });
  const access = new SandboxAccess();
  const codebuild = createCodeBuildService(config.codebuild, { region: config.region });
  const codepipeline = createCodePipelineService(config.codepipeline);
  const server = createSandboxServer(
    { query: [rds, ec2], rest: [route53], json: [codebuild, codepipeline], http: [s3] },
    access,
  );
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(config.port, config.host, done);
    });
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${config.host}:${port}`,
    dataDir,
    caFile: ca.caFile,
    access,
    refusedConnections: () => [...refused],
    async stop() {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await fleet.stop();
    },
  };
}
