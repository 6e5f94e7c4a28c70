import { z } from 'zod';
import { ErrorCode, OpsdeckError } from '../errors';
import { environmentRefProblem } from './deploy-ref';
import {
  PLACEHOLDERS,
  templateProblems,
  type CommandTemplate,
  type Placeholder,
} from './command-template';

/**
 * The `deploy` section: what `/deploy <app> <env>` runs where. Optional: without it there is
 * nothing to deploy.
 *
 *   deploy:
 *     apps:
 *       shop:
 *         environments:
 *           production:
 *             targets:
 *               ec2: { tags: { app: shop, env: production } }   # running instances only
 *             command: [ssh, '{host}', sudo, /opt/shop/deploy, '{ref:sh}']
 *             pre: [/opt/opsdeck/announce-freeze, '{app}', '{env}', '{ref}']
 *             concurrency: 5
 *             batchPauseSeconds: 30
 *             failureThreshold: 2
 *             hostTimeoutSeconds: 900
 *             defaultRef: main
 *           staging:
 *             targets: { hosts: [stg-web01.internal, 10.0.8.12] }
 *             shell: true
 *             command: 'cd /srv/shop && ./deploy --ref {ref} --host {host} 2>&1'
 *           preview:   # a pipeline: no command per host
 *             targets: { codebuild: { project: shop-deploy, environmentVariables: { ENV: '{env}' } } }
 *           release:
 *             targets: { codepipeline: { pipeline: shop-release, ref: { variable: REF } } }
 *
 * `command`, `pre` and `post` are templates (see command-template.ts): an array of strings run
 * without a shell, or, with `shell: true`, one string for `/bin/sh -c` whose placeholder values
 * are shell-quoted. `pre` and `post` run once per deploy (before the first host, after the
 * last), so they have no `{host}`.
 */

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const nameMessage = 'must be 1-63 of a-z, 0-9, _ and - (starting with a letter or digit)';
export const deployName = z.string().regex(NAME, nameMessage);

/** A host name or IPv4/IPv6 address; never starting with `-`, so no program reads it as an option. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$/;
export const hostName = z.string().max(253).regex(HOST, 'must be a host name or an IP address');

/** `tag:<key>` values: an instance matches when each key has one of the listed values. */
const tagFilters = z
  .record(
    z.string().min(1).max(128),
    z.union([z.string().min(1).max(256), z.array(z.string().min(1).max(256)).min(1)]),
  )
  .refine((tags) => Object.keys(tags).length > 0, 'name at least one tag to select instances by')
  .transform(
    (tags) =>
      Object.fromEntries(
        Object.entries(tags).map(([k, v]) => [k, typeof v === 'string' ? [v] : v]),
      ) as Record<string, string[]>,
  );

/** Values with `{ref}`, `{app}` and `{env}` (no `{host}`), by environment variable name. */
const variableTemplates = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a variable name'),
    z.string().max(1000),
  )
  .superRefine((values, ctx) => {
    for (const [name, value] of Object.entries(values)) {
      const unknown = /\{(?!(?:ref|app|env)\})[^{}]*\}/.exec(value);
      if (unknown)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `unknown placeholder ${unknown[0]} (known: {ref}, {app}, {env})`,
        });
    }
  })
  .default({});

/** How often a running build or pipeline execution is looked at. */
const pollSeconds = z.number().min(0.1).max(300).default(10);

/**
 * CodeBuild: StartBuild of `project` with the ref as its source version (a branch, tag or commit
 * of its source repository) and `environmentVariables` as overrides; its phases are followed with
 * BatchGetBuilds every `pollSeconds`.
 */
const CodeBuildTarget = z.strictObject({
  project: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'must be a CodeBuild project name'),
  environmentVariables: variableTemplates,
  pollSeconds,
});

/**
 * CodePipeline: StartPipelineExecution of `pipeline`, the ref passed either as a pipeline variable
 * (`ref: { variable: REF }`, declared by the pipeline) or as a source revision override of its
 * source action (`ref: { sourceAction: Source, revisionType: COMMIT_ID }`); `variables` are
 * passed too. Its stages are followed with GetPipelineExecution and ListActionExecutions every
 * `pollSeconds`.
 */
