import { connect } from 'node:net';
import { expect } from 'chai';
import { startStack, type Stack } from '../support/stack.js';

/** One raw HTTP/1.1 request, so the request line can be anything a client could send. */
function rawRequest(port: number, requestLine: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('ops endpoints: read-only, GET and HEAD only', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ without: ['matcher'] });
  });
  after(async () => {
    await stack?.stop();
  });

  const servers = () => [
    { name: 'gateway', port: stack.gateways[0]!.port },
    { name: 'notifier', port: stack.notifier!.port },
    { name: 'recorder', port: stack.recorder!.port },
  ];

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    it(`answers ${method} on /healthz, /readyz and /metrics with 405 and Allow: GET, HEAD`, async () => {
      for (const { name, port } of servers()) {
        for (const path of ['/healthz', '/readyz', '/metrics']) {
          const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
          expect(response.status, `${method} ${name} ${path}`).to.equal(405);
          expect(response.headers.get('allow')).to.equal('GET, HEAD');
        }
      }
    });
  }

  it('still answers GET and HEAD', async () => {
    for (const { name, port } of servers()) {
      for (const method of ['GET', 'HEAD']) {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, { method });
        expect(response.status, `${method} ${name}`).to.equal(200);
      }
    }
  });

  it('keeps serving after request targets named like inherited properties', async () => {
    for (const { port } of servers()) {
      for (const target of ['__proto__', 'constructor', 'toString', '*']) {
        const answer = await rawRequest(port, `GET ${target} HTTP/1.1`);
        expect(answer, target).to.match(/^HTTP\/1\.1 (400|404)/);
      }
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    }
  });
});
