import { buildAt } from '../../../../devkit/sandbox/codebuild/build-phases';

/** Where a sandbox CodeBuild build stands at a given time (its phases 10 ms each from 0). */
describe('sandbox CodeBuild phases over time', () => {
  const build = { startMs: 0, phaseMs: 10 };

  it('runs the phases in order, one at a time, then COMPLETED', () => {
    const early = buildAt(build, 25);
    expect(early.buildStatus).toBe('IN_PROGRESS');
    expect(early.currentPhase).toBe('PROVISIONING');
    expect(early.phases.map((p) => [p.phaseType, p.phaseStatus])).toEqual([
      ['SUBMITTED', 'SUCCEEDED'],
      ['QUEUED', 'SUCCEEDED'],
      ['PROVISIONING', undefined],
    ]);
    const done = buildAt(build, 1000);
    expect(done).toMatchObject({ buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', endMs: 100 });
    expect(done.phases).toHaveLength(11);
    expect(done.phases.at(-1)).toEqual({ phaseType: 'COMPLETED', startMs: 100 });
  });

  it('a failing phase ends the build FAILED there', () => {
    const failed = buildAt({ ...build, failPhase: 'BUILD' }, 1000);
    expect(failed).toMatchObject({ buildStatus: 'FAILED', endMs: 70 });
    expect(failed.phases.at(-2)).toMatchObject({ phaseType: 'BUILD', phaseStatus: 'FAILED' });
    // Before it fails, BUILD runs like any phase.
    expect(buildAt({ ...build, failPhase: 'BUILD' }, 65).buildStatus).toBe('IN_PROGRESS');
  });

  it('a stop ends the running phase STOPPED at the stop, and the build with it', () => {
    const stopped = buildAt({ ...build, stoppedAtMs: 42 }, 50);
    expect(stopped).toMatchObject({ buildStatus: 'STOPPED', endMs: 42 });
    expect(stopped.phases.at(-2)).toEqual({
      phaseType: 'INSTALL',
      phaseStatus: 'STOPPED',
      startMs: 40,
      endMs: 42,
    });
  });
});
