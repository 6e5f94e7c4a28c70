import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The sandbox's own certificate authority and the server certificates it signs, made with
 * Debian's openssl (`openssl req`, `openssl x509`): every mariadbd the sandbox runs serves TLS
 * with a certificate naming its endpoint, as RDS does with its CAs, so clients connect with
 * identity verification against `ca.pem`. Keys are unencrypted files readable by their owner only
 * (mode 0600), and never pass through an argument list: openssl writes them itself.
 */
export interface CertificateAuthority {
  /** The CA certificate clients trust (PEM). */
  caFile: string;
  keyFile: string;
}

export interface ServerCertificate {
  certFile: string;
  keyFile: string;
}

const CA_DAYS = 3650;
/** The longest lifetime clients still accept for a server certificate (825 days). */
const SERVER_DAYS = 825;
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * The CA kept in `dir` (ca.pem, ca-key.pem): created the first time, then reused, so a client
 * trusting it keeps working across sandbox restarts. Made in a temporary directory and moved into
 * place key first, certificate last: a crash in between leaves no ca.pem, and the next start
 * makes a new pair.
 */
export async function ensureCertificateAuthority(
  dir: string,
  commonName: string,
): Promise<CertificateAuthority> {
  const ca = { caFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca-key.pem') };
  if (existsSync(ca.caFile) && existsSync(ca.keyFile)) return ca;
  if (!/^[A-Za-z0-9 .-]{1,40}$/.test(commonName))
    throw new Error(`not a CA name for openssl -subj: ${JSON.stringify(commonName)}`);
  // Each CA its own name (its creation time), so two sandboxes' CAs are told apart.
  const subject = `/CN=${commonName} ${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const building = join(dir, `.building-${randomBytes(4).toString('hex')}`);
  await mkdir(building, { recursive: true, mode: 0o700 });
  try {
    await openssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      join(building, 'ca-key.pem'),
      '-out',
      join(building, 'ca.pem'),
      '-days',
      String(CA_DAYS),
      '-subj',
      subject,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await chmod(join(building, 'ca-key.pem'), 0o600);
    await rename(join(building, 'ca-key.pem'), ca.keyFile);
    await rename(join(building, 'ca.pem'), ca.caFile);
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return ca;
}

/**
 * A server certificate in `dir` (cert.pem, key.pem) signed by `ca`, naming `dnsNames` and
 * `ipAddresses` as subject alternative names (what clients check the host they dialled against),
 * for TLS servers only (extendedKeyUsage serverAuth). Kept when it exists already with exactly
 * these names and this CA's signature; made anew otherwise (a DB instance's endpoint that moved to
 * another address on a restart, a CA made anew).
 */
export async function ensureServerCertificate(
  ca: CertificateAuthority,
  dir: string,
  names: { dnsNames: string[]; ipAddresses: string[] },
): Promise<ServerCertificate> {
  const certificate = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  if (existsSync(certificate.keyFile) && (await certificateFits(certificate.certFile, ca, names)))
    return certificate;
  const checked = [...names.dnsNames, ...names.ipAddresses];
  if (checked.length === 0 || checked.some((name) => !/^[A-Za-z0-9.:-]{1,253}$/.test(name)))
    throw new Error(`not a certificate name list: ${JSON.stringify(checked)}`);
  const building = `${dir}.building-${randomBytes(4).toString('hex')}`;
  await mkdir(building, { recursive: true, mode: 0o700 });
  try {
    const request = join(building, 'request.csr');
    const extensions = join(building, 'extensions.cnf');
    await openssl([
      'req',
      '-new',
      ...EC_KEY,
      '-keyout',
      join(building, 'key.pem'),
      '-out',
      request,
      '-subj',
      `/CN=${names.dnsNames[0] ?? names.ipAddresses[0]!}`,
    ]);
    await chmod(join(building, 'key.pem'), 0o600);
    const san = [
      ...names.ipAddresses.map((ip) => `IP:${ip}`),
      ...names.dnsNames.map((dns) => `DNS:${dns}`),
    ];
    await writeFile(
      extensions,
      [
        `subjectAltName=${san.join(',')}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        '',
      ].join('\n'),
    );
    await openssl([
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      ca.caFile,
      '-CAkey',
      ca.keyFile,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      String(SERVER_DAYS),
      '-sha256',
      '-extfile',
      extensions,
      '-out',
      join(building, 'cert.pem'),
    ]);
    await rm(request);
    await rm(extensions);
    await rm(dir, { recursive: true, force: true });
    await rename(building, dir);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
  return certificate;
}

/** True when `certFile` exists, names exactly `names` and is signed by `ca`. */
async function certificateFits(
  certFile: string,
  ca: CertificateAuthority,
  names: { dnsNames: string[]; ipAddresses: string[] },
): Promise<boolean> {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(await readFile(certFile));
  } catch {
    return false;
  }
  const wanted = [
    ...names.ipAddresses.map((ip) => `IP Address:${ip}`),
    ...names.dnsNames.map((dns) => `DNS:${dns}`),
  ];
  const held = (certificate.subjectAltName ?? '').split(', ');
  const authority = new X509Certificate(await readFile(ca.caFile));
  return (
    held.length === wanted.length &&
    wanted.every((name) => held.includes(name)) &&
    certificate.checkIssued(authority) &&
    certificate.verify(authority.publicKey)
  );
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (error as Error).message}`, {
      cause: error,
    });
  }
}
