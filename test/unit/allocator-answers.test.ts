import { expect } from 'chai';
import { loadConfig } from '../../common/config.js';
import { createBackend } from '../../services/allocator/backends.js';
import type { Verdict } from '../../services/allocator/allocation.js';
import { allocationRequest, judgeAgonesAnswer } from '../../services/allocator/agones-backend.js';
import { judgeHttpAnswer } from '../../services/allocator/http-backend.js';
import { withinBudget } from '../../services/allocator/within-budget.js';

const answer = (status: number, body?: unknown) => ({ status, text: body === undefined ? '' : JSON.stringify(body), oversized: false });

/** The contract's reading of each fleet's answers, and the retry loop's arithmetic, without I/O. */
describe('allocator answers and budget', () => {
  it('http: 200/201 with an address string allocates, with every field as the server', () => {
    expect(judgeHttpAnswer(answer(201, { address: 'a:1', x: [1] }))).to.deep.equal({ kind: 'allocated', server: { address: 'a:1', x: [1] } });
    expect(judgeHttpAnswer(answer(200, { address: '' })).kind).to.equal('failed');
    expect(judgeHttpAnswer(answer(200, ['address'])).kind).to.equal('failed');
    expect(judgeHttpAnswer({ status: 200, text: '{"address":"a:1"', oversized: true }).kind).to.equal('failed');
  });

  it('http: 5xx is retried, 3xx and every 4xx fail at once', () => {
    for (const status of [500, 502, 503, 504, 599]) expect(judgeHttpAnswer(answer(status)).kind, String(status)).to.equal('retry');
    for (const status of [301, 302, 307, 400, 403, 404, 408, 429, 499])
      expect(judgeHttpAnswer(answer(status)), String(status)).to.deep.include({ kind: 'failed', reason: 'rejected' });
  });

  it('agones: address and first port, name from gameServerName; 429 and 5xx retried; anything else fails', () => {
    expect(judgeAgonesAnswer(answer(200, { gameServerName: 'g', address: 'h', ports: [{ port: 2 }, { port: 3 }] }))).to.deep.equal({
      kind: 'allocated',
      server: { address: 'h:2', name: 'g' },
    });
    expect(judgeAgonesAnswer(answer(429))).to.deep.include({ kind: 'retry', reason: 'no_capacity' });
    expect(judgeAgonesAnswer(answer(500))).to.deep.include({ kind: 'retry', reason: 'server_error' });
    for (const status of [301, 400, 401, 403, 404, 409]) expect(judgeAgonesAnswer(answer(status)).kind, String(status)).to.equal('failed');
    expect(judgeAgonesAnswer(answer(200, { address: 'h', ports: [{ port: '7000' }] })).kind).to.equal('failed');
  });

  it("agones: the request body is the contract's, to the letter", () => {
    expect(allocationRequest({ id: 'r1', mode: 'ffa3' }, 'default', 'matchq')).to.deep.equal({
      namespace: 'default',
      gameServerSelectors: [{ matchLabels: { 'agones.dev/fleet': 'matchq' } }],
      metadata: { labels: { 'matchq.io/room': 'r1', 'matchq.io/mode': 'ffa3' } },
    });
  });

  it('backs off exponentially with jitter up to the cap, and stops when the next wait would overrun the budget', async () => {
    const waits: number[] = [];
    const retry: Verdict = { kind: 'retry', reason: 'server_error', detail: 'HTTP 500' };
    const result = await withinBudget(
      async () => retry,
      { timeoutMs: 50, budgetMs: 400, backoffBaseMs: 10, backoffCapMs: 80, random: () => 1 },
      { onRetry: ({ waitMs }) => waits.push(waitMs) },
    );
    expect(result).to.deep.include({ ok: false, reason: 'budget_spent' });
    expect(waits.slice(0, 5)).to.deep.equal([10, 20, 40, 80, 80]);
    expect(result.attempts).to.equal(waits.length + 1);
    const lowest: number[] = [];
    const half = await withinBudget(
      async () => retry,
      { timeoutMs: 50, budgetMs: 100, backoffBaseMs: 40, random: () => 0 },
      { onRetry: ({ waitMs }) => lowest.push(waitMs) },
    );
    expect(lowest.slice(0, 2)).to.deep.equal([20, 40]);
    expect(half.ok).to.equal(false);
  });

  it('hands each attempt a signal that fires at ALLOCATOR_TIMEOUT_MS', async () => {
    let attempts = 0;
    const result = await withinBudget(
      (signal) =>
        new Promise<Verdict>((resolve) => {
          attempts += 1;
          if (attempts === 2) return resolve({ kind: 'allocated', server: { address: 'x:1' } });
          signal.addEventListener('abort', () => resolve({ kind: 'retry', reason: 'timeout', detail: 'slow' }));
        }),
      { timeoutMs: 30, budgetMs: 1000, backoffBaseMs: 1 },
    );
    expect(result).to.deep.equal({ ok: true, server: { address: 'x:1' }, attempts: 2 });
  });
});

describe('allocator backend from the config', () => {
  it('is none for ALLOCATOR=none, and the http backend for http', async () => {
    expect(createBackend(loadConfig({}))).to.equal(null);
    const backend = createBackend(loadConfig({ ALLOCATOR: 'http', ALLOCATOR_URL: 'http://127.0.0.1:1/allocate', JOIN_TOKEN_SECRET: 's' }))!;
    expect(backend.kind).to.equal('http');
    await backend.close();
  });
});
