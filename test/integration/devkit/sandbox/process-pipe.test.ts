import { spawn } from 'node:child_process';
import { pipeProcesses } from '../../../../devkit/sandbox/process-pipe';

const producer = (script: string) =>
  spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
const consumer = (script: string) =>
  spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });

describe('pipeProcesses', () => {
  it('runs producer | consumer and gives both exit codes', async () => {
    const load = consumer('wc -l');
    let out = '';
    load.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await expect(pipeProcesses(producer('seq 1 50000'), load)).resolves.toEqual({
      producerCode: 0,
      consumerCode: 0,
      stderr: '',
    });
    expect(out.trim()).toBe('50000');
  });

  it('ends when the consumer dies first, however much the producer still had to write', async () => {
    // `yes` never ends by itself: before, it blocked on the full pipe and this never resolved.
    const result = await pipeProcesses(
      producer('yes'),
      consumer('head -c 100000 >/dev/null; echo gone >&2; exit 3'),
    );
    expect(result.consumerCode).toBe(3);
    expect(result.producerCode).not.toBe(0);
    expect(result.stderr).toContain('gone');
  }, 10_000);

  it('reports a failing producer and collects both stderrs', async () => {
    const result = await pipeProcesses(
      producer('echo some; echo broken >&2; exit 2'),
      consumer('cat >/dev/null; echo read >&2'),
    );
    expect(result).toMatchObject({ producerCode: 2, consumerCode: 0 });
    expect(result.stderr).toContain('broken');
    expect(result.stderr).toContain('read');
  });

  it('rejects when a process cannot start', async () => {
    const missing = spawn('/nonexistent/producer', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    await expect(pipeProcesses(missing, consumer('cat >/dev/null'))).rejects.toThrow(/ENOENT/);
  });
});
