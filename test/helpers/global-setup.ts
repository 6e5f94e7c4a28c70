import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Starts the local Redis and MariaDB (idempotent) before any test file runs. */
export default function globalSetup(): void {
  execFileSync('bash', [join(__dirname, '../../scripts/local-services.sh'), 'start'], {
    stdio: 'inherit',
  });
}
