import { AwsError } from '../aws-error';

/**
 * The `aws-chunked` content encoding the SDK uses for streamed uploads: chunks of
 * `<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n`, a last chunk of size 0, then trailing
 * headers (e.g. `x-amz-checksum-crc32:<base64>`), one per line, and an empty line.
 * Returns the payload and the trailers (names lowercased). Chunk signatures are not checked, as
 * the request's own signature is not.
 */
export function decodeAwsChunked(body: Buffer): {
  payload: Buffer;
  trailers: Record<string, string>;
} {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw incomplete();
    const header = body.subarray(at, lineEnd).toString('latin1');
    const size = Number.parseInt(header.split(';')[0]!, 16);
    if (!/^[0-9a-fA-F]+$/.test(header.split(';')[0]!) || !Number.isSafeInteger(size))
      throw incomplete();
    at = lineEnd + 2;
    if (size === 0) break;
    if (
      at + size + 2 > body.length ||
      body.subarray(at + size, at + size + 2).toString() !== '\r\n'
    )
      throw incomplete();
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(at).toString('latin1').split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw incomplete();
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}

function incomplete(): AwsError {
  return new AwsError('IncompleteBody', 'The request body is not valid aws-chunked encoding.');
}
