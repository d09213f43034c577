import { fetch, type Dispatcher } from 'undici';
import type { Verdict } from './allocation.js';

/** A fleet's answer, read in full (up to MAX_ANSWER_BYTES). */
export interface Answer {
  status: number;
  text: string;
  /** More than MAX_ANSWER_BYTES came: `text` is cut, and a 2xx is no usable answer. */
  oversized: boolean;
}

/** A server's fields travel in every room event and `matched` frame: an answer larger than this names no server. */
export const MAX_ANSWER_BYTES = 16 * 1024;

/** Error codes of a TLS handshake that failed on a certificate: the same request will fail again. */
const TLS_FAILURE = /^(ERR_SSL_|ERR_TLS_CERT|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|ERR_OSSL_)/;

/**
 * POSTs `body` with undici's fetch and reads the whole answer within `signal`. Transport
 * failures come back as verdicts: a timeout or an unreachable host is retriable, a
 * certificate problem is not. Redirects are not followed: a 3xx is the fleet's answer.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  dispatcher: Dispatcher,
  signal: AbortSignal,
): Promise<Answer | Verdict> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body,
      redirect: 'manual',
      dispatcher,
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let oversized = false;
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > MAX_ANSWER_BYTES) {
          oversized = true;
          // The rest of the body is dropped either way: a cancel that fails (the stream already ended) leaves nothing to free.
          await response.body.cancel().catch(() => undefined);
          break;
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    return { status: response.status, text: Buffer.concat(chunks).toString('utf8'), oversized };
  } catch (error) {
    if (signal.aborted) return { kind: 'retry', reason: 'timeout', detail: 'no answer in time' };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? '';
    const detail = `${code || (error as Error).name}${cause?.message ? `: ${cause.message}` : ''}`;
    if (TLS_FAILURE.test(code)) return { kind: 'failed', reason: 'tls', detail };
    return { kind: 'retry', reason: 'unreachable', detail };
  }
}

export const isAnswer = (value: Answer | Verdict): value is Answer => 'status' in value;

/** The answer's body as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON is an answer too: the caller judges undefined (and logs the excerpt).
    return undefined;
  }
}

/** A short, single-line excerpt of an answer for logs: fleets put their reason in the body. */
export function excerpt(answer: Answer): string {
  const text = answer.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return text ? `HTTP ${answer.status}: ${text}` : `HTTP ${answer.status}`;
}
