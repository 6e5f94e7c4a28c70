import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../aws/clients';
import type { OpsdeckConfig } from '../config/schema';
import { describeError, UsageError } from '../errors';
import { anchorPublicKey, intervalMs, type AuditAnchorConfig } from '../config/audit-anchor';
import { createDigestSink } from './anchor/create-digest-sink';
import { generateSigningKeyPair, keyIdOf } from '../config/audit-signing-key';
import { verifyTrail } from './anchor/verify-trail';
import { AuditStore } from './audit-store';
import {
  EXPORT_FORMATS,
  loadTimeline,
  renderTimeline,
  type ExportFormat,
  type ExportRange,
} from './export-timeline';
import { parseTimeArg } from './time-arg';
import { verifyChain } from './verify-chain';

/**
 * `opsdeck audit ...`:
 *   verify                      check the hash chain, and the rows against the signed digests
 *                               when `audit.anchor` is configured; exit 1 naming the first problem
 *   export --since T [--until T] [--actor A] [--command C] [--format md|csv|json] [--output F]
 *   migrate                     apply pending migrations (with an account allowed to)
 *   keygen [--output F]         a new Ed25519 key pair for `audit.anchor` (the private key to F)
 * Exit codes: 0 fine, 1 broken trail or store unavailable, 2 wrong usage.
 */

export const AUDIT_USAGE = [
  'usage: opsdeck audit verify',
  '       opsdeck audit export --since <time> [--until <time>] [--actor <id|name>] [--command <name>]',
  '                            [--format md|csv|json] [--output <file>]',
  '       opsdeck audit migrate',
  '       opsdeck audit keygen [--output <private key file>]',
  '<time>: now, 2025-11-21, 2025-11-21T16:00:00Z, or ago: 90m, 24h, 7d, 2w',
].join('\n');

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  now: () => Date.now(),
};

export async function runAuditCli(
  argv: string[],
  config: OpsdeckConfig,
  io: CliIo = defaultIo,
): Promise<number> {
  let command: () => Promise<number>;
  try {
    command = parseCommand(argv, config, io);
  } catch (error) {
    io.stderr(
      `${describeError(error)}\n${error instanceof UsageError ? error.usage : AUDIT_USAGE}\n`,
    );
    return 2;
  }
  try {
    return await command();
  } catch (error) {
    io.stderr(`opsdeck audit: ${describeError(error)}\n`);
    return 1;
  }
}

function parseCommand(argv: string[], config: OpsdeckConfig, io: CliIo): () => Promise<number> {
  const [sub, ...rest] = argv;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof EXPORT_OPTIONS; strict: true }>>;
  try {
    parsed = parseArgs({
      args: rest,
      options: EXPORT_OPTIONS,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`opsdeck audit: ${(error as Error).message}`, AUDIT_USAGE);
  }
  const given = Object.keys(parsed.values);
  if ((sub === 'verify' || sub === 'migrate') && given.length > 0) {
    throw new UsageError(`opsdeck audit ${sub} takes no options (got --${given[0]})`, AUDIT_USAGE);
  }
  if (sub === 'keygen') {
    const other = given.find((name) => name !== 'output');
    if (other !== undefined) {
      throw new UsageError(
        `opsdeck audit keygen takes only --output (got --${other})`,
        AUDIT_USAGE,
      );
    }
    return async () => keygen(parsed.values.output, io);
  }
  if (sub === 'verify') {
    const anchor = config.audit.anchor;
    return () =>
      withStore(config, io, (store) =>
        anchor ? verifyAnchored(store, anchor, config, io) : verify(store, io),
      );
  }
  if (sub === 'migrate') {
    return () =>
      withStore(config, io, async (store) => {
        const applied = await store.migrate();
        io.stdout(
          applied.length > 0
            ? `applied migrations ${applied.join(', ')}\n`
            : 'audit schema is up to date\n',
        );
        return 0;
      });
  }
  if (sub === 'export') {
    const { range, format, output } = exportOptions(parsed.values, io.now());
    return () =>
      withStore(config, io, async (store) => {
        const text = renderTimeline(await loadTimeline(store, range), format);
        if (output === undefined) io.stdout(text);
        else writeFileSync(output, text);
        return 0;
      });
  }
  throw new UsageError(
    sub === undefined
      ? 'opsdeck audit: which subcommand?'
      : `opsdeck audit: unknown subcommand "${sub}"`,
    AUDIT_USAGE,
  );
}

const EXPORT_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  actor: { type: 'string' },
  command: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
} as const;

