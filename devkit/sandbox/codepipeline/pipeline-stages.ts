/**
 * Where a CodePipeline execution stands: its stages run one after the other, `stageMs` each, one
 * action per stage (named as its stage); `failStage` fails. StopPipelineExecution with `abandon`
 * abandons the running action at once (the execution is Stopped); without it the execution is
 * Stopping until that action ends, then Stopped.
 */
export interface SimulatedExecution {
  startMs: number;
  stages: readonly string[];
  stageMs: number;
  failStage?: string | undefined;
  stop?: { atMs: number; abandon: boolean } | undefined;
}

export type ActionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
export type ExecutionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Stopping' | 'Stopped';

export interface ActionView {
  stage: string;
  status: ActionStatus;
  startMs: number;
  lastUpdateMs: number;
}

export interface ExecutionView {
  status: ExecutionStatus;
  actions: ActionView[];
}

export function executionAt(execution: SimulatedExecution, nowMs: number): ExecutionView {
  const actions: ActionView[] = [];
  const { stop } = execution;
  for (const [index, stage] of execution.stages.entries()) {
    const start = execution.startMs + index * execution.stageMs;
    const end = start + execution.stageMs;
    if (stop && start > stop.atMs) return { status: 'Stopped', actions };
    if (nowMs < start) break;
    if (stop && stop.abandon && end > stop.atMs) {
      actions.push({ stage, status: 'Abandoned', startMs: start, lastUpdateMs: stop.atMs });
      return { status: 'Stopped', actions };
    }
    if (nowMs < end) {
      actions.push({ stage, status: 'InProgress', startMs: start, lastUpdateMs: nowMs });
      return { status: stop ? 'Stopping' : 'InProgress', actions };
    }
    if (stage === execution.failStage) {
      actions.push({ stage, status: 'Failed', startMs: start, lastUpdateMs: end });
      return { status: 'Failed', actions };
    }
    actions.push({ stage, status: 'Succeeded', startMs: start, lastUpdateMs: end });
    if (stop && end > stop.atMs) return { status: 'Stopped', actions };
  }
  return {
    status: actions.length === execution.stages.length ? 'Succeeded' : 'InProgress',
    actions,
  };
}
