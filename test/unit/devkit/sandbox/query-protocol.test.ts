import {
  parseQueryBody,
  stringList,
  tagList,
  treeList,
} from '../../../../devkit/sandbox/query-protocol';

describe('Query protocol request parsing', () => {
  it('reads lists however AWS spells them (Name.N, Name.member.N, Name.<Member>.N)', () => {
    const params = parseQueryBody(
      [
        'Action=RestoreDBInstanceToPointInTime',
        'VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2',
        'VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1',
        'Tags.Tag.1.Key=env',
        'Tags.Tag.1.Value=prod',
        'TagKeys.member.1=a',
        'GroupId.1=sg-9',
        'IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F8',
        'IpPermissions.1.IpProtocol=tcp',
      ].join('&'),
    );
    expect(stringList(params, 'VpcSecurityGroupIds')).toEqual(['sg-1', 'sg-2']);
    expect(tagList(params, 'Tags')).toEqual([{ Key: 'env', Value: 'prod' }]);
    expect(stringList(params, 'TagKeys')).toEqual(['a']);
    expect(stringList(params, 'GroupId')).toEqual(['sg-9']);
    const [permission] = treeList(params, 'IpPermissions');
    expect(permission).toEqual({ IpProtocol: 'tcp', IpRanges: { '1': { CidrIp: '10.0.0.0/8' } } });
    expect(stringList(params, 'Missing')).toEqual([]);
  });

  it('orders indexes numerically, not as text', () => {
    const body = Array.from({ length: 11 }, (_, i) => `GroupId.${i + 1}=sg-${i + 1}`).join('&');
    expect(stringList(parseQueryBody(body), 'GroupId').slice(-2)).toEqual(['sg-10', 'sg-11']);
  });
});
