import { ErrorCode, OpsdeckError } from '../errors';

/**
 * A DNS name or record value that cannot be used, with a message that names the bad part. The
 * parsers throw nothing else; the command turns it into a usage error shown with the usage.
 */
export class DnsInputError extends OpsdeckError {
  constructor(message: string) {
    super(ErrorCode.DnsInputInvalid, message);
    this.name = 'DnsInputError';
  }
}
