/**
 * OAuth2 client-credentials tokens for Listrak: cached, refreshed ahead of expiry, and fetched by one request at a
 * time however many callers need a token at once (single flight).
 */
import axios, { type AxiosError, type AxiosInstance } from 'axios';
import { ListrakError } from '../errors.js';
import { failureReason, shownUrl, type RetryListener } from './http.js';
import { sleep } from './limiter.js';

export interface TokenProviderOptions {
  authUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  maxRetries: number;
  /** Refresh this many seconds before the token's stated expiry (Listrak tokens last ~3600 s). */
  refreshMarginS?: number;
  http?: AxiosInstance;
  now?: () => number;
  /** Told of each retry of the token request, as the API's retries are. */
  onRetry?: RetryListener;
  /** Base of the exponential backoff; tests shorten it. */
  retryBaseDelayMs?: number;
}

/** A failed token request, with the few words a retry line shows. */
interface TokenFailure extends ListrakError {
  reason?: string;
}

function tokenFailure(code: string, status: number | undefined, message: string, reason?: string): TokenFailure {
  const e: TokenFailure = new ListrakError(code, status, message, 'token');
  e.reason = reason;
  return e;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

export class TokenProvider {
  private cached?: CachedToken;
  private inflight?: Promise<string>;
  /** Tokens fetched so far; a metric, and a test hook for the single-flight guarantee. */
  fetches = 0;
  private readonly http: AxiosInstance;
  private readonly now: () => number;

  constructor(private readonly opts: TokenProviderOptions) {
    this.http = opts.http ?? axios.create();
    this.now = opts.now ?? Date.now;
  }

  /** The current token, fetching a new one when none is cached or it is about to expire. */
  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.expiresAt) return this.cached.value;
    return this.refresh();
  }

  /** Called after a 401: drop `rejected` (if it is still the cached one) and fetch a new token, once for all callers. */
  async renewAfterRejection(rejected: string): Promise<string> {
    if (this.cached?.value === rejected) this.cached = undefined;
    return this.token();
  }

  private refresh(): Promise<string> {
    if (!this.inflight) {
      this.inflight = this.fetchWithRetry().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetchWithRetry(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fetchOnce();
      } catch (err) {
        const retryable = err instanceof ListrakError && (err.code === 'NETWORK' || (err.status !== undefined && err.status >= 500) || err.status === 429);
        if (!retryable || attempt >= this.opts.maxRetries) throw err;
        const wait = Math.min(30_000, (this.opts.retryBaseDelayMs ?? 250) * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.opts.onRetry?.('token', attempt + 1, (err as TokenFailure).reason ?? err.code, wait, this.opts.maxRetries);
        await sleep(wait);
      }
    }
  }

  private async fetchOnce(): Promise<string> {
    this.fetches++;
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.opts.clientId,
      client_secret: this.opts.clientSecret,
    });
    let res;
    try {
      res = await this.http.post(this.opts.authUrl, body.toString(), {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        timeout: this.opts.timeoutMs,
        validateStatus: () => true,
      });
    } catch (e) {
      const reason = failureReason(e as AxiosError, this.opts.timeoutMs);
      throw tokenFailure('NETWORK', undefined, `cannot reach the Listrak token endpoint ${shownUrl(this.opts.authUrl)} (${reason}): check auth_url and the network`, reason);
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new ListrakError(
        'ERROR_INVALID_CREDENTIALS',
        res.status,
        `Listrak refused the credentials (HTTP ${res.status}): check client_id and client_secret, that the integration is an active SMS integration, and its IP allow-list`,
        'token',
      );
    }
    // Any 404 here is the URL's: the token endpoint has no ids in its path.
    if (res.status === 404) {
      throw tokenFailure('HTTP_404', 404, `no token endpoint at ${shownUrl(this.opts.authUrl)} (HTTP 404): check auth_url`);
    }
    if (res.status !== 200) throw tokenFailure(`HTTP_${res.status}`, res.status, `the Listrak token endpoint ${shownUrl(this.opts.authUrl)} answered HTTP ${res.status}`, `HTTP ${res.status}`);
    const data = res.data as { access_token?: unknown; expires_in?: unknown };
    if (typeof data?.access_token !== 'string' || data.access_token.length === 0) {
      throw tokenFailure('BAD_TOKEN_RESPONSE', res.status, `${shownUrl(this.opts.authUrl)} answered without an access_token: check auth_url`);
    }
    const expiresIn = typeof data.expires_in === 'number' && data.expires_in > 0 ? data.expires_in : 3600;
    const margin = Math.min(this.opts.refreshMarginS ?? 60, expiresIn / 10);
    this.cached = { value: data.access_token, expiresAt: this.now() + (expiresIn - margin) * 1000 };
    return data.access_token;
  }

  /** For redaction: the secrets this provider knows. */
  secrets(): string[] {
    return [this.opts.clientSecret, ...(this.cached ? [this.cached.value] : [])];
  }
}
