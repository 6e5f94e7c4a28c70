import type { ChildProcess } from 'node:child_process';

export interface PipeResult {
  producerCode: number | null;
  consumerCode: number | null;
  /** Both processes' stderr, in arrival order. */
  stderr: string;
}

/**
 * `producer | consumer` as a shell runs it: the producer's stdout into the consumer's stdin, both
 * stderrs collected; resolves once both have exited. When the consumer exits first (its server
 * went away, or it had read enough), the read end of the pipe is closed, so the producer's next
 * write fails (SIGPIPE) and it exits too. Node's pipe() alone would only stop reading: a producer
 * blocked on the full pipe would never exit, and whoever waits for it would wait for ever.
 * Both must have been spawned with stdio `pipe` for stdout/stdin and stderr.
 */
export async function pipeProcesses(
  producer: ChildProcess,
  consumer: ChildProcess,
): Promise<PipeResult> {
  const output = producer.stdout!;
  const input = consumer.stdin!;
  // The write that a dying consumer breaks is reported by its exit code, not as an EPIPE error.
  input.on('error', () => undefined);
  output.pipe(input);
  let stderr = '';
  for (const child of [producer, consumer])
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
  const producerExit = exited(producer);
  const consumerExit = exited(consumer).then((code) => {
    output.destroy();
    return code;
  });
  const [producerCode, consumerCode] = await Promise.all([producerExit, consumerExit]);
  return { producerCode, consumerCode, stderr };
}
