import { parentPort } from 'node:worker_threads';
import { FeedError, describeError } from '../errors';
import { parseFeedDocument } from './feed-documents';
import type { ParseReply, ParseRequest } from './parse-thread';

/**
 * The body of the feed parse thread (parse-thread.ts): each message is one document, answered
 * with its incidents or the reason it was refused. Runs nothing else, so ending the thread when
 * a document goes over its budget loses nothing.
 */
parentPort!.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { incidents: parseFeedDocument(request.format, request.text, request.now) };
  } catch (error) {
    reply = {
      error:
        error instanceof FeedError
          ? { code: error.code, message: error.message }
          : { message: describeError(error) },
    };
  }
  parentPort!.postMessage(reply);
});
// Loaded: the first document's budget starts now, not while modules were still being read.
parentPort!.postMessage({ ready: true } satisfies ParseReply);
