import { readdirSync, readFileSync } from 'node:fs';

/**
 * Peak resident memory of a process and all its descendants together (a procedure's node process
 * plus the mariadb-dump and mariadb it pipes, say), sampled from /proc at an interval: a child's
 * own maxRSS would miss the grandchildren. Linux only.
 */
export interface TreeRssSampler {
  /** Stops sampling; returns the highest sum seen, in bytes. */
  stop(): number;
}

export function sampleTreeRss(rootPid: number, intervalMs: number): TreeRssSampler {
  let peak = 0;
  const sample = () => {
    const total = descendantsAndSelf(rootPid).reduce((sum, pid) => sum + residentBytes(pid), 0);
    peak = Math.max(peak, total);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

function descendantsAndSelf(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...childrenOf(found[i]!));
  return found;
}

function childrenOf(pid: number): number[] {
  try {
    // Children are listed per thread of the parent.
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((word) => word !== '')
        .map(Number),
    );
  } catch {
    return []; // gone meanwhile
  }
}

function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
