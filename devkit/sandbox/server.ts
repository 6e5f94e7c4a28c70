import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { accessKeyIdOf, type SandboxAccess } from './access-control';
import { AwsError } from './aws-error';
import { dispatchJson, jsonTargetOf, type JsonService } from './json-protocol';
import { parseQueryBody, type QueryTree } from './query-protocol';
import { renderXml, type XmlObject } from './xml';

/** A Query-protocol service (RDS, EC2): POST / with `Action` and `Version` in a form body. */
export interface QueryService {
  version: string;
  namespace: string;
  /** EC2 wraps results and errors differently from the other Query services. */
  style: 'query' | 'ec2';
  /** The service's prefix in IAM action names (`rds`, `ec2`). */
  iamPrefix: string;
  actions: Record<string, (params: QueryTree) => Promise<XmlObject> | XmlObject>;
}

export interface RestXmlResponse {
  status: number;
  root: string;
  body: XmlObject;
  headers?: Record<string, string>;
}

/** A REST-XML service (Route53): routes on method and path, answers with a root element. */
export interface RestXmlService {
  pathPrefix: string;
  namespace: string;
  /** The service's prefix in IAM action names (`route53`). */
  iamPrefix: string;
  /** The API action a request is (`ChangeResourceRecordSets`), from its method and path. */
  actionOf(method: string, url: URL): string;
  handle(method: string, url: URL, body: string): Promise<RestXmlResponse>;
}

export interface HttpRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * A service that answers whole HTTP requests itself (S3: object bodies are bytes, errors have
 * their own shape, HEAD has no body). Found by the service name in the request's SigV4
 * credential scope (`Credential=AKID/20251121/us-east-1/s3/aws4_request`), since its paths
 * (`/<bucket>/<key>`) could be anything.
 */
export interface SignedHttpService {
  signingName: string;
  handle(request: HttpRequest): Promise<HttpReply>;
}

export interface SandboxServices {
  query: QueryService[];
  rest: RestXmlService[];
  json?: JsonService[];
  http?: SignedHttpService[];
}

/**
 * The HTTP front of the sandbox cloud. Requests are signed with SigV4 by the SDK; the signature
 * is accepted without checking the secret, as LocalStack does. Every call is recorded in `access`,
 * which also refuses the actions it was told to deny (EC2's DryRun answered as EC2 answers it).
 */
export function createSandboxServer(services: SandboxServices, access: SandboxAccess): Server {
  return createServer((req, res) => {
    readBody(req)
      .then((body) => dispatch(services, req, body, access))
      .then((reply) => send(res, reply))
      .catch((error: unknown) => send(res, internalError(error)));
  });
}

interface Reply {
  status: number;
  xml: string | Buffer;
  headers?: Record<string, string>;
}

async function dispatch(
  services: SandboxServices,
  req: IncomingMessage,
  bytes: Buffer,
  access: SandboxAccess,
): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const signingName = signingNameOf(req, url);
  // S3 (the audit anchor's store): answered as is, neither recorded nor deniable; no runbook
  // calls it.
  const http = services.http?.find((service) => service.signingName === signingName);
  if (http) {
    const method = req.method ?? 'GET';
    const reply = await http.handle({ method, url, headers: req.headers, body: bytes });
    return { status: reply.status, xml: reply.body ?? '', headers: reply.headers ?? {} };
  }
  const body = bytes.toString('utf8');
  const accessKeyId = accessKeyIdOf(req);
  const target = jsonTargetOf(req.headers);
  if (target) {
    const reply = await dispatchJson(services.json ?? [], target, body, (action) => {
      access.record({ action, accessKeyId, dryRun: false, at: Date.now() });
      if (access.isDenied(action, accessKeyId))
        throw new AwsError(
          'AccessDeniedException',
          `User: arn:aws:iam::000000000000:user/sandbox is not authorized to perform: ${action}`,
        );
    });
    return { status: reply.status, xml: reply.body, headers: reply.headers };
  }
  const rest = services.rest.find((service) => url.pathname.startsWith(service.pathPrefix));
  if (rest) {
    const method = req.method ?? 'GET';
    const action = `${rest.iamPrefix}:${rest.actionOf(method, url)}`;
    access.record({ action, accessKeyId, dryRun: false, at: Date.now() });
    if (access.isDenied(action, accessKeyId))
      return queryError('query', rest.namespace, accessDenied(action));
    return dispatchRest(rest, method, url, body);
  }
  const params = parseQueryBody(req.method === 'POST' ? body : url.search.slice(1));
  const service = services.query.find((candidate) => candidate.version === params.Version);
  if (!service) {
    return queryError(
      'query',
      '',
      new AwsError('InvalidAction', 'Unknown service or API version', 400),
    );
  }
  return dispatchQuery(service, params, (action) => {
    const iamAction = `${service.iamPrefix}:${action}`;
    // Only EC2 has DryRun: it asks whether the caller may, and does nothing.
    const dryRun = service.style === 'ec2' && params.DryRun === 'true';
    access.record({ action: iamAction, accessKeyId, dryRun, at: Date.now() });
    if (access.isDenied(iamAction, accessKeyId)) {
      throw service.style === 'ec2'
        ? new AwsError(
            'UnauthorizedOperation',
            'You are not authorized to perform this operation.',
            403,
          )
        : accessDenied(iamAction);
    }
    if (dryRun)
      throw new AwsError(
        'DryRunOperation',
        'Request would have succeeded, but DryRun flag is set.',
        412,
      );
  });
}

