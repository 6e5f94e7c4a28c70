import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const SOURCE = join(__dirname, 'bind-source-address.c');

/**
 * The environment that makes a process's outgoing loopback connections leave from `address`
 * (see bind-source-address.c), built once into `dir` with the machine's C compiler (`cc`, from
 * Debian's gcc; scripts/local-services.sh installs it).
 */
export async function sourceAddressEnv(
  dir: string,
  address: string,
): Promise<Record<string, string>> {
  const library = join(dir, 'bind-source-address.so');
  if (!existsSync(library)) {
    await mkdir(dir, { recursive: true });
    const building = `${library}.${process.pid}.tmp`;
    try {
      await execFileAsync('cc', ['-shared', '-fPIC', '-O2', '-o', building, SOURCE, '-ldl']);
    } catch (error) {
      throw new Error(
        `cannot build ${SOURCE} (is a C compiler installed? \`apt-get install gcc libc6-dev\`): ${(error as Error).message}`,
      );
    }
    await rename(building, library);
  }
  return { LD_PRELOAD: library, OPSDECK_SOURCE_ADDRESS: address };
}
