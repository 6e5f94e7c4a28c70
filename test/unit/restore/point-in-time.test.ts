import fc from 'fast-check';
import { AT_FORMATS, parsePointInTime, type PointInTime } from '../../../src/restore/point-in-time';
import { isoSeconds } from '../../../src/util/time';

const NOW = new Date('2025-11-21T16:00:00.750Z');
const NOW_SECONDS = Date.parse('2025-11-21T16:00:00Z');
const LINK = 'https://acme.slack.com/archives/C0123ABCD/p1763740800123456';
/** The message of LINK was posted at 1763740800.123456 = 2025-11-21T16:00:00.123456Z. */
const BEFORE_LINK = '2025-11-21T15:59:59.000Z';

function at(result: PointInTime): string {
  if ('error' in result) throw new Error(`expected a time, got the error "${result.error}"`);
  return result.at.toISOString();
}

function error(result: PointInTime): string {
  if (!('error' in result)) throw new Error(`expected an error, got ${result.at.toISOString()}`);
  return result.error;
}

describe('parsePointInTime', () => {
  describe('ISO-8601', () => {
    it.each([
      ['2025-11-21T15:59:30Z', '2025-11-21T15:59:30.000Z'],
      ['2025-11-21T15:59:30z', '2025-11-21T15:59:30.000Z'],
      ['2025-11-21t15:59:30Z', '2025-11-21T15:59:30.000Z'],
      ['2025-11-21 15:59:30', '2025-11-21T15:59:30.000Z'],
      ['2025-11-21T15:59', '2025-11-21T15:59:00.000Z'],
      ['2025-11-21 15:59:30+01:00', '2025-11-21T14:59:30.000Z'],
      ['2025-11-21T15:59:30+0100', '2025-11-21T14:59:30.000Z'],
      ['2025-11-21T15:59:30-05:30', '2025-11-21T21:29:30.000Z'],
      ['2025-11-21T15:59:30-0530', '2025-11-21T21:29:30.000Z'],
      ['2025-11-21T00:30:00+01:00', '2025-11-20T23:30:00.000Z'],
      ['2025-12-31T23:30:00-01:00', '2026-01-01T00:30:00.000Z'],
      ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
      ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
      ['  2025-11-21T15:59:30Z\n', '2025-11-21T15:59:30.000Z'],
    ])('reads %j as %s', (text, expected) => {
      const result = parsePointInTime(text, NOW);
      expect(at(result)).toBe(expected);
      expect(result).toMatchObject({ from: 'iso' });
    });

    it.each([
      ['2025-11-21T15:59:30.999Z', '2025-11-21T15:59:30.000Z'],
      ['2025-11-21T15:59:30.5+01:00', '2025-11-21T14:59:30.000Z'],
      ['2025-11-21T15:59:30.123456789Z', '2025-11-21T15:59:30.000Z'],
      ['1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59.000Z'],
    ])('drops the fraction of a second of %j (rounds down, never up)', (text, expected) => {
      expect(at(parsePointInTime(text, NOW))).toBe(expected);
    });

    it('keeps the year of a date before year 100 instead of moving it to the 1900s', () => {
      expect(at(parsePointInTime('0025-11-21T15:59:30Z', NOW))).toBe('0025-11-21T15:59:30.000Z');
      expect(at(parsePointInTime('0000-02-29T00:00:00Z', NOW))).toBe('0000-02-29T00:00:00.000Z');
    });

    it.each([
      '2025-02-30T10:00:00Z',
      '2025-02-29T10:00:00Z',
      '1900-02-29T10:00:00Z',
      '2025-04-31T10:00:00Z',
      '2025-13-01T10:00:00Z',
      '2025-00-10T10:00:00Z',
      '2025-11-00T10:00:00Z',
      '2025-11-21T24:00:00Z',
      '2025-11-21T23:60:00Z',
      '2025-11-21T23:59:60Z',
    ])('rejects %j, which is no real date and time', (text) => {
      expect(error(parsePointInTime(text, NOW))).toBe('is not a valid date and time');
    });

    it.each(['2025-11-21T15:59:30+15:00', '2025-11-21T15:59:30-1500', '2025-11-21T15:59:30+01:60'])(
      'rejects %j, whose offset does not exist',
      (text) => {
        expect(error(parsePointInTime(text, NOW))).toBe('has an offset that does not exist');
      },
    );

    it.each([
      '2025-11-21',
      '2025-11-21T15',
      '2025-11-21T15:59:30+01',
      '2025-11-21T15:59:30 +01:00',
      '2025-11-21T15:59:30.Z',
      '2025-11-21T15:59:30.1234567890Z',
      '25-11-21T15:59:30Z',
      '2025/11/21 15:59:30',
      '2025-11-21T15:59:30Z garbage',
    ])('refuses the malformed %j with the list of accepted formats', (text) => {
      expect(error(parsePointInTime(text, NOW))).toBe(`must be ${AT_FORMATS}`);
    });

    it('reads back every time isoSeconds printed, to the same instant (property)', () => {
      fc.assert(
        fc.property(
          fc.date({
            min: new Date('0000-01-01T00:00:00Z'),
            max: new Date('9999-12-31T23:59:59Z'),
            noInvalidDate: true,
          }),
          (date) => {
            const result = parsePointInTime(isoSeconds(date), NOW);
            expect(at(result)).toBe(
              new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString(),
            );
          },
        ),
      );
    });

    it('reads a local time with an offset as the same instant as its UTC form (property)', () => {
      fc.assert(
        fc.property(
          fc.date({
            min: new Date('1000-01-01T00:00:00Z'),
            max: new Date('9000-12-31T23:59:59Z'),
            noInvalidDate: true,
          }),
          fc.integer({ min: -(14 * 60 + 59), max: 14 * 60 + 59 }),
          fc.boolean(),
          (date, offsetMinutes, colon) => {
            const local = new Date(date.getTime() + offsetMinutes * 60_000);
            const sign = offsetMinutes < 0 ? '-' : '+';
            const hh = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
            const mm = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
            const text = `${local.toISOString().slice(0, 23)}${sign}${hh}${colon ? ':' : ''}${mm}`;
            expect(at(parsePointInTime(text, NOW))).toBe(
              new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString(),
            );
          },
        ),
      );
    });
  });

  describe('relative', () => {
    it.each([
      ['15m ago', 15 * 60_000],
      ['90s ago', 90_000],
      ['2h ago', 2 * 3_600_000],
      ['2d ago', 2 * 86_400_000],
      ['1h30m ago', 90 * 60_000],
      ['1h 30m ago', 90 * 60_000],
      ['1d2h3m4s ago', 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000],
      ['15M AGO', 15 * 60_000],
      ['0h5m ago', 5 * 60_000],
      ['  15m ago  ', 15 * 60_000],
    ])('reads %j as now minus %d ms, to the whole second', (text, ms) => {
      const result = parsePointInTime(text, NOW);
      expect(at(result)).toBe(new Date(NOW_SECONDS - ms).toISOString());
      expect(result).toMatchObject({ from: 'relative' });
    });

    it.each(['0m ago', '0s ago', '0h0m ago', '000d ago'])(
      'rejects %j, which is not in the past',
      (text) => {
        expect(error(parsePointInTime(text, NOW))).toBe('must be some time ago (like 15m ago)');
      },
    );

    it.each([
      '15m',
      'ago',
      '15 ago',
      '15 m ago',
      '-15m ago',
      '15m from now',
      '1.5h ago',
      '15w ago',
      '1h2m3s4s5m ago',
      '1234567m ago',
      'in 15m',
    ])('refuses %j with the list of accepted formats', (text) => {
      expect(error(parsePointInTime(text, NOW))).toBe(`must be ${AT_FORMATS}`);
    });

    it('equals now minus the sum of its parts, floored to the second (property)', () => {
      const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(
              fc.integer({ min: 0, max: 999_999 }),
              fc.constantFrom('s', 'm', 'h', 'd', 'S', 'M', 'H', 'D'),
            ),
            { minLength: 1, maxLength: 4 },
          ),
          fc.integer({ min: 0, max: 4_102_444_800_000 }),
          fc.constantFrom('', ' '),
          (parts, nowMs, gap) => {
            const text = `${parts.map(([n, u]) => `${n}${u}`).join(gap)} ago`;
            const sum = parts.reduce(
              (total, [n, u]) => total + n * unitMs[u.toLowerCase() as keyof typeof unitMs],
              0,
            );
            const result = parsePointInTime(text, new Date(nowMs));
            if (sum === 0) expect(error(result)).toMatch(/some time ago/);
            else
              expect(result).toEqual({
                at: new Date(Math.floor((nowMs - sum) / 1000) * 1000),
                from: 'relative',
              });
          },
        ),
      );
    });
  });

  describe('Slack message link', () => {
    it.each([
      [LINK],
      [`${LINK}?thread_ts=1763740700.000100&cid=C0123ABCD`],
      [`${LINK}?thread_ts=1763740700.000100&amp;cid=C0123ABCD`],
      [`<${LINK}>`],
      [`<${LINK}|the message>`],
      [`<${LINK}?thread_ts=1763740700.000100&amp;cid=C0123ABCD|${LINK}>`],
      ['https://acme.enterprise.slack.com/archives/C0123ABCD/p1763740800123456'],
      ['https://acme.slack.com/archives/D0123ABCD/p1763740800123456'],
      ['HTTPS://ACME.SLACK.COM/archives/c0123abcd/P1763740800123456'],
    ])('reads %s as one second before the message, to the whole second', (text) => {
      const result = parsePointInTime(text, NOW);
      expect(at(result)).toBe(BEFORE_LINK);
      expect(result).toMatchObject({ from: 'slack-link' });
    });

    it('takes the message time, not the thread time, of a reply in a thread', () => {
      const reply = `${LINK}?thread_ts=1700000000.000100`;
      expect(at(parsePointInTime(reply, NOW))).toBe(BEFORE_LINK);
    });

    it('puts a message posted exactly on a second one whole second earlier', () => {
      const text = 'https://acme.slack.com/archives/C0123ABCD/p1763740800000000';
      expect(at(parsePointInTime(text, NOW))).toBe(BEFORE_LINK);
    });

    it.each([
      'http://acme.slack.com/archives/C0123ABCD/p1763740800123456',
      'https://acme.slack.com.evil.example/archives/C0123ABCD/p1763740800123456',
      'https://slack.com/archives/C0123ABCD/p1763740800123456',
      'https://acme.slack.com/archives/C0123ABCD/p176374080012345',
      'https://acme.slack.com/archives/C0123ABCD/p17637408001234567',
      'https://acme.slack.com/archives/C0123ABCD/1763740800123456',
      'https://acme.slack.com/archives/C0123ABCD',
      'https://acme.slack.com/archives/C0123ABCD/p1763740800123456 extra',
      'https://acme.slack.com/archives/C-123/p1763740800123456',
    ])('refuses %s, which is not a message link', (text) => {
      expect(error(parsePointInTime(text, NOW))).toBe(`must be ${AT_FORMATS}`);
    });
  });

  it.each(['', '   ', 'yesterday', 'now', '1763740800', 'tomorrow at noon'])(
    'refuses %j, naming every accepted format',
    (text) => {
      const message = error(parsePointInTime(text, NOW));
      expect(message).toMatch(/ISO-8601/);
      expect(message).toMatch(/15m ago/);
      expect(message).toMatch(/Slack message link/);
    },
  );

  it('never throws, and gives either an error or a valid time in whole seconds (property)', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.stringMatching(
        /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/,
      ),
      fc.stringMatching(/^(\d{1,6}[smhd] ?){1,4} ?ago$/),
      fc.stringMatching(
        /^<?https:\/\/[a-z]{1,8}\.slack\.com\/archives\/[A-Z0-9]{2,12}\/p\d{16}(\?[a-z_=.&;0-9]*)?(\|[^>]*)?>?$/,
      ),
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 4_102_444_800_000 }), (input, nowMs) => {
        const result = parsePointInTime(input, new Date(nowMs));
        if ('error' in result) {
          expect(typeof result.error).toBe('string');
          expect(result.error.length).toBeGreaterThan(0);
        } else {
          expect(Number.isFinite(result.at.getTime())).toBe(true);
          expect(Math.abs(result.at.getTime() % 1000)).toBe(0);
          expect(['iso', 'relative', 'slack-link']).toContain(result.from);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
