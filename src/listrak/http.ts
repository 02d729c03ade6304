/**
 * The one door to Listrak's API. Every call passes through here, so retries, pacing, authentication, metrics and
 * error typing live in one place:
 *  - axios with a keep-alive agent; axios-retry retries 429, 5xx and network errors with exponential backoff and
 *    jitter, honouring Retry-After;
 *  - a rate limiter (each attempt, retries included) and a concurrency cap shared by every phase;
 *  - a Bearer token from TokenProvider; a 401 is retried once with a fresh token;
 *  - Listrak's error envelope `{status, error, message}` becomes a ListrakError with the `ERROR_*` code.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosError, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import axiosRetry, { exponentialDelay, isNetworkError } from 'axios-retry';
import { ListrakError } from '../errors.js';
import { printable } from '../printable.js';
import { maskPhonesIn } from '../redact.js';
import type { TokenProvider } from './auth.js';
import { AdaptiveRate, Semaphore } from './limiter.js';

export interface HttpOptions {
  apiUrl: string;
  tokens: TokenProvider;
  /** The highest rate; with `adaptiveRate` the rate is found below it, else it is the rate. */
  maxRequestsPerSecond: number;
  adaptiveRate?: boolean;
  maxConcurrency: number;
  timeoutMs: number;
  maxRetries: number;
  /** Base of the exponential backoff; tests shorten it. */
  retryBaseDelayMs?: number;
  onRetry?: RetryListener;
  /** Each attempt's route, HTTP status (undefined: no answer) and seconds: the route timers. */
  onAttempt?: (route: string, status: number | undefined, seconds: number) => void;
  /** A stop request: no attempt starts once it is aborted (its reason is thrown); those in flight finish. */
  signal?: AbortSignal;
}

/** Told of each retry before its wait: the route, which retry of how many, why (`HTTP 503`, `timeout`…) and the wait. */
export type RetryListener = (route: string, attempt: number, reason: string, waitMs: number, maxRetries: number) => void;

export interface CallOptions {
  params?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** An absolute URL to call instead of apiUrl + path (a `nextPageCursor` given as a URI). */
  absoluteUrl?: string;
  /**
   * The call must not be repeated if Listrak may have acted on it (a transactional send): retry only answers that
   * prove it did not (429) and connections that were never made.
   */
  notIdempotent?: boolean;
  /** Resolve with the 2xx body's bytes, unparsed (large pages parsed elsewhere, e.g. in a worker thread). */
  raw?: boolean;
}

/** Connection errors that happen before a request can reach the server. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function certainlyNotReceived(err: { status?: number; networkCode?: string }): boolean {
  return err.status === 429 || (err.networkCode !== undefined && NEVER_SENT.has(err.networkCode));
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Calls made per route, attempts and retries apart: the report prints these. */
export class CallCounter {
  readonly calls = new Map<string, number>();
  readonly retries = new Map<string, number>();
  add(map: Map<string, number>, route: string) {
    map.set(route, (map.get(route) ?? 0) + 1);
  }
  total(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }
}

interface RouteConfig extends AxiosRequestConfig {
  route?: string;
  /** The wait before the retry about to be made (set by retryDelay, read by onRetry). */
  retryWaitMs?: number;
  started?: number;
}

export class ListrakHttp {
  readonly counter = new CallCounter();
  private readonly axios: AxiosInstance;
  /** The request rate (found by the server's answers unless pinned), shared by every call. */
  readonly rate: AdaptiveRate;
  private readonly slots: Semaphore;

  constructor(private readonly opts: HttpOptions) {
    this.rate = new AdaptiveRate({ ceiling: opts.maxRequestsPerSecond, adaptive: opts.adaptiveRate ?? false });
    this.slots = new Semaphore(opts.maxConcurrency);
    const keepAlive = { keepAlive: true, maxSockets: opts.maxConcurrency };
    this.axios = axios.create({
      baseURL: opts.apiUrl.replace(/\/+$/, ''),
      timeout: opts.timeoutMs,
      httpAgent: new http.Agent(keepAlive),
      httpsAgent: new https.Agent(keepAlive),
      headers: { Accept: 'application/json' },
      // Listrak's error bodies are what we branch on; let every status through and type it below.
      validateStatus: (s) => s < 500 && s !== 429,
    });
    // Each attempt, first or retry, waits for its place in the rate limit and counts as a call.
    this.axios.interceptors.request.use(async (config) => {
      opts.signal?.throwIfAborted();
      await this.rate.take();
      this.counter.add(this.counter.calls, (config as RouteConfig).route ?? 'unknown');
      (config as RouteConfig).started = performance.now();
      return config;
    });
    // Registered before axios-retry's, so it sees every attempt, retries included.
    const timed = (config: RouteConfig | undefined, status: number | undefined) => {
      if (config?.started !== undefined) opts.onAttempt?.(config.route ?? 'unknown', status, (performance.now() - config.started) / 1000);
    };
    this.axios.interceptors.response.use(
      (res) => (timed(res.config, res.status), this.rate.succeeded(), res),
      (err: AxiosError) => {
        timed(err.config, err.response?.status);
        if (err.response?.status === 429) this.rate.refused(retryAfterMs(err.response.headers['retry-after']));
        return Promise.reject(err);
      },
    );
    const base = opts.retryBaseDelayMs ?? 300;
    axiosRetry(this.axios, {
      retries: opts.maxRetries,
      retryCondition: (err) => isNetworkError(err) || isTimeout(err) || err.response?.status === 429 || (err.response?.status ?? 0) >= 500,
      // exponentialDelay adds up to 20% jitter; Retry-After, when sent, wins (axios-retry reads it itself).
      retryDelay: (count, err) => {
        const wait = Math.min(60_000, exponentialDelay(count, err, base));
        if (err.config) (err.config as RouteConfig).retryWaitMs = wait;
        return wait;
      },
      shouldResetTimeout: true,
      onRetry: (count, err, config) => {
        const route = (config as RouteConfig).route ?? 'unknown';
        this.counter.add(this.counter.retries, route);
        opts.onRetry?.(route, count, failureReason(err, opts.timeoutMs), (config as RouteConfig).retryWaitMs ?? 0, opts.maxRetries);
      },
    });
  }

