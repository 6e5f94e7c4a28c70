import { spawn } from 'node:child_process';
import { pipeProcesses } from '../../devkit/sandbox/process-pipe';
import type { Credentials } from './seed-inputs';

/**
 * `mariadb-dump ... --databases <dbs> | mariadb`: the manual procedure's copy, from one server
 * into another, as two processes joined by a pipe. Passwords reach the tools through MYSQL_PWD in
 * their environment, never their argv (which every user on the host can read in ps).
 */
export interface ServerAccess {
  host: string;
  port: number;
  credentials: Credentials;
}

export async function dumpInto(
  from: ServerAccess,
  to: ServerAccess,
  databases: readonly string[],
): Promise<void> {
  const connect = (server: ServerAccess) => [
    '--no-defaults',
    `--host=${server.host}`,
    `--port=${server.port}`,
    `--user=${server.credentials.user}`,
  ];
  const env = (server: ServerAccess) => ({
    ...process.env,
    MYSQL_PWD: server.credentials.password,
  });
  const dump = spawn(
    'mariadb-dump',
    [
      ...connect(from),
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--databases',
      ...databases,
    ],
    { env: env(from), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const load = spawn('mariadb', connect(to), { env: env(to), stdio: ['pipe', 'ignore', 'pipe'] });
  const {
    producerCode: dumpCode,
    consumerCode: loadCode,
    stderr,
  } = await pipeProcesses(dump, load);
  if (dumpCode !== 0 || loadCode !== 0)
    throw new Error(
      `mariadb-dump | mariadb failed (exit ${dumpCode} | ${loadCode}): ${stderr.trim()}`,
    );
}
