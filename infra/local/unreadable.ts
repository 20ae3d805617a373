import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * A request Node's HTTP parser refused (a malformed request line or header, a header section over Node's 16 KB, a
 * malformed chunked body, a request too slow to arrive), as a server's answer sees it.
 */
export interface UnreadableRequest {
  /** 431: headers too large; 408: too slow; 413: chunk extensions too large; 400: anything else malformed (Node's statuses). */
  status: 400 | 408 | 413 | 431;
  /** Node's code for it (`HPE_INVALID_CHUNK_SIZE`…), for a log line. */
  code: string;
  /** The request's method and path, when its request line could be read (or its body was being read). */
  method?: string;
  path?: string;
}

/** What to write back: a status (by default the request's), the headers, a body. */
export interface UnreadableAnswer {
  status?: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface UnreadableOptions {
  /** Names the server in the log line of each refusal, e.g. 'gateway'. */
  name: string;
  log?: (line: string) => void;
  /** How long a connection answered stays open for its client to read the answer and close; default 2000 ms. */
  lingerMs?: number;
}

/** The status Node itself gives a request its parser refused, from the error's code. */
function statusOf(code: string | undefined): UnreadableRequest['status'] {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413;
  return 400;
}

/** Printable ASCII only: anything else is no path to route on. */
const printablePath = (path: string | undefined) => (path && /^\/[!-~]*$/.test(path) ? path : undefined);

/**
 * The method and path of the refused request's line: the last request line of `raw` (the chunk the parser refused) up to
 * the line where it stopped (`at`, its `bytesParsed`), so that a refused request after others in the same chunk is
 * read, not the first one; none when no request line can be read there or its target names no path.
 */
function requestLineOf(raw: Buffer | undefined, at: number | undefined): { method?: string; path?: string } {
  if (!raw) return {};
  const text = raw.subarray(0, Math.min(raw.length, (at ?? 0) + 8192)).toString('latin1');
  const lineEnd = at === undefined ? -1 : text.indexOf('\r\n', at);
  const lines = (lineEnd < 0 ? text.slice(0, at === undefined ? 8192 : text.length) : text.slice(0, lineEnd)).split('\r\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = /^([A-Z]+) (\S+) HTTP\/\d\.\d$/.exec(lines[i]!);
    if (!match) continue;
    const path = pathOf(match[2]);
    return path ? { method: match[1]!, path } : {};
  }
  return {};
}

/** The path of a request Node read the head of (origin form, or absolute form when it parses as a URL). */
function pathOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('/')) return printablePath(url.split(/[?#]/, 1)[0]);
  try {
    return printablePath(new URL(url).pathname);
  } catch {
    return undefined;
  }
}

/**
 * Answers each request `server`'s HTTP parser refuses with `answer`'s status, headers and body instead of Node's bare
 * status line, keeping Node's rules for it: nothing is written on a connection already reset or no longer writable, nor
 * where the request whose body was refused has its answer begun (the server answered before reading it all): that
 * connection is destroyed. Where an earlier request on the connection is still being answered, the refusal is written
 * once that answer is (Node writes at once while the earlier answer's head is not sent, which its client then reads as
 * that answer, and destroys the connection once it is). The answer goes with `connection: close`, the connection ends,
 * and it is destroyed if its client has not closed it after `lingerMs` (destroying it at once can reset it before the
 * client read the answer). Never throws. Node hands the socket over only when a `clientError` listener is set: this
 * sets one, and a `request` listener that notes each connection's last exchange.
 */
export function answerUnreadableRequests(server: Server, answer: (request: UnreadableRequest) => UnreadableAnswer, options: UnreadableOptions): void {
  const exchanges = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
  const refused = new WeakSet<Duplex>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => exchanges.set(req.socket, { req, res }));
  server.on('clientError', (error: Error & { code?: string; rawPacket?: Buffer; bytesParsed?: number }, socket: Duplex) => {
    // The parser refuses each later chunk too: the connection is already answered and closing.
    if (refused.has(socket)) return;
    refused.add(socket);
    try {
      const last = exchanges.get(socket);
      // The refused bytes are the body of a request whose answer was begun (the server answered before reading it all).
      const answeredBefore = last !== undefined && !last.req.complete && last.res.headersSent;
      if (error.code === 'ECONNRESET' || !socket.writable || answeredBefore) {
        socket.destroy();
        return;
      }
      const status = statusOf(error.code);
      const code = error.code ?? error.name;
      // A request whose head was read and whose body was not: the refused bytes are its body.
      const reading = last !== undefined && !last.req.complete ? last.req : undefined;
      const line = reading ? { ...(reading.method ? { method: reading.method } : {}), ...(pathOf(reading.url) ? { path: pathOf(reading.url) } : {}) } : requestLineOf(error.rawPacket, error.bytesParsed);
      const refuse = () => {
        const reply = answer({ status, code, ...line });
        const bytes = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
        const replyStatus = reply.status ?? status;
        const headers = Object.entries(reply.headers)
          .filter(([name]) => !['content-length', 'connection', 'transfer-encoding'].includes(name.toLowerCase()))
          .map(([name, value]) => `${name}: ${value}`);
        const head = [`HTTP/1.1 ${replyStatus} ${STATUS_CODES[replyStatus] ?? 'Bad Request'}`, ...headers, `content-length: ${bytes.length}`, 'connection: close', '', ''].join('\r\n');
        socket.end(Buffer.concat([Buffer.from(head, 'latin1'), bytes]));
        const linger = setTimeout(() => socket.destroy(), options.lingerMs ?? 2000);
        linger.unref();
        socket.once('close', () => clearTimeout(linger));
        options.log?.(`${options.name}: request refused with ${replyStatus} (${code})`);
      };
      if (last !== undefined && last.req.complete && !last.res.writableFinished) {
        // A later request's bytes, the last one's answer not all written: refused after it, in order.
        const { res } = last;
        res.once('finish', () => (socket.writable ? safely(refuse) : socket.destroy()));
        res.once('close', () => {
          if (!res.writableFinished) socket.destroy();
        });
        return;
      }
      refuse();
    } catch (failure) {
      options.log?.(`${options.name}: could not answer a refused request: ${(failure as Error).message}`);
      socket.destroy();
    }
  });

  function safely(refuse: () => void): void {
    try {
      refuse();
    } catch (failure) {
      options.log?.(`${options.name}: could not answer a refused request: ${(failure as Error).message}`);
    }
  }
}
