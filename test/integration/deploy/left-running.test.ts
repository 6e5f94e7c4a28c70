import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { runningCommand, stopLeftRunning } from '../../../src/deploy/left-running';

/** Starts `sh -c script` in a process group of its own, as the host runner does. */
function startGroup(script: string) {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, command: runningCommand(child.pid!, '/bin/sh') };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('commands a dead worker left running', () => {
  it('stops a running command and its children with SIGTERM', async () => {
    const { exited, command } = startGroup('sleep 30 & wait');
    expect(await stopLeftRunning(command, 5000)).toBe('stopped');
    await exited;
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const { exited, command } = startGroup("trap '' TERM; while :; do sleep 0.05; done");
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the trap be set
    expect(await stopLeftRunning(command, 300)).toBe('killed');
    await exited;
    expect(alive(command.processGroup)).toBe(false);
  });

  it('leaves alone a command that has ended, a process id now running something else, another machine', async () => {
    const ended = startGroup('exit 0');
    await ended.exited;
    expect(await stopLeftRunning(ended.command, 1000)).toBe('already-gone');

    const other = startGroup('sleep 30');
    try {
      expect(await stopLeftRunning({ ...other.command, program: 'ssh' }, 1000)).toBe('pid-reused');
      expect(alive(other.command.processGroup)).toBe(true);
      expect(await stopLeftRunning({ ...other.command, machine: `not-${hostname()}` }, 1000)).toBe(
        'other-machine',
      );
      expect(alive(other.command.processGroup)).toBe(true);
    } finally {
      process.kill(-other.command.processGroup, 'SIGKILL');
      await other.exited;
    }
  });
});
