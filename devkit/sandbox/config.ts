import { z } from 'zod';
import { BUILD_PHASES } from './codebuild/build-phases';

/**
 * The sandbox cloud: where it listens, where it keeps its state and mariadbd data directories,
 * and how long its simulated state transitions take. Every field has a default suited to console
 * mode; tests shorten the delays further.
 */
export const SandboxConfig = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(4566),
  /** State file, template datadir and one datadir per DB instance live here. */
  dataDir: z.string().min(1).default('.local/sandbox'),
  /** Region named in ARNs and availability zones. */
  region: z.string().min(1).default('us-east-1'),
  /** Minimum time an instance stays `creating` (real work may take longer). */
  createDelayMs: z.number().int().min(0).default(1500),
  /** Time a new instance spends `backing-up` before `available` (when backups are on). */
  backupDelayMs: z.number().int().min(0).default(1000),
  /** Time an instance stays `deleting` before it is gone. */
  deleteDelayMs: z.number().int().min(0).default(1000),
  /** Time a Route53 change stays PENDING before INSYNC. */
  route53SyncDelayMs: z.number().int().min(0).default(2000),
  /** LatestRestorableTime lags this far behind now, as on RDS (usually within 5 minutes). */
  restorableLagMs: z.number().int().min(0).default(5000),
  /**
   * How often each instance's binary log is rotated, archived for point-in-time restore and
   * purged according to `binlog retention hours` (RDS does this every 5 minutes).
   */
  binlogRotateIntervalMs: z
    .number()
    .int()
    .min(100)
    .default(5 * 60_000),
  /**
   * Every instance serves TLS with a certificate from the sandbox's CA (`<dataDir>/tls/ca.pem`,
   * made at first start); with this on (the default, as on current RDS) it refuses plain TCP
   * connections (require_secure_transport=ON).
   */
  requireSecureTransport: z.boolean().default(true),
  /** Extra buffer pool per mariadbd; small so many instances fit on a laptop or CI runner. */
  innodbBufferPoolSize: z.string().default('16M'),
  /**
   * CodeBuild projects StartBuild may start, by name: each phase takes `phaseMs`; `failPhase`
   * (say BUILD) fails every build of the project there.
   */
  codebuild: z
    .record(
      z.string().min(2).max(255),
      z.strictObject({
        phaseMs: z.number().int().min(0).default(300),
        failPhase: z.enum(BUILD_PHASES.filter((p) => p !== 'COMPLETED')).optional(),
      }),
    )
    .default({}),
  /**
   * CodePipeline pipelines StartPipelineExecution may start, by name: the stages in order (the
   * first is the source stage), `stageMs` each; `failStage` fails; `variables` the pipeline
   * declares.
   */
  codepipeline: z
    .record(
      z.string().min(1).max(100),
      z
        .strictObject({
          stages: z.array(z.string().min(1)).min(2).default(['Source', 'Build', 'Deploy']),
          stageMs: z.number().int().min(0).default(300),
          failStage: z.string().optional(),
          variables: z.array(z.string().min(1)).default([]),
        })
        .refine((p) => p.failStage === undefined || p.stages.includes(p.failStage), {
          error: 'failStage must be one of the stages',
        }),
    )
    .default({}),
});

export type SandboxConfig = z.infer<typeof SandboxConfig>;
