import { formatDuration } from '../util/duration';

/**
 * Turns raw progress reports into lines worth posting: percent, rate-based ETA, and at most one
 * line per interval (the last report, 100 %, always gets through), never the same counts twice.
 */
export interface ProgressLine {
  done: number;
  total: number;
  percent: number;
  etaMs: number | null;
  unit: string;
}

export class ProgressMeter {
  private lastEmit = -Infinity;
  private last: { done: number; total: number } | null = null;

  constructor(
    private readonly startedAt: number,
    private readonly intervalMs: number,
  ) {}

  report(done: number, total: number, unit = '', now = Date.now()): ProgressLine | null {
    const finished = total > 0 && done >= total;
    if (this.last?.done === done && this.last.total === total) return null;
    if (!finished && now - this.lastEmit < this.intervalMs) return null;
    this.lastEmit = now;
    this.last = { done, total };
    const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
    const elapsed = now - this.startedAt;
    const etaMs =
      done > 0 && total > done
        ? Math.round((elapsed / done) * (total - done))
        : finished
          ? 0
          : null;
    return { done, total, percent, etaMs, unit };
  }
}

export function formatProgress(line: ProgressLine): string {
  const unit = line.unit ? ` ${line.unit}` : '';
  const counts = `${line.done.toLocaleString('en-US')}/${line.total.toLocaleString('en-US')}${unit}`;
  const eta =
    line.etaMs === null ? '' : line.etaMs === 0 ? '' : `, ETA ${formatDuration(line.etaMs)}`;
  return `${line.percent}% (${counts}${eta})`;
}
