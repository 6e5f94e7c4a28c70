import { executionAt } from '../../../../devkit/sandbox/codepipeline/pipeline-stages';

/** Where a sandbox CodePipeline execution stands at a given time (stages 10 ms each from 0). */
describe('sandbox CodePipeline stages over time', () => {
  const execution = { startMs: 0, stages: ['Source', 'Build', 'Deploy'], stageMs: 10 };
  const statuses = (nowMs: number, extra = {}) =>
    executionAt({ ...execution, ...extra }, nowMs).actions.map((a) => `${a.stage} ${a.status}`);

  it('runs the stages one after the other', () => {
    expect(executionAt(execution, 15).status).toBe('InProgress');
    expect(statuses(15)).toEqual(['Source Succeeded', 'Build InProgress']);
    expect(executionAt(execution, 30).status).toBe('Succeeded');
  });

  it('a failing stage fails the execution; later stages never start', () => {
    expect(executionAt({ ...execution, failStage: 'Build' }, 100).status).toBe('Failed');
    expect(statuses(100, { failStage: 'Build' })).toEqual(['Source Succeeded', 'Build Failed']);
  });

  it('a stop with abandon stops at once; without, the running stage finishes first (Stopping)', () => {
    const abandon = { stop: { atMs: 12, abandon: true } };
    expect(executionAt({ ...execution, ...abandon }, 13).status).toBe('Stopped');
    expect(statuses(13, abandon)).toEqual(['Source Succeeded', 'Build Abandoned']);
    const wait = { stop: { atMs: 12, abandon: false } };
    expect(executionAt({ ...execution, ...wait }, 15).status).toBe('Stopping');
    expect(executionAt({ ...execution, ...wait }, 25).status).toBe('Stopped');
    expect(statuses(25, wait)).toEqual(['Source Succeeded', 'Build Succeeded']);
  });
});
