import { ErrorCode } from '../../../src/errors';
import { checkDatabaseList } from '../../../src/mysql/schema-inventory';

describe('schema inventory', () => {
  it('checks the database list before any SQL', () => {
    expect(checkDatabaseList(['shop', 'crm_2'])).toEqual(['shop', 'crm_2']);
    const refused = (list: string[], code: string) =>
      expect(() => checkDatabaseList(list)).toThrow(expect.objectContaining({ code }));
    refused(['shop', 'a b'], ErrorCode.MysqlIdentifierInvalid);
    refused([], ErrorCode.InputInvalid);
    refused(['shop', 'shop'], ErrorCode.InputInvalid);
    for (const system of ['mysql', 'sys', 'PERFORMANCE_SCHEMA', 'information_schema'])
      refused([system], ErrorCode.MysqlCopyUnsupported);
  });
});