const CodePipelineTarget = z.strictObject({
  pipeline: z.string().regex(/^[A-Za-z0-9.@_-]{1,100}$/, 'must be a CodePipeline pipeline name'),
  ref: z.union(
    [
      z.strictObject({ variable: z.string().regex(/^[A-Za-z0-9@\-_]{1,128}$/) }),
      z.strictObject({
        sourceAction: z.string().regex(/^[A-Za-z0-9.@\-_]{1,100}$/),
        revisionType: z
          .enum(['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY'])
          .default('COMMIT_ID'),
      }),
    ],
    { error: 'ref must be { variable: <name> } or { sourceAction: <action>, revisionType? }' },
  ),
  variables: variableTemplates,
  pollSeconds,
});

export const DeployTargets = z.union(
  [
    z.strictObject({
      /** Running EC2 instances with all of these tags (values: one or a list of alternatives). */
      ec2: z.strictObject({
        tags: tagFilters,
        /** What `{host}` is for each instance. */
        address: z.enum(['privateIp', 'privateDnsName', 'instanceId']).default('privateIp'),
      }),
    }),
    z.strictObject({
      hosts: z
        .array(hostName)
        .min(1, 'list at least one host')
        .refine((hosts) => new Set(hosts).size === hosts.length, 'lists a host twice'),
    }),
    z.strictObject({ codebuild: CodeBuildTarget }),
    z.strictObject({ codepipeline: CodePipelineTarget }),
  ],
  {
    error:
      'targets must be one of { ec2: { tags: {...} } }, { hosts: [...] }, { codebuild: { project } } or { codepipeline: { pipeline, ref } }',
  },
);
export type DeployTargets = z.infer<typeof DeployTargets>;
export type PipelineTarget = Extract<
  DeployTargets,
  { codebuild: unknown } | { codepipeline: unknown }
>;

/** The environment deploys by starting a CodeBuild build or a CodePipeline execution. */
export const isPipelineTarget = (targets: DeployTargets): targets is PipelineTarget =>
  'codebuild' in targets || 'codepipeline' in targets;

/** Pre and post commands run once: every placeholder but `{host}`. */
const ONCE: readonly Placeholder[] = PLACEHOLDERS.filter((p) => p !== 'host');

const templateText = z.union([z.string().min(1), z.array(z.string()).min(1)]);

