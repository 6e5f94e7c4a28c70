import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  waitUntilDBInstanceAvailable,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
} from '@aws-sdk/client-route-53';
import { isIPv4 } from 'node:net';
import mysql from 'mysql2/promise';
import { mysqlConnectOptions } from '../../src/mysql/connect-options';
import { loadMysqlTls } from '../../src/mysql/connection-tls';
import type { AwsClients } from '../../src/aws/clients';
import type { OpsdeckConfig } from '../../src/config/schema';
import { MACHINE_ADDRESS } from './network/loopback-addresses';

/** The sandbox "production" that console mode acts on. Local only, hence a fixed password. */
export const SEED = {
  instance: 'production',
  masterUsername: 'admin',
  masterPassword: 'sandbox-admin-pw',
  database: 'billing',
  /** The account an external replica replicates with (REPLICATION SLAVE), for /seed-slave. */
  replicationUser: 'repl',
  replicationPassword: 'sandbox-repl-pw',
  zone: 'prod.example.internal.',
  bigTableRows: 1_000_000,
} as const;

export interface SeedSummary {
  endpoint: string;
  zone: string;
  hosts: string[];
}

export interface SeedOptions {
  /** billing.events with a million rows, for benchmarks. */
  big: boolean;
  /**
   * CIDRs production's security group admits on its port, besides the app hosts (its members):
   * whoever connects from this machine without an address of its own (127.0.0.1/32, so the seed
   * itself can load the schema) by default; console mode adds opsdeck's and its replica's.
   */
  admit?: string[];
  /** The sandbox's CA (instances serve TLS only): the seed checks production's certificate. */
  caFile: string;
}

/**
 * Seeds a running sandbox through its own AWS API: a "production" RDS instance with a billing
 * schema and a replication account, its security group (admitting the app hosts and `admit`), a
 * private zone naming it, and deploy hosts in that group. Parts that exist are left alone.
 */
export async function seedSandbox(clients: AwsClients, options: SeedOptions): Promise<SeedSummary> {
  const groupId = await ensureSecurityGroup(clients);
  const instance = await ensureInstance(clients, groupId);
  await ensureIngress(clients, groupId, instance.Endpoint!.Port!, [
    ...new Set(options.admit ?? [`${MACHINE_ADDRESS}/32`]),
  ]);
  await ensureSchema(instance, options.big, options.caFile);
  const vpcId = (await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })))
    .SecurityGroups![0]!.VpcId!;
  await ensureZone(clients, vpcId, instance);
  const hosts = await ensureHosts(clients, groupId);
  return {
    endpoint: `${instance.Endpoint!.Address}:${instance.Endpoint!.Port}`,
    zone: SEED.zone,
    hosts,
  };
}

async function ensureSecurityGroup(clients: AwsClients): Promise<string> {
  const { SecurityGroups } = await clients.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: ['production-db'] }],
    }),
  );
  const existing = SecurityGroups?.[0]?.GroupId;
  if (existing) return existing;
  const created = await clients.ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'production-db',
      Description: 'production database (MySQL 3306 from the app hosts)',
      TagSpecifications: [
        { ResourceType: 'security-group', Tags: [{ Key: 'env', Value: 'prod' }] },
      ],
    }),
  );
  return created.GroupId!;
}

/**
 * Whom a seed for this config lets into production: this machine's own address, opsdeck's
 * (`network.sourceAddress`) and the replicas' (`replicas.*.host`, where it is an IPv4 address).
 */
export function seedAdmissions(config: OpsdeckConfig): string[] {
  const addresses = [
    MACHINE_ADDRESS,
    config.network.sourceAddress,
    ...Object.values(config.replicas).map((replica) => replica.host),
  ];
  return [...new Set(addresses.filter((a): a is string => a !== undefined && isIPv4(a)))].map(
    (address) => `${address}/32`,
  );
}

/** tcp/port into the group from its own members (the app hosts) and from each CIDR, once. */
async function ensureIngress(
  clients: AwsClients,
  groupId: string,
  port: number,
  cidrs: string[],
): Promise<void> {
  const tcp = { IpProtocol: 'tcp', FromPort: port, ToPort: port };
  const permissions = [
    { ...tcp, UserIdGroupPairs: [{ GroupId: groupId, Description: 'the app hosts' }] },
    ...cidrs.map((CidrIp) => ({ ...tcp, IpRanges: [{ CidrIp }] })),
  ];
  for (const permission of permissions) {
    try {
      await clients.ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
      );
    } catch (error) {
      if ((error as Error).name !== 'InvalidPermission.Duplicate') throw error;
    }
  }
}

async function ensureInstance(clients: AwsClients, groupId: string): Promise<DBInstance> {
  const describe = async () =>
    (
      await clients.rds.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: SEED.instance }),
      )
    ).DBInstances![0]!;
  try {
    await describe();
  } catch (error) {
    if ((error as Error).name !== 'DBInstanceNotFoundFault') throw error;
    await clients.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: SEED.instance,
        DBInstanceClass: 'db.t3.medium',
        Engine: 'mysql',
        MasterUsername: SEED.masterUsername,
        MasterUserPassword: SEED.masterPassword,
        DBName: SEED.database,
        BackupRetentionPeriod: 7,
        VpcSecurityGroupIds: [groupId],
        Tags: [{ Key: 'env', Value: 'prod' }],
      }),
    );
  }
  await waitUntilDBInstanceAvailable(
    { client: clients.rds, minDelay: 1, maxDelay: 2, maxWaitTime: 600 },
    { DBInstanceIdentifier: SEED.instance },
  );
  return describe();
}

