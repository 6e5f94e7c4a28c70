import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

interface CpuSample {
  at: number;
  busy: number;
  total: number;
}

/** The machine's CPU time counters now (all cores, in clock ticks), from /proc/stat. */
function readCpu(): CpuSample {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { at: Date.now(), busy, total: busy + idle! + iowait! };
}

export interface MachineCpu {
  /** How many cores were busy on average between two instants (epoch ms): 0 to `cores`. */
  busyCores(from: number, to: number): number;
  readonly cores: number;
  stop(): void;
}

/**
 * Samples the whole machine's CPU every `intervalMs` while a benchmark runs, so a phase's time can
 * be told apart as waiting (few cores busy) or bound by the machine (all of them).
 */
export function sampleMachineCpu(intervalMs = 250): MachineCpu {
  const samples: CpuSample[] = [readCpu()];
  const timer = setInterval(() => samples.push(readCpu()), intervalMs);
  timer.unref();
  const cores = availableParallelism();
  return {
    cores,
    busyCores(from, to) {
      const inside = samples.filter((sample) => sample.at >= from && sample.at <= to);
      const first = inside[0];
      const last = inside[inside.length - 1];
      if (!first || !last || last.total === first.total) return NaN;
      return ((last.busy - first.busy) / (last.total - first.total)) * cores;
    },
    stop: () => clearInterval(timer),
  };
}
