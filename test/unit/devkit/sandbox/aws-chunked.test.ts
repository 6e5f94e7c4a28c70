import { decodeAwsChunked } from '../../../../devkit/sandbox/s3/aws-chunked';

describe('decodeAwsChunked', () => {
  it('joins signed chunks and reads the trailers', () => {
    const body = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n' +
        '6;chunk-signature=def\r\n world\r\n' +
        '0;chunk-signature=000\r\n' +
        'x-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:ff\r\n\r\n',
    );
    expect(decodeAwsChunked(body)).toEqual({
      payload: Buffer.from('hello world'),
      trailers: { 'x-amz-checksum-crc32': 'DUoRhQ==', 'x-amz-trailer-signature': 'ff' },
    });
  });

  it('keeps bytes that look like line ends inside a chunk', () => {
    const body = Buffer.concat([
      Buffer.from('4\r\n'),
      Buffer.from([13, 10, 0, 255]),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    expect(decodeAwsChunked(body).payload).toEqual(Buffer.from([13, 10, 0, 255]));
  });

  it.each([
    ['a size that is not hex', 'zz\r\nhello\r\n0\r\n\r\n'],
    ['a chunk shorter than its size', '10\r\nhello\r\n0\r\n\r\n'],
    ['no last chunk', '5\r\nhello\r\n'],
    ['a trailer without a colon', '0\r\nbroken\r\n\r\n'],
  ])('refuses %s', (_, text) => {
    expect(() => decodeAwsChunked(Buffer.from(text))).toThrow(/aws-chunked/);
  });
});
