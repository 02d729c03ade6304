/** Builds the Listrak client stack (tokens → HTTP layer → typed SMS routes) from a target config. */
import type { TargetConfig } from '../config/target.js';
import { TokenProvider } from './auth.js';
import { ListrakHttp, type HttpOptions } from './http.js';
import { SmsApi } from './sms.js';

export interface ListrakClient {
  tokens: TokenProvider;
  http: ListrakHttp;
  api: SmsApi;
}

export function createListrakClient(
  config: TargetConfig,
  extra: Pick<HttpOptions, 'onRetry' | 'onAttempt' | 'retryBaseDelayMs' | 'signal'> = {},
): ListrakClient {
  const tokens = new TokenProvider({
    authUrl: config.auth_url,
    clientId: config.client_id,
    clientSecret: config.client_secret,
    timeoutMs: config.request_timeout_ms,
    maxRetries: config.max_retries,
    onRetry: extra.onRetry,
    retryBaseDelayMs: extra.retryBaseDelayMs,
  });
  const http = new ListrakHttp({
    apiUrl: config.api_url,
    tokens,
    maxRequestsPerSecond: config.max_requests_per_second,
    adaptiveRate: config.adaptive_rate,
    maxConcurrency: config.max_concurrency,
    timeoutMs: config.request_timeout_ms,
    maxRetries: config.max_retries,
    ...extra,
  });
  return { tokens, http, api: new SmsApi(http, config.sender_code_id) };
}
