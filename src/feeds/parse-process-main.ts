import { FeedError, describeError } from '../errors';
import { parseFeedDocument } from './feed-documents';
import type { ParseReply, ParseRequest } from './parse-process';

/**
 * The body of the feed parse process (parse-process.ts): each message is one document, answered
 * with its incidents or the reason it was refused. Runs nothing else, so ending the process when
 * a document goes over its budget loses nothing; it ends by itself when its parent goes.
 */
const send = (reply: ParseReply) => process.send!(reply);
process.on('message', (request: ParseRequest) => {
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
  send(reply);
});
// Loaded: the first document's budget starts now, not while modules were still being read.
send({ ready: true });
