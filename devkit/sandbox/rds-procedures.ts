/**
 * The RDS stored procedures the runbooks call, installed in every instance (they live in the
 * template datadir, so they are not part of any instance's binlog history). Semantics follow RDS
 * for MySQL: `binlog retention hours` is NULL by default (binlogs are purged as soon as they are
 * backed up), at most 168; replication is stopped and started with the rds_* procedures.
 */
export const RDS_BOOTSTRAP_SQL: readonly string[] = [
  `CREATE TABLE mysql.rds_configuration (
     name VARCHAR(100) NOT NULL PRIMARY KEY,
     value VARCHAR(100) NULL,
     description VARCHAR(300) NOT NULL
   ) ENGINE=InnoDB`,
  `INSERT INTO mysql.rds_configuration (name, value, description) VALUES
     ('binlog retention hours', NULL,
      'binlog retention hours specifies the duration in hours before binary logs are automatically deleted.'),
     ('source delay', '0',
      'source delay specifies replication delay in seconds between current instance and its master.'),
     ('target delay', '0',
      'target delay specifies replication delay in seconds between current instance and its future read-replica.')`,
  `CREATE PROCEDURE mysql.rds_set_configuration(IN p_name VARCHAR(100), IN p_value INT)
   BEGIN
     IF NOT EXISTS (SELECT 1 FROM mysql.rds_configuration WHERE name = p_name) THEN
       SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Invalid configuration name';
     END IF;
     IF p_name = 'binlog retention hours' AND p_value IS NOT NULL AND (p_value < 1 OR p_value > 168) THEN
       SIGNAL SQLSTATE '45000'
         SET MESSAGE_TEXT = 'For binlog retention hours the value must be between 1 and 168 inclusive or be NULL';
     END IF;
     UPDATE mysql.rds_configuration SET value = p_value WHERE name = p_name;
   END`,
  `CREATE PROCEDURE mysql.rds_show_configuration()
   BEGIN
     SELECT name, value, description FROM mysql.rds_configuration ORDER BY name;
   END`,
  `CREATE PROCEDURE mysql.rds_stop_replication()
   BEGIN
     STOP SLAVE;
     SELECT 'Slave is down or disabled' AS Message;
   END`,
  `CREATE PROCEDURE mysql.rds_start_replication()
   BEGIN
     START SLAVE;
     SELECT 'Slave running normally.' AS Message;
   END`,
];

/** The instance's retention in hours, or null (purge as soon as archived). */
export const BINLOG_RETENTION_SQL =
  "SELECT value FROM mysql.rds_configuration WHERE name = 'binlog retention hours'";
