import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** One request as the fleet saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client certificate's subject CN, on the HTTPS stub. */
  clientCn?: string;
}

/** How the stub answers one request: a status and body, after an optional delay. */
export interface StubAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * A game server fleet the test starts for real on a free port: it answers each request with the
 * next scripted answer (the last one repeats) and records what it saw. Plain HTTP for the http
 * allocator; HTTPS demanding a client certificate signed by `tls.ca` for the Agones allocator service.
 */
export class FleetStub {
  readonly seen: SeenRequest[] = [];
  private answers: StubAnswer[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: { path?: string; port?: number; tls?: { cert: string; key: string; ca: string } } = {}): Promise<FleetStub> {
    let stub: FleetStub | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => stub!.handle(req, res);
    const server = options.tls
      ? createHttpsServer(
          {
            cert: readFileSync(options.tls.cert),
            key: readFileSync(options.tls.key),
            ca: readFileSync(options.tls.ca),
            requestCert: true,
            rejectUnauthorized: true,
          },
          handler,
        )
      : createHttpServer(handler);
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    stub = new FleetStub(server, `${options.tls ? 'https' : 'http'}://${options.tls ? 'localhost' : '127.0.0.1'}:${port}${options.path ?? '/allocate'}`);
    return stub;
  }

  /** The answers, in order, to the next requests; the last repeats. */
  answer(...answers: StubAnswer[]): this {
    this.answers = answers;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const socket = req.socket as Partial<TLSSocket>;
      const cn = socket.getPeerCertificate?.()?.subject?.CN;
      const clientCn = Array.isArray(cn) ? cn[0] : cn;
      this.seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        ...(clientCn ? { clientCn } : {}),
      });
      const answer = this.answers.length > 1 ? this.answers.shift()! : (this.answers[0] ?? { status: 500 });
      const send = () => {
        if (res.destroyed) return;
        const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { ...(typeof answer.body === 'object' ? { 'content-type': 'application/json' } : {}), ...answer.headers });
        res.end(text);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  }
}
