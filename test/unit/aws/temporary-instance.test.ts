import fc from 'fast-check';
import { DB_INSTANCE_ID_PATTERN } from '../../../src/config/databases';
import { TAG } from '../../../src/aws/resource-tags';
import { ownedBy, temporaryInstanceName } from '../../../src/aws/temporary-instance';
import { deriveJobId } from '../../../src/queue/job-id';

const JOB = 'restore-table-0123456789';

/** Valid RDS identifiers: 1-63, a letter first, letters/digits/hyphens, no `--`, no trailing `-`. */
const instanceId = fc
  .tuple(
    fc.constantFrom(...'abcxyzABCXYZ'),
    fc.array(
      fc.tuple(
        fc.boolean(),
        fc.string({ unit: fc.constantFrom(...'abz09AZ'), minLength: 1, maxLength: 20 }),
      ),
      { maxLength: 12 },
    ),
  )
  .map(([first, rest]) => first + rest.map(([hyphen, part]) => (hyphen ? '-' : '') + part).join(''))
  .filter((id) => id.length <= 63);

/** Purposes as the jobs use them: lowercase words joined by single hyphens. */
const purpose = fc
  .array(fc.string({ unit: fc.constantFrom(...'abcrst'), minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((words) => words.join('-'));

const jobHex = fc.string({
  unit: fc.constantFrom(...'0123456789abcdef'),
  minLength: 10,
  maxLength: 10,
});

describe('temporaryInstanceName', () => {
  it('names the instance after its source, its purpose and the job', () => {
    expect(temporaryInstanceName('billing-prod-1', 'restore', JOB)).toBe(
      'billing-prod-1-restore-0123456789',
    );
  });

  it('lowercases the source, as RDS stores identifiers', () => {
    expect(temporaryInstanceName('Billing-Prod-1', 'restore', JOB)).toBe(
      'billing-prod-1-restore-0123456789',
    );
  });

  it('shortens a long source to keep the name at 63 characters', () => {
    const name = temporaryInstanceName('a'.repeat(63), 'restore', JOB);
    expect(name).toBe(`${'a'.repeat(44)}-restore-0123456789`);
    expect(name).toHaveLength(63);
  });

  it('drops a hyphen that the shortening leaves at the end of the source, so no `--` appears', () => {
    // 44 characters fit before "-restore-0123456789": the 44th is a hyphen.
    const source = `${'a'.repeat(43)}-${'b'.repeat(19)}`;
    const name = temporaryInstanceName(source, 'restore', JOB);
    expect(name).toBe(`${'a'.repeat(43)}-restore-0123456789`);
    expect(name).toMatch(DB_INSTANCE_ID_PATTERN);
  });

  it('keeps a hyphen that is inside the kept part of the source', () => {
    const source = `${'a'.repeat(42)}-b${'c'.repeat(19)}`;
    expect(temporaryInstanceName(source, 'restore', JOB)).toBe(
      `${'a'.repeat(42)}-b-restore-0123456789`,
    );
  });

  it('takes the ten hex digits at the end of a derived job id', () => {
    const jobId = deriveJobId('restore-table', 'trigger-1');
    expect(temporaryInstanceName('db', 'restore', jobId)).toBe(`db-restore-${jobId.slice(-10)}`);
  });

  it.each(['restore-table', 'restore-table-012345678', 'restore-table-0123456789A', ''])(
    'refuses the job id %j, which does not end in ten lowercase hex digits',
    (jobId) => {
      expect(() => temporaryInstanceName('db', 'restore', jobId)).toThrow(
        `job id without its 10 hex digits: ${jobId}`,
      );
    },
  );

  it.each(['', '-restore', 'restore-', 're--store', 'Restore', 're_store'])(
    'refuses the purpose %j, which would make an invalid identifier',
    (bad) => {
      expect(() => temporaryInstanceName('db', bad, JOB)).toThrow(/purpose/);
    },
  );

  it('refuses a purpose that leaves no room for the source', () => {
    expect(() => temporaryInstanceName('db', 'a'.repeat(51), JOB)).toThrow(/purpose/);
    expect(temporaryInstanceName('db', 'a'.repeat(50), JOB)).toBe(`d-${'a'.repeat(50)}-0123456789`);
  });

  it('always gives a valid RDS identifier of at most 63 characters (property)', () => {
    fc.assert(
      fc.property(instanceId, purpose, jobHex, (source, why, hex) => {
        const name = temporaryInstanceName(source, why, `restore-table-${hex}`);
        expect(name).toMatch(DB_INSTANCE_ID_PATTERN);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toBe(name.toLowerCase());
        expect(name.endsWith(`-${why}-${hex}`)).toBe(true);
        expect(source.toLowerCase().startsWith(name.slice(0, -`-${why}-${hex}`.length))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives every job its own name for the same source (property)', () => {
    fc.assert(
      fc.property(
        instanceId,
        fc.uniqueArray(jobHex, { minLength: 2, maxLength: 20 }),
        (source, hexes) => {
          const names = hexes.map((hex) =>
            temporaryInstanceName(source, 'restore', `restore-table-${hex}`),
          );
          expect(new Set(names).size).toBe(hexes.length);
        },
      ),
    );
  });

  it('gives the same name to the same job every time, so a resumed job finds its instance (property)', () => {
    fc.assert(
      fc.property(instanceId, jobHex, (source, hex) => {
        const jobId = `restore-table-${hex}`;
        expect(temporaryInstanceName(source, 'restore', jobId)).toBe(
          temporaryInstanceName(source, 'restore', jobId),
        );
      }),
    );
  });
});

describe('ownedBy', () => {
  it('is true only for the instance tagged with exactly this job id', () => {
    const tagged = (value?: string) => ({
      DBInstanceIdentifier: 'x',
      TagList: [
        { Key: TAG.purpose, Value: 'restore' },
        ...(value ? [{ Key: TAG.jobId, Value: value }] : []),
      ],
    });
    expect(ownedBy(tagged(JOB), JOB)).toBe(true);
    expect(ownedBy(tagged('restore-table-9999999999'), JOB)).toBe(false);
    expect(ownedBy(tagged(JOB.toUpperCase()), JOB)).toBe(false);
    expect(ownedBy(tagged(), JOB)).toBe(false);
    expect(ownedBy({ DBInstanceIdentifier: 'x' }, JOB)).toBe(false);
  });
});