/** Realistic billing tables, filled with the Sequence engine's seq_1_to_N tables. */
const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS customers (
     id INT UNSIGNED PRIMARY KEY,
     name VARCHAR(100) NOT NULL,
     email VARCHAR(190) NOT NULL UNIQUE,
     created_at DATETIME NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS invoices (
     id INT UNSIGNED PRIMARY KEY,
     customer_id INT UNSIGNED NOT NULL,
     amount_cents INT UNSIGNED NOT NULL,
     currency CHAR(3) NOT NULL DEFAULT 'EUR',
     status ENUM('draft', 'open', 'paid', 'void') NOT NULL,
     issued_at DATETIME NOT NULL,
     KEY (customer_id),
     CONSTRAINT fk_invoice_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
   )`,
  `CREATE TABLE IF NOT EXISTS payments (
     id INT UNSIGNED PRIMARY KEY,
     invoice_id INT UNSIGNED NOT NULL,
     amount_cents INT UNSIGNED NOT NULL,
     paid_at DATETIME NOT NULL,
     KEY (invoice_id),
     CONSTRAINT fk_payment_invoice FOREIGN KEY (invoice_id) REFERENCES invoices (id)
   )`,
  `INSERT IGNORE INTO customers
     SELECT seq, CONCAT('Customer ', seq), CONCAT('customer', seq, '@example.com'),
            '2024-01-01' + INTERVAL seq HOUR
     FROM seq_1_to_500`,
  `INSERT IGNORE INTO invoices
     SELECT seq, 1 + seq % 500, 1000 + (seq * 7919) % 90000, 'EUR',
            ELT(1 + seq % 4, 'draft', 'open', 'paid', 'void'), '2024-02-01' + INTERVAL seq MINUTE
     FROM seq_1_to_5000`,
  `INSERT IGNORE INTO payments
     SELECT seq, seq, 1000 + (seq * 7919) % 90000, '2024-03-01' + INTERVAL seq MINUTE
     FROM seq_1_to_3000`,
];

const BIG_TABLE_SQL = [
  `CREATE TABLE IF NOT EXISTS events (
     id BIGINT UNSIGNED PRIMARY KEY,
     customer_id INT UNSIGNED NOT NULL,
     kind VARCHAR(32) NOT NULL,
     payload VARCHAR(255) NOT NULL,
     created_at DATETIME NOT NULL,
     KEY (customer_id)
   )`,
  `INSERT IGNORE INTO events
     SELECT seq, 1 + seq % 500, ELT(1 + seq % 3, 'invoice.created', 'invoice.paid', 'customer.updated'),
            CONCAT('{"seq":', seq, ',"note":"', SHA1(seq), '"}'), '2024-01-01' + INTERVAL seq SECOND
     FROM seq_1_to_${SEED.bigTableRows}`,
];

async function ensureSchema(instance: DBInstance, big: boolean, caFile: string): Promise<void> {
  const endpoint = { host: instance.Endpoint!.Address!, port: instance.Endpoint!.Port! };
  const conn = await mysql.createConnection({
    ...endpoint,
    user: SEED.masterUsername,
    password: SEED.masterPassword,
    database: SEED.database,
    ...mysqlConnectOptions(
      endpoint,
      loadMysqlTls('sandbox seed', { mode: 'verify-identity', caFile }),
    ),
  });
  try {
    for (const sql of [...SCHEMA_SQL, ...(big ? BIG_TABLE_SQL : [])]) await conn.query(sql);
    await conn.query("CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?", [
      SEED.replicationUser,
      SEED.replicationPassword,
    ]);
    await conn.query("GRANT REPLICATION SLAVE ON *.* TO ?@'%'", [SEED.replicationUser]);
  } finally {
    await conn.end();
  }
}

async function ensureZone(clients: AwsClients, vpcId: string, instance: DBInstance): Promise<void> {
  const { HostedZones } = await clients.route53.send(
    new ListHostedZonesByNameCommand({ DNSName: SEED.zone }),
  );
  let zoneId = HostedZones?.find((zone) => zone.Name === SEED.zone && zone.Config?.PrivateZone)?.Id;
  if (!zoneId) {
    const created = await clients.route53.send(
      new CreateHostedZoneCommand({
        Name: SEED.zone,
        CallerReference: `opsdeck-seed-${SEED.zone}`,
        VPC: { VPCId: vpcId, VPCRegion: 'us-east-1' },
        HostedZoneConfig: { Comment: 'service discovery (sandbox seed)', PrivateZone: true },
      }),
    );
    zoneId = created.HostedZone!.Id!;
  }
  await clients.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: `db-billing.${SEED.zone}`,
              Type: 'A',
              TTL: 60,
              ResourceRecords: [{ Value: instance.Endpoint!.Address! }],
            },
          },
        ],
      },
    }),
  );
}

async function ensureHosts(clients: AwsClients, groupId: string): Promise<string[]> {
  const filters = [
    { Name: 'tag:app', Values: ['billing'] },
    { Name: 'instance-state-name', Values: ['pending', 'running'] },
  ];
  const existing = await clients.ec2.send(new DescribeInstancesCommand({ Filters: filters }));
  let instances = existing.Reservations!.flatMap((reservation) => reservation.Instances!);
  if (instances.length === 0) {
    const run = await clients.ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0sandbox00000000',
        InstanceType: 't3.small',
        MinCount: 3,
        MaxCount: 3,
        SecurityGroupIds: [groupId],
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'app', Value: 'billing' },
              { Key: 'env', Value: 'prod' },
              { Key: 'role', Value: 'web' },
            ],
          },
        ],
      }),
    );
    instances = run.Instances!;
  }
  return instances.map((instance) => instance.PrivateIpAddress!);
}