export const DeployEnvironment = z
  .strictObject({
    targets: DeployTargets,
    /** Run `command`, `pre` and `post` by `/bin/sh -c` (each a single string). Off unless asked for. */
    shell: z.boolean().default(false),
    /** Per host: `{host}`, `{ref}`, `{app}`, `{env}`. Required with hosts, refused with a pipeline. */
    command: templateText.optional(),
    /** Once, before the first host. */
    pre: templateText.optional(),
    /** Once, after the last host (when the rollout was not stopped). */
    post: templateText.optional(),
    /** Hosts at a time. */
    concurrency: z.number().int().min(1).max(256).default(1),
    /** When set: hosts go in batches of `concurrency`, with this pause between batches. */
    batchPauseSeconds: z.number().min(0).max(3600).optional(),
    /** No new host starts once this many hosts have failed. */
    failureThreshold: z.number().int().min(1).default(1),
    /** A host's command is stopped (SIGTERM, then SIGKILL) after this long; also pre and post. */
    hostTimeoutSeconds: z
      .number()
      .min(1)
      .max(24 * 3600)
      .default(600),
    /**
     * What a ref must look like here, as a regular expression the whole ref must match (say
     * '^v[0-9]+[.][0-9]+[.][0-9]+$' for release tags only); git's rules for a ref name when
     * unset. Either way a ref is 1-255 characters, has no invisible or bidirectional control
     * character and does not start with -.
     */
    refPattern: z
      .string()
      .min(1)
      .max(500)
      .transform((source, ctx) => {
        try {
          return new RegExp(`^(?:${source})$`, 'u');
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            message: `is not a regular expression: ${(error as Error).message}`,
          });
          return z.NEVER;
        }
      })
      .optional(),
    /** The ref when the request names none. */
    defaultRef: z.string().min(1).max(255).optional(),
    /**
     * Promotion gates: a ref is deployed here only once a deploy of it succeeded in each of these
     * environments of the same app (say `[staging]` for production).
     */
    requireSucceededIn: z
      .array(deployName)
      .refine((envs) => new Set(envs).size === envs.length, 'lists an environment twice')
      .default([]),
    /**
     * A canary batch first: this many hosts (or this percentage of them, rounded up: '10%'), run
     * alone; any of them failing stops the rollout. Then `canaryPauseSeconds`, then the rest.
     */
    canary: z
      .union([
        z.number().int().min(1),
        z
          .string()
          .regex(/^(?:100|[1-9][0-9]?)(?:[.][0-9]+)?%$/, "a percentage of the hosts, like '10%'"),
      ])
      .optional(),
    canaryPauseSeconds: z.number().min(0).max(86_400).default(0),
    /**
     * Run after each host's command succeeded: a failed check is a failed host. `command` (a
     * template like `command`, with `{host}`) exits 0 when healthy; `url` (`{host}` and the others
     * URL-encoded) answers 2xx. Each attempt is stopped after `timeoutSeconds`; `retries` more
     * attempts, `retryDelaySeconds` apart.
     */
    healthCheck: z
      .strictObject({
        command: templateText.optional(),
        url: z.string().min(1).max(2000).optional(),
        timeoutSeconds: z.number().min(0.1).max(600).default(10),
        retries: z.number().int().min(0).max(100).default(2),
        retryDelaySeconds: z.number().min(0).max(600).default(2),
      })
      .refine((check) => (check.command === undefined) !== (check.url === undefined), {
        error: 'give either command or url',
      })
      .optional(),
    /**
     * When the rollout fails: deploy again, on the hosts it had run on, the ref each ran before
     * (from the history), and report both outcomes.
     */
    autoRollback: z.boolean().default(false),
  })
  .superRefine((env, ctx) => {
    if (isPipelineTarget(env.targets)) {
      // A pipeline runs what it is configured to run: nothing here runs per host.
      for (const field of ['command', 'pre', 'post', 'healthCheck', 'canary'] as const)
        if (env[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: 'is for hosts; a codebuild or codepipeline target runs the pipeline only',
          });
      if (env.autoRollback)
        ctx.addIssue({
          code: 'custom',
          path: ['autoRollback'],
          message: 'is for hosts; roll a pipeline back with /deploy rollback',
        });
    } else if (env.command === undefined)
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'is required with hosts' });
    if (env.defaultRef !== undefined) {
      const problem = environmentRefProblem(env.defaultRef, env);
      if (problem) ctx.addIssue({ code: 'custom', path: ['defaultRef'], message: problem });
    }
    const check = (field: 'command' | 'pre' | 'post', allowed: readonly Placeholder[]) => {
      const raw = env[field];
      if (raw === undefined) return;
      if (env.shell && typeof raw !== 'string') {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'with shell: true, write the command as one string',
        });
        return;
      }
      if (!env.shell && typeof raw === 'string') {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message:
            'must be a list of arguments (run without a shell); for a shell command line say shell: true',
        });
        return;
      }
      for (const message of templateProblems(toTemplate(raw, env.shell), allowed))
        ctx.addIssue({ code: 'custom', path: [field], message });
    };
    check('command', PLACEHOLDERS);
    check('pre', ONCE);
    check('post', ONCE);
    const health = env.healthCheck;
    if (health?.command !== undefined) {
      if (env.shell !== (typeof health.command === 'string'))
        ctx.addIssue({
          code: 'custom',
          path: ['healthCheck', 'command'],
          message: env.shell
            ? 'with shell: true, write the command as one string'
            : 'must be a list of arguments (run without a shell), like command',
        });
      else
        for (const message of templateProblems(toTemplate(health.command, env.shell), PLACEHOLDERS))
          ctx.addIssue({ code: 'custom', path: ['healthCheck', 'command'], message });
    }
    if (health?.url !== undefined) {
      const problem = healthUrlProblem(health.url);
      if (problem) ctx.addIssue({ code: 'custom', path: ['healthCheck', 'url'], message: problem });
    }
  })
  .transform(({ command, pre, post, healthCheck, ...rest }) => ({
    ...rest,
    ...(command !== undefined && { command: toTemplate(command, rest.shell) }),
    ...(pre !== undefined && { pre: toTemplate(pre, rest.shell) }),
    ...(post !== undefined && { post: toTemplate(post, rest.shell) }),
    ...(healthCheck !== undefined && {
      healthCheck: {
        timeoutSeconds: healthCheck.timeoutSeconds,
        retries: healthCheck.retries,
        retryDelaySeconds: healthCheck.retryDelaySeconds,
        ...(healthCheck.command !== undefined
          ? { command: toTemplate(healthCheck.command, rest.shell) }
          : { url: healthCheck.url! }),
      },
    }),
  }));