function exportOptions(
  values: Partial<Record<keyof typeof EXPORT_OPTIONS, string>>,
  now: number,
): { range: ExportRange; format: ExportFormat; output: string | undefined } {
  if (values.since === undefined)
    throw new UsageError('opsdeck audit export: --since is required', AUDIT_USAGE);
  const time = (name: 'since' | 'until', text: string) => {
    const ms = parseTimeArg(text, now);
    if (ms === null)
      throw new UsageError(`opsdeck audit export: --${name} "${text}" is not a time`, AUDIT_USAGE);
    return ms;
  };
  const since = time('since', values.since);
  const until = values.until === undefined ? now : time('until', values.until);
  if (until <= since)
    throw new UsageError('opsdeck audit export: --until must be after --since', AUDIT_USAGE);
  const format = values.format ?? 'md';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `opsdeck audit export: --format must be md, csv or json, got "${format}"`,
      AUDIT_USAGE,
    );
  }
  const range: ExportRange = { since, until };
  if (values.actor !== undefined) range.actor = values.actor;
  if (values.command !== undefined) range.command = values.command;
  return { range, format: format as ExportFormat, output: values.output };
}

async function verify(store: AuditStore, io: CliIo): Promise<number> {
  const result = await verifyChain(store.rowsInOrder());
  if (result.ok) {
    io.stdout(
      result.head === null
        ? 'audit chain ok: no rows yet\n'
        : `audit chain ok: ${result.rows} rows, head seq ${result.head.seq} hash ${result.head.hash}\n`,
    );
    io.stdout(
      'not anchored (no audit.anchor in the config): rows deleted from the end, or a chain recomputed after an edit, cannot be detected\n',
    );
    return 0;
  }
  io.stdout(
    `audit chain BROKEN after ${result.rows} good rows: ${result.broken.message} [${result.broken.kind}]\n`,
  );
  return 1;
}

async function verifyAnchored(
  store: AuditStore,
  anchor: AuditAnchorConfig,
  config: OpsdeckConfig,
  io: CliIo,
): Promise<number> {
  const publicKey = anchorPublicKey(anchor);
  let s3: ReturnType<typeof createAwsClients>['s3'] | undefined;
  const sink = createDigestSink(anchor, () => (s3 = createAwsClients(config.aws, io.env).s3));
  try {
    const result = await verifyTrail({
      rows: store.rowsInOrder(),
      sink,
      publicKey,
      trail: store.trail,
      prefix: anchor.prefix,
      now: io.now(),
      intervalMs: intervalMs(anchor),
    });
    const lines: string[] = [];
    const { last } = result;
    if (result.problem) {
      lines.push(`audit trail BROKEN: ${result.problem.message} [${result.problem.kind}]`);
      lines.push(
        `checked ${result.digests} digests in ${sink.description} and ${result.rows} rows before the first problem`,
      );
    } else {
      lines.push(
        result.head === null
          ? 'audit trail ok: no rows yet'
          : `audit trail ok: ${result.rows} rows, head seq ${result.head.seq} hash ${result.head.hash}`,
      );
      lines.push(
        last === null
          ? `no digest yet in ${sink.description}`
          : `anchored by ${result.digests} digests in ${sink.description}, signed by key ${keyIdOf(publicKey)}; the last, ${last.at}, anchors row ${last.seq}`,
      );
      if (result.unanchored > 0) {
        lines.push(
          `not yet anchored: ${result.unanchored} rows after row ${last?.seq ?? 0} (nothing outside the database vouches for them until the next digest)`,
        );
      }
    }
    for (const warning of result.warnings) lines.push(`warning: ${warning}`);
    io.stdout(`${lines.join('\n')}\n`);
    return result.ok ? 0 : 1;
  } finally {
    s3?.destroy();
  }
}

function keygen(output: string | undefined, io: CliIo): number {
  const pair = generateSigningKeyPair();
  const config = [
    '# in opsdeck.yaml (the public key: anyone may see it):',
    'audit:',
    '  anchor:',
    `    publicKey: ${pair.publicKey} # key ${pair.keyId}`,
  ];
  if (output === undefined) {
    io.stdout(
      [
        "# the private key, for the workers' environment only (never in the config file or git):",
        `OPSDECK_AUDIT_SIGNING_KEY=${pair.privateKey}`,
        ...config,
        '',
      ].join('\n'),
    );
    return 0;
  }
  writeFileSync(output, `${pair.privateKey}\n`, { mode: 0o600, flag: 'wx' });
  io.stdout(
    [
      `# the private key is in ${output} (mode 600): put its content in the workers' environment`,
      '# as OPSDECK_AUDIT_SIGNING_KEY (audit.anchor.signingKeyEnv), then delete the file',
      ...config,
      '',
    ].join('\n'),
  );
  return 0;
}

async function withStore(
  config: OpsdeckConfig,
  io: CliIo,
  run: (store: AuditStore) => Promise<number>,
): Promise<number> {
  const store = AuditStore.fromConfig(config, io.env);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}