/** What AWS answers a principal whose policies do not allow `action`. */
function accessDenied(action: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: arn:aws:iam::000000000000:user/sandbox is not authorized to perform: ${action}`,
    403,
  );
}

async function dispatchQuery(
  service: QueryService,
  params: QueryTree,
  authorize: (action: string) => void,
): Promise<Reply> {
  const action = typeof params.Action === 'string' ? params.Action : '';
  const requestId = randomUUID();
  try {
    authorize(action);
    const handler = service.actions[action];
    if (!handler) {
      throw new AwsError(
        'InvalidAction',
        `The action ${action} is not valid for this web service.`,
      );
    }
    const result = await handler(params);
    const body: XmlObject =
      service.style === 'ec2'
        ? { requestId, ...result }
        : { [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } };
    return { status: 200, xml: renderXml(`${action}Response`, service.namespace, body) };
  } catch (error) {
    if (error instanceof AwsError)
      return queryError(service.style, service.namespace, error, requestId);
    throw error;
  }
}

function queryError(
  style: 'query' | 'ec2',
  namespace: string,
  error: AwsError,
  requestId = randomUUID(),
): Reply {
  const { code, message, status } = error;
  if (style === 'ec2') {
    const xml = renderXml('Response', '', {
      Errors: { Error: { Code: code, Message: message } },
      RequestID: requestId,
    }).replace(' xmlns=""', '');
    return { status, xml };
  }
  const xml = renderXml('ErrorResponse', namespace, {
    Error: { Type: 'Sender', Code: code, Message: message },
    RequestId: requestId,
  });
  return { status, xml };
}

async function dispatchRest(
  service: RestXmlService,
  method: string,
  url: URL,
  body: string,
): Promise<Reply> {
  try {
    const reply = await service.handle(method, url, body);
    return {
      status: reply.status,
      xml: renderXml(reply.root, service.namespace, reply.body),
      ...(reply.headers ? { headers: reply.headers } : {}),
    };
  } catch (error) {
    if (error instanceof AwsError) return queryError('query', service.namespace, error);
    throw error;
  }
}

function internalError(error: unknown): Reply {
  console.error('sandbox: internal error', error);
  const message = error instanceof Error ? error.message : String(error);
  return queryError('query', '', new AwsError('InternalFailure', message, 500));
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'content-type': 'text/xml',
    'x-amzn-requestid': randomUUID(),
    ...reply.headers,
  });
  res.end(reply.xml);
}

/** The service a SigV4-signed request is for: from its Authorization header or presigned query. */
function signingNameOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const credential =
    typeof header === 'string'
      ? header
          .split(/[\s,]+/)
          .find((part) => part.startsWith('Credential='))
          ?.slice(11)
      : (url.searchParams.get('X-Amz-Credential') ?? undefined);
  // AKID/20251121/us-east-1/s3/aws4_request
  return credential?.split('/')[3];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
