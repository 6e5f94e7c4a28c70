/**
 * The engine's durable record of a job, saved into the BullMQ job data after every transition.
 * Everything the engine needs to resume after a crash is here.
 */
export type Outcome = 'succeeded' | 'failed' | 'cancelled';

export interface Checkpoint {
  startedAt: number;
  /** Steps finished, in order. */
  completed: string[];
  /** Steps that were started and have a cleanup, in start order: their cleanups will run. */
  armed: string[];
  cleanedUp: string[];
  state: Record<string, unknown>;
  phase: 'steps' | 'cleanup' | 'done';
  outcome?: Outcome;
  error?: string;
  /** How many times the job was started (1 + resumes after a crash). */
  runs: number;
}

export function newCheckpoint(now: number): Checkpoint {
  return {
    startedAt: now,
    completed: [],
    armed: [],
    cleanedUp: [],
    state: {},
    phase: 'steps',
    runs: 0,
  };
}
