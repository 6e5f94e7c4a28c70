import { ErrorCode } from '../../../src/errors';
import { orderViews, viewReferences } from '../../../src/mysql/view-order';

describe('view order', () => {
  const views = new Set(['shop.a_top', 'shop.z_base', 'crm.summary', 'odd.we`ird']);

  it('finds the listed views a stored definition selects from, qualified as the server stores them', () => {
    const definition =
      'select `z_base`.`id` AS `id`,`shop`.`parent_label`(`z_base`.`id`) AS `label` ' +
      'from (`shop`.`z_base` join `crm`.`summary` on(`crm`.`summary`.`n` = 1)) ' +
      'where `shop`.`a_top`.`id` > 0 and `odd`.`we``ird`.`x` = 1 and `shop`.`customers`.`id` = 2';
    expect(viewReferences('shop.a_top', definition, views).sort()).toEqual([
      'crm.summary',
      'odd.we`ird',
      'shop.z_base',
    ]);
    expect(viewReferences('shop.a_top', 'select 1 AS `1`', views)).toEqual([]);
  });

  it('puts each view after the views it selects from, across databases, else in the given order', () => {
    const ordered = orderViews([
      { key: 'crm.a_report', dependsOn: ['shop.a_top'] },
      { key: 'shop.a_top', dependsOn: ['shop.z_base'] },
      { key: 'shop.b_plain', dependsOn: [] },
      { key: 'shop.z_base', dependsOn: ['shop.not_a_listed_view'] },
    ]);
    expect(ordered.map((view) => view.key)).toEqual([
      'shop.b_plain',
      'shop.z_base',
      'shop.a_top',
      'crm.a_report',
    ]);
    expect(orderViews([])).toEqual([]);
  });

  it('refuses views that refer to each other in a cycle', () => {
    expect(() =>
      orderViews([
        { key: 'a.v1', dependsOn: ['a.v2'] },
        { key: 'a.v2', dependsOn: ['a.v1'] },
        { key: 'a.v3', dependsOn: [] },
      ]),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.MysqlCopyUnsupported,
        message: expect.stringContaining('a.v1, a.v2'),
      }),
    );
  });
});
