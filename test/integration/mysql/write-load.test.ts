import mysql from 'mysql2/promise';
import { createTestDatabase, MYSQL } from '../../helpers/services';
import { createWriteLoad } from '../../helpers/write-load';

describe('write load (test helper)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase('write_load');
    const conn = await mysql.createConnection({ ...MYSQL, database: database.name });
    await conn.query('CREATE TABLE events (id INT PRIMARY KEY, at DATETIME(6) NOT NULL)');
    await conn.end();
  });

  afterAll(() => database.drop());

  const connection = () => ({ ...MYSQL, password: '', database: database.name });

  it('sends the writes that fall due, paced, and counts and times each', async () => {
    const load = createWriteLoad({
      connection: connection(),
      writesPerSecond: 100,
      mix: (n) => ({ sql: 'INSERT INTO events VALUES (?, NOW(6))', values: [n] }),
    });
    load.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stats = await load.stop();

    expect(stats.failed).toBe(0);
    expect(stats.succeeded).toBe(stats.sent);
    // 1.5 s at 100/s: about 150 were due (timers on a loaded machine fire late, never early).
    expect(stats.sent).toBeGreaterThanOrEqual(140);
    expect(stats.sent).toBeLessThanOrEqual(Math.ceil(stats.seconds * 100) + 1);
    expect(stats.latencyMs.max).toBeGreaterThanOrEqual(stats.latencyMs.p99);
    expect(stats.latencyMs.p99).toBeGreaterThanOrEqual(stats.latencyMs.p50);

    const conn = await mysql.createConnection(connection());
    const [rows] = (await conn.query(
      'SELECT COUNT(*) AS n, TIMESTAMPDIFF(MICROSECOND, MIN(at), MAX(at)) AS span FROM events',
    )) as unknown as [{ n: number; span: number }[]];
    await conn.end();
    expect(rows[0]!.n).toBe(stats.sent);
    // Paced over the whole time, not sent in a burst at the start.
    expect(rows[0]!.span).toBeGreaterThan(1_000_000);
  });

  it('counts failed writes and keeps distinct error messages', async () => {
    const load = createWriteLoad({
      connection: connection(),
      writesPerSecond: 50,
      mix: (n) => ({ sql: 'INSERT INTO events VALUES (?, NOW(6))', values: [n % 2] }),
    });
    load.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stats = await load.stop();

    expect(stats.sent).toBeGreaterThan(10);
    expect(stats.succeeded).toBe(0); // ids 0 and 1 exist already
    expect(stats.failed).toBe(stats.sent);
    expect(stats.errorSamples.length).toBeGreaterThan(0);
    expect(stats.errorSamples.every((message) => /Duplicate entry/.test(message))).toBe(true);
  });
});