  /**
   * One API call. Resolves with the parsed body of a 2xx answer; throws ListrakError for anything else
   * (after retries for 429/5xx/network errors, and one token renewal for a 401).
   */
  async call<T>(route: string, method: Method, path: string, options: CallOptions = {}): Promise<T> {
    return this.slots.run(async () => {
      let token = await this.opts.tokens.token();
      let res = await this.send(route, method, path, options, token);
      if (res.status === 401) {
        token = await this.opts.tokens.renewAfterRejection(token);
        res = await this.send(route, method, path, options, token);
      }
      if (res.status >= 200 && res.status < 300) return res.data as T;
      throw toListrakError(route, res.status, decodeBody(res.data), this.urlOf(path, options));
    });
  }

  private async send(route: string, method: Method, path: string, options: CallOptions, token: string) {
    const config: RouteConfig = {
      route,
      method,
      ...(options.notIdempotent
        ? { 'axios-retry': { retryCondition: (e: AxiosError) => certainlyNotReceived({ status: e.response?.status, networkCode: e.code }) } }
        : {}),
      ...(options.raw ? { responseType: 'arraybuffer' as const } : {}),
      url: options.absoluteUrl ?? path,
      params: options.params,
      data: options.body,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
    };
    try {
      return await this.axios.request(config);
    } catch (e) {
      if (!axios.isAxiosError(e)) throw e; // a stop request (opts.signal), not Listrak's answer
      const err = e as AxiosError;
      if (err.response) throw toListrakError(route, err.response.status, decodeBody(err.response.data), this.urlOf(path, options));
      // A connection never made points at the setting (or the network); one dropped midway does not.
      const hint = err.code && NEVER_SENT.has(err.code) ? ': check api_url and the network' : '';
      const failure = new ListrakError('NETWORK', undefined, `${route}: cannot reach Listrak at ${shownUrl(this.opts.apiUrl)} (${failureReason(err, this.opts.timeoutMs)})${hint}`, route);
      failure.networkCode = err.code;
      throw failure;
    }
  }

  /** The URL a call went to, as it may be shown (no query string, no credentials). */
  private urlOf(path: string, options: CallOptions): WrongUrlHint {
    return { key: 'api_url', configured: this.opts.apiUrl, tried: options.absoluteUrl ?? this.opts.apiUrl.replace(/\/+$/, '') + path };
  }
}

/** A Retry-After header's wait (seconds, or an HTTP date), in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The log line for one retry: `getMembers: retry 2 of 5 after HTTP 503; waiting 1.2 s`. */
export function retryLine(route: string, attempt: number, reason: string, waitMs: number, maxRetries: number): string {
  return `${route}: retry ${attempt} of ${maxRetries} after ${reason}; waiting ${(waitMs / 1000).toFixed(1)} s`;
}

/** Why an attempt failed, in a few words: `HTTP 503`, `timeout after 30 s`, `ECONNREFUSED`. */
export function failureReason(err: AxiosError, timeoutMs: number): string {
  if (err.response) return `HTTP ${err.response.status}`;
  if (isTimeout(err)) return `no answer within ${(timeoutMs / 1000).toLocaleString('en-US')} s`;
  return err.code ?? err.message;
}

/** Which setting a URL came from, for a message that points at it when the server says the path does not exist. */
export interface WrongUrlHint {
  key: 'api_url' | 'auth_url';
  configured: string;
  tried: string;
}

/** A URL as it may appear in a message: no user or password, no query string or fragment (they may hold secrets). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}

/**
 * A 404 that is not Listrak saying an id in a valid route was not found: no Listrak error envelope (another server,
 * or a path no Listrak route has), or Listrak's own "no such route". The URL setting is wrong, not an id.
 */
export function isWrongPath(status: number, body: unknown): boolean {
  if (status !== 404) return false;
  const error = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  return typeof error !== 'string' || !error.startsWith('ERROR_') || error === 'ERROR_UNKNOWN_ROUTE';
}

/** A raw (Buffer) answer read as JSON where it is JSON, else as text: error bodies are branched on either way. */
function decodeBody(data: unknown): unknown {
  if (!Buffer.isBuffer(data)) return data;
  const text = data.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isTimeout(err: AxiosError): boolean {
  return err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT';
}

export function toListrakError(route: string, status: number, body: unknown, url?: WrongUrlHint): ListrakError {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; message?: unknown };
  const code = typeof b.error === 'string' && b.error.startsWith('ERROR_') ? b.error : `HTTP_${status}`;
  if (url && isWrongPath(status, body)) {
    return new ListrakError(code, status, maskPhonesIn(`${route}: no such route at ${shownUrl(url.tried)} (HTTP 404): check ${url.key} (now ${shownUrl(url.configured)})`), route);
  }
  const detail = typeof b.message === 'string' ? b.message : typeof body === 'string' ? printable(body, 200) : '';
  return new ListrakError(code, status, maskPhonesIn(`${route}: Listrak answered HTTP ${status} ${code}${detail ? `: ${detail}` : ''}`), route);
}
