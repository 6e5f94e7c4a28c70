import { sleep } from '../util/sleep';
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * Host commands a worker left running when it died. They run in process groups of their own (so a
 * cancel can stop a command and its children), which also means they outlive their worker; a job
 * resumed on another worker process must stop them before it runs those hosts again, or a host
 * would be deployed twice at the same time.
 */
export interface RunningCommand {
  /** The process group id (the command's pid). */
  processGroup: number;
  /** The machine it runs on: only a worker there can stop it. */
  machine: string;
  /** The program, to recognise the process (a pid may have been reused since). */
  program: string;
  startedAt: number;
}

export function runningCommand(processGroup: number, program: string): RunningCommand {
  return { processGroup, machine: hostname(), program, startedAt: Date.now() };
}

export type StopOutcome = 'stopped' | 'killed' | 'already-gone' | 'other-machine' | 'pid-reused';

/**
 * Stops a command a previous worker left running: SIGTERM to its group, SIGKILL after `graceMs`
 * if anything of it is still there. Only on the machine it runs on, and only if its leader still
 * runs `program` (checked in /proc: after a reboot or a long time the id may be someone else's).
 */
export async function stopLeftRunning(
  command: RunningCommand,
  graceMs: number,
  pollMs = 100,
): Promise<StopOutcome> {
  if (command.machine !== hostname()) return 'other-machine';
  const cmdline = await readFile(`/proc/${command.processGroup}/cmdline`, 'utf8').catch(() => null);
  // No leader, or one that exited but was not reaped yet (a zombie: empty command line): what
  // is left of its group, if anything, is still the command's.
  if (cmdline === null || cmdline === '')
    return (await hasLiveMember(command.processGroup))
      ? kill(command, graceMs, pollMs)
      : 'already-gone';
  // A script runs as `/bin/sh <script> ...`: the program is one of the leader's arguments.
  if (!cmdline.split('\0').includes(command.program)) return 'pid-reused';
  return kill(command, graceMs, pollMs);
}

async function kill(
  command: RunningCommand,
  graceMs: number,
  pollMs: number,
): Promise<StopOutcome> {
  if (!signal(command.processGroup, 'SIGTERM')) return 'already-gone';
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await hasLiveMember(command.processGroup))) return 'stopped';
    await sleep(pollMs);
  }
  signal(command.processGroup, 'SIGKILL');
  return 'killed';
}

/** Whether a process other than a zombie is in the group (from /proc/<pid>/stat: pgrp, state). */
async function hasLiveMember(processGroup: number): Promise<boolean> {
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses; split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === processGroup && state !== 'Z') return true;
  }
  return false;
}

function signal(processGroup: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-processGroup, name);
    return true;
  } catch {
    return false;
  }
}
