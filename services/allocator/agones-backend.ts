import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { ConfigError } from '../../common/config.js';
import type { RoomEvent } from '../../common/messages.js';
import type { AllocateOptions, AllocatorBackend, Verdict } from './allocation.js';
import { excerpt, isAnswer, parseJson, postJson, type Answer } from './transport.js';
import { withinBudget, type Budget } from './within-budget.js';

export interface AgonesBackendOptions extends Budget {
  /** AGONES_ALLOCATOR_URL: `https://HOST/gameserverallocation`. */
  url: string;
  /** PEM file paths for mutual TLS (AGONES_CLIENT_CERT, AGONES_CLIENT_KEY, AGONES_CA_CERT). */
  clientCert: string;
  clientKey: string;
  caCert?: string;
  namespace: string;
  fleet: string;
}

/** The contract's request body: any Ready server of the fleet, labelled with the room it now serves. */
export function allocationRequest(room: Pick<RoomEvent, 'id' | 'mode'>, namespace: string, fleet: string) {
  return {
    namespace,
    gameServerSelectors: [{ matchLabels: { 'agones.dev/fleet': fleet } }],
    metadata: { labels: { 'matchq.io/room': room.id, 'matchq.io/mode': room.mode } },
  };
}

/**
 * The contract's `agones` allocator: a GameServerAllocation to the Agones allocator
 * service's REST endpoint over mutual TLS. The certificate files are read once, at start,
 * so a wrong path stops the service naming the variable.
 */
export function createAgonesBackend(options: AgonesBackendOptions): AllocatorBackend {
  const read = (variable: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(`invalid ${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connect: {
      cert: read('AGONES_CLIENT_CERT', options.clientCert),
      key: read('AGONES_CLIENT_KEY', options.clientKey),
      ...(options.caCert ? { ca: read('AGONES_CA_CERT', options.caCert) } : {}),
    },
  });
  return {
    kind: 'agones',
    allocate(room: RoomEvent, allocateOptions?: AllocateOptions) {
      const body = JSON.stringify(allocationRequest(room, options.namespace, options.fleet));
      return withinBudget(
        async (signal) => {
          const answer = await postJson(options.url, body, {}, dispatcher, signal);
          return isAnswer(answer) ? judgeAgonesAnswer(answer) : answer;
        },
        options,
        allocateOptions,
      );
    },
    close: () => dispatcher.close(),
  };
}

/**
 * Reads the allocator service's answer (pure): an AllocationResponse with `address` and
 * `ports` allocates; 429 is how it says no game server is Ready (gRPC ResourceExhausted),
 * so that and 5xx are retried; anything else fails the room.
 */
export function judgeAgonesAnswer(answer: Answer): Verdict {
  const { status } = answer;
  if (status === 429) return { kind: 'retry', reason: 'no_capacity', detail: excerpt(answer) };
  if (status >= 500) return { kind: 'retry', reason: 'server_error', detail: excerpt(answer) };
  if (status < 200 || status >= 300) return { kind: 'failed', reason: 'rejected', detail: excerpt(answer) };
  const json = (answer.oversized ? undefined : parseJson(answer.text)) as
    { address?: unknown; ports?: { port?: unknown }[]; gameServerName?: unknown } | undefined;
  const port = Array.isArray(json?.ports) ? json.ports[0]?.port : undefined;
  if (typeof json?.address !== 'string' || json.address === '' || !Number.isInteger(port)) {
    return { kind: 'failed', reason: 'bad_answer', detail: `${excerpt(answer)} (no address and port)` };
  }
  // An IPv6 address is bracketed, or its port could not be told from it.
  const host = json.address.includes(':') ? `[${json.address}]` : json.address;
  return {
    kind: 'allocated',
    server: {
      address: `${host}:${String(port)}`,
      ...(typeof json.gameServerName === 'string' ? { name: json.gameServerName } : {}),
    },
  };
}
