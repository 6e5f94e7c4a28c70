/**
 * A CodeBuild build's phases, in order (BatchGetBuilds `phases[].phaseType`); COMPLETED is the
 * last, with a start time only.
 */
export const BUILD_PHASES = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED',
] as const;
export type BuildPhase = (typeof BUILD_PHASES)[number];

export interface SimulatedBuild {
  startMs: number;
  /** Each phase before COMPLETED takes this long. */
  phaseMs: number;
  /** This phase fails: the build ends FAILED after it. */
  failPhase?: BuildPhase | undefined;
  /** StopBuild's time: the phase running then ends STOPPED, and the build with it. */
  stoppedAtMs?: number | undefined;
}

export interface PhaseView {
  phaseType: BuildPhase;
  phaseStatus?: 'SUCCEEDED' | 'FAILED' | 'STOPPED';
  startMs: number;
  endMs?: number;
  failed?: boolean;
}

export interface BuildView {
  buildStatus: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';
  currentPhase: BuildPhase;
  phases: PhaseView[];
  endMs?: number;
}

/** Where a build stands at `nowMs`, from when it started, its phases' length and its fault. */
export function buildAt(build: SimulatedBuild, nowMs: number): BuildView {
  const phases: PhaseView[] = [];
  let t = build.startMs;
  for (const phaseType of BUILD_PHASES.slice(0, -1)) {
    const end = t + build.phaseMs;
    const stop = build.stoppedAtMs;
    if (stop !== undefined && stop < end && stop <= nowMs) {
      phases.push({ phaseType, phaseStatus: 'STOPPED', startMs: t, endMs: stop });
      return completed(phases, 'STOPPED', stop);
    }
    if (nowMs < end) {
      phases.push({ phaseType, startMs: t });
      return { buildStatus: 'IN_PROGRESS', currentPhase: phaseType, phases };
    }
    if (phaseType === build.failPhase) {
      phases.push({ phaseType, phaseStatus: 'FAILED', startMs: t, endMs: end, failed: true });
      return completed(phases, 'FAILED', end);
    }
    phases.push({ phaseType, phaseStatus: 'SUCCEEDED', startMs: t, endMs: end });
    t = end;
  }
  return completed(phases, 'SUCCEEDED', t);
}

function completed(
  phases: PhaseView[],
  buildStatus: BuildView['buildStatus'],
  endMs: number,
): BuildView {
  phases.push({ phaseType: 'COMPLETED', startMs: endMs });
  return { buildStatus, currentPhase: 'COMPLETED', phases, endMs };
}
