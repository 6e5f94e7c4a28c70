import { createHash } from 'node:crypto';

/**
 * What is remembered of a document between polls so an unchanged one costs no parse: the
 * server's validators for a conditional GET (answered 304 Not Modified), and a hash of the body
 * for servers that send neither or ignore them.
 */
export interface Validators {
  etag?: string;
  lastModified?: string;
  bodyHash?: string;
}

export function conditionalHeaders(validators: Validators): Record<string, string> {
  return {
    ...(validators.etag ? { 'if-none-match': validators.etag } : {}),
    ...(validators.lastModified ? { 'if-modified-since': validators.lastModified } : {}),
  };
}

export function bodyHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
