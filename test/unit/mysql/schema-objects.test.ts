import { ErrorCode } from '../../../src/errors';
import { disabledOnReplica, withoutEventStatus } from '../../../src/mysql/schema-objects';
import { parseServerFlavor } from '../../../src/mysql/server-flavor';

const MARIADB = parseServerFlavor('10.11.19-MariaDB-0+deb12u1-log');
const MYSQL_80 = parseServerFlavor('8.0.35');
const MYSQL_84 = parseServerFlavor('8.4.3-log');

const event = (status: string, rest = "COMMENT 'x y' DO DELETE FROM t") =>
  "CREATE DEFINER=`root`@`localhost` EVENT `nightly` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' " +
  `ON COMPLETION NOT PRESERVE ${status} ${rest}`;

describe('schema objects', () => {
  it('creates every event disabled on the replica, in the spelling the destination knows', () => {
    for (const status of ['ENABLE', 'DISABLE', 'DISABLE ON SLAVE', 'DISABLE ON REPLICA']) {
      expect(disabledOnReplica(event(status), MARIADB, 'shop.nightly')).toBe(
        event('DISABLE ON SLAVE'),
      );
      expect(disabledOnReplica(event(status), MYSQL_80, 'shop.nightly')).toBe(
        event('DISABLE ON SLAVE'),
      );
      expect(disabledOnReplica(event(status), MYSQL_84, 'shop.nightly')).toBe(
        event('DISABLE ON REPLICA'),
      );
    }
    // Without a comment; a body that happens to contain the same words stays as it is.
    const body = "DO INSERT INTO log VALUES ('ON COMPLETION NOT PRESERVE ENABLE DO')";
    expect(disabledOnReplica(event('ENABLE', body), MARIADB, 'shop.nightly')).toBe(
      event('DISABLE ON SLAVE', body),
    );
    expect(withoutEventStatus(event('ENABLE'))).toBe(withoutEventStatus(event('DISABLE ON SLAVE')));
  });

  it('refuses an event statement without a status, naming the event and not its text', () => {
    const secret = "CREATE EVENT `e` ON SCHEDULE EVERY 1 DAY DO SET @pw = 'hunter2'";
    let error: unknown;
    try {
      disabledOnReplica(secret, MARIADB, 'shop.e');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: ErrorCode.MysqlCopyUnsupported,
      message: expect.stringContaining('shop.e'),
    });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
