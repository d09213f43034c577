import { Agent } from 'undici';
import type { RoomEvent } from '../../common/messages.js';
import type { AllocateOptions, AllocatorBackend, Server, Verdict } from './allocation.js';
import { excerpt, isAnswer, parseJson, postJson, type Answer } from './transport.js';
import { withinBudget, type Budget } from './within-budget.js';

export interface HttpBackendOptions extends Budget {
  /** ALLOCATOR_URL: each final room is POSTed here. */
  url: string;
  /** ALLOCATOR_TOKEN: sent as a bearer token when set. */
  token?: string;
}

/**
 * The contract's `http` allocator: the final room event (with `v`) is POSTed to the fleet,
 * keyed by the room id so a fleet that honours `Idempotency-Key` hands a retried room the
 * same server. 200/201 with an `address` allocates, and the whole answer becomes `server`.
 */
export function createHttpBackend(options: HttpBackendOptions): AllocatorBackend {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  const headersOf = (room: RoomEvent): Record<string, string> => ({
    'idempotency-key': room.id,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  });
  return {
    kind: 'http',
    allocate(room: RoomEvent, allocateOptions?: AllocateOptions) {
      const body = JSON.stringify(room);
      return withinBudget(
        async (signal) => {
          const answer = await postJson(options.url, body, headersOf(room), dispatcher, signal);
          return isAnswer(answer) ? judgeHttpAnswer(answer) : answer;
        },
        options,
        allocateOptions,
      );
    },
    close: () => dispatcher.close(),
  };
}

/** The contract's reading of a fleet's answer (pure). */
export function judgeHttpAnswer(answer: Answer): Verdict {
  const { status } = answer;
  if (status >= 500) return { kind: 'retry', reason: 'server_error', detail: excerpt(answer) };
  if (status === 200 || status === 201) {
    const json = answer.oversized ? undefined : parseJson(answer.text);
    if (isServer(json)) return { kind: 'allocated', server: json };
    return { kind: 'failed', reason: 'bad_answer', detail: `${excerpt(answer)} (no address)` };
  }
  if (status >= 200 && status < 300) return { kind: 'failed', reason: 'bad_answer', detail: `${excerpt(answer)} (only 200 or 201 allocates)` };
  return { kind: 'failed', reason: 'rejected', detail: excerpt(answer) };
}

function isServer(json: unknown): json is Server {
  return (
    typeof json === 'object' &&
    json !== null &&
    !Array.isArray(json) &&
    typeof (json as { address?: unknown }).address === 'string' &&
    (json as { address: string }).address !== ''
  );
}
