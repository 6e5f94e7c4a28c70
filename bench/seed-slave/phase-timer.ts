import type { PhaseTime } from './seed-inputs';

/** Times named phases in order; each phase's time is recorded even when it throws. */
export class PhaseTimer {
  readonly phases: PhaseTime[] = [];

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  async phase<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.log(`${name} ...`);
    try {
      return await work();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.phases.push({ name, seconds });
      this.log(`${name}: ${seconds.toFixed(1)} s`);
    }
  }

  get seconds(): number {
    return this.phases.reduce((sum, phase) => sum + phase.seconds, 0);
  }
}