export type DeployEnvironment = z.infer<typeof DeployEnvironment>;

/** A health-check URL with its placeholders: an http(s) URL whatever their values. */
function healthUrlProblem(url: string): string | undefined {
  const unknown = /\{(?!(?:host|ref|app|env)\})[^{}]*\}/.exec(url);
  if (unknown) return `unknown placeholder ${unknown[0]} (known: {host}, {ref}, {app}, {env})`;
  try {
    const parsed = new URL(renderHealthUrl(url, { host: 'h', ref: 'r', app: 'a', env: 'e' }));
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be http or https';
  } catch {
    return 'is not a URL';
  }
  return undefined;
}

/** The health-check URL for a host: each placeholder's value URL-encoded. */
export function renderHealthUrl(url: string, values: Record<Placeholder, string>): string {
  return url.replace(/\{(host|ref|app|env)\}/g, (_, name: Placeholder) =>
    encodeURIComponent(values[name]),
  );
}

/** The per-host command of an environment with hosts (the config requires it there). */
export function hostCommand(env: DeployEnvironment): CommandTemplate {
  if (!env.command)
    throw new OpsdeckError(
      ErrorCode.DeployTargetUnknown,
      'this environment deploys by a pipeline, not by a command per host',
    );
  return env.command;
}

/** How many hosts the canary batch has (0: no canary; never all of them). */
export function canaryCount(canary: number | string | undefined, hosts: number): number {
  if (canary === undefined || hosts < 2) return 0;
  const count = typeof canary === 'number' ? canary : Math.ceil((parseFloat(canary) * hosts) / 100);
  return Math.min(Math.max(count, 1), hosts - 1);
}

function toTemplate(raw: string | string[], shell: boolean): CommandTemplate {
  return shell ? { shell: true, script: String(raw) } : { shell: false, argv: [raw].flat() };
}

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be a MySQL identifier (letters, digits, _; at most 64)');

export const DeployConfig = z.strictObject({
  apps: z.record(
    deployName,
    z.strictObject({
      environments: z
        .record(deployName, DeployEnvironment)
        .refine((envs) => Object.keys(envs).length > 0, 'configure at least one environment')
        .superRefine((envs, ctx) => {
          for (const [name, env] of Object.entries(envs))
            for (const [i, required] of env.requireSucceededIn.entries())
              if (required === name || !Object.hasOwn(envs, required))
                ctx.addIssue({
                  code: 'custom',
                  path: [name, 'requireSucceededIn', i],
                  message:
                    required === name
                      ? 'names the environment itself'
                      : `is not an environment of this app (configured: ${Object.keys(envs).join(', ')})`,
                });
        }),
    }),
  ),
  history: z
    .strictObject({
      /** Database of the history table; `mysql.database` when unset. */
      database: identifier.optional(),
      table: identifier.default('deploy_history'),
    })
    .prefault({}),
  /** Where a host's output is written while its command runs (then kept in the history). */
  outputDir: z.string().min(1).default('.local/deploy-output'),
  /** Hosts' kept output older than this is deleted (the deploys' history rows stay). */
  outputRetentionDays: z.number().int().min(1).max(3650).default(90),
  /**
   * A running deploy's lock expires this long after its last renewal (renewed every third of it
   * while the deploy runs): how long a deploy whose worker died keeps others out.
   */
  lockTtlSeconds: z.number().min(1).max(3600).default(120),
});
export type DeployConfig = z.infer<typeof DeployConfig>;

/** The configured environment, or a coded error naming what exists. */
export function deployEnvironment(
  config: DeployConfig | undefined,
  app: string,
  env: string,
): DeployEnvironment {
  const apps = config?.apps ?? {};
  const appConfig = Object.hasOwn(apps, app) ? apps[app] : undefined;
  if (!appConfig)
    throw new OpsdeckError(
      ErrorCode.DeployTargetUnknown,
      `no app ${JSON.stringify(app)} in the deploy config (configured: ${Object.keys(apps).join(', ') || 'none'})`,
    );
  const envs = appConfig.environments;
  const found = Object.hasOwn(envs, env) ? envs[env] : undefined;
  if (!found)
    throw new OpsdeckError(
      ErrorCode.DeployTargetUnknown,
      `app ${app} has no environment ${JSON.stringify(env)} (configured: ${Object.keys(envs).join(', ')})`,
    );
  return found;
}
