import { expect } from 'chai';
import sinon from 'sinon';
import { ListrakError } from '../../src/errors.js';
import { TokenProvider } from '../../src/listrak/auth.js';
import { ListrakHttp } from '../../src/listrak/http.js';
import { AdaptiveRate, Semaphore } from '../../src/listrak/limiter.js';
import { SmsApi } from '../../src/listrak/sms.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { SC, baseSeed, member } from '../support/fixtures.js';
import { sandboxWith } from '../support/harness.js';

describe('Listrak HTTP layer (against the sandbox)', () => {
  let sandbox: Sandbox;
  afterEach(async () => {
    sinon.restore();
    await sandbox?.close();
  });

  function client(opts: { secret?: string; rps?: number; concurrency?: number; retries?: number; onRetry?: (r: string, a: number, why: string) => void } = {}) {
    const tokens = new TokenProvider({ authUrl: sandbox.authUrl, clientId: 'test-client', clientSecret: opts.secret ?? 'test-secret-value', timeoutMs: 2000, maxRetries: 2 });
    const http = new ListrakHttp({
      apiUrl: sandbox.apiUrl,
      tokens,
      maxRequestsPerSecond: opts.rps ?? 1000,
      maxConcurrency: opts.concurrency ?? 4,
      timeoutMs: 2000,
      maxRetries: opts.retries ?? 3,
      retryBaseDelayMs: 5,
      onRetry: opts.onRetry,
    });
    return { tokens, http, api: new SmsApi(http, SC) };
  }

  beforeEach(async () => {
    sandbox = await sandboxWith(baseSeed([member(1), member(2)]));
  });

  it('retries 429 and 5xx answers and succeeds', async () => {
    sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', status: 429, times: 1 });
    sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', status: 503, times: 1 });
    const retries: string[] = [];
    const { api, http } = client({ onRetry: (_r, _a, why) => retries.push(why) });
    const sc = await api.getSenderCode();
    expect(sc.shortCodeId).to.equal(SC);
    expect(retries).to.deep.equal(['HTTP 429', 'HTTP 503']);
    expect(http.counter.calls.get('getSenderCode')).to.equal(3);
    expect(http.counter.retries.get('getSenderCode')).to.equal(2);
  });

  it('honours Retry-After', async () => {
    sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', status: 429, retryAfterS: 1 });
    const { api } = client();
    const t0 = performance.now();
    await api.getSenderCode();
    expect(performance.now() - t0).to.be.at.least(950);
  });

  it('retries a dropped connection', async () => {
    sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', drop: true });
    const { api } = client();
    expect((await api.getSenderCode()).shortCodeId).to.equal(SC);
    expect(sandbox.calls.get('SenderCode_GetShortCodeResource')).to.equal(2);
  });

  it('gives up after max_retries with a typed error', async () => {
    sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', status: 500, times: 10 });
    const { api } = client({ retries: 2 });
    const err = await api.getSenderCode().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ListrakError);
    expect(err).to.include({ code: 'ERROR_UNHANDLED_EXCEPTION', status: 500 });
    expect(sandbox.calls.get('SenderCode_GetShortCodeResource')).to.equal(3);
  });

  it('does not retry a 400 and types its ERROR_* code', async () => {
    const { api } = client();
    const err = await api.subscribe('12155550001', 2002).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ListrakError);
    expect(err).to.include({ code: 'ERROR_SUBSCRIBED_PHONE_NUMBER', status: 400 });
    expect(sandbox.calls.get('ContactListSubscription_PostContactListSubscription')).to.equal(1);
  });

  it('renews an expired token once and retries the call', async () => {
    const { api, tokens } = client();
    await api.getSenderCode();
    sandbox.expireTokens();
    await api.getSenderCode();
    expect(tokens.fetches).to.equal(2);
    expect(sandbox.calls.get('SenderCode_GetShortCodeResource')).to.equal(3);
  });

  it('fetches one token however many calls hit a 401 together', async () => {
    const { api, tokens } = client({ concurrency: 8 });
    await api.getSenderCode();
    sandbox.expireTokens();
    await Promise.all(Array.from({ length: 8 }, () => api.getSenderCode()));
    expect(tokens.fetches).to.equal(2);
  });

  it('fetches one token for many first calls at once', async () => {
    const { api, tokens } = client({ concurrency: 8 });
    await Promise.all(Array.from({ length: 8 }, () => api.getSenderCode()));
    expect(tokens.fetches).to.equal(1);
  });

  it('fails fast on bad credentials with a clear message', async () => {
    const { api } = client({ secret: 'wrong-secret' });
    const err = (await api.getSenderCode().catch((e: unknown) => e)) as ListrakError;
    expect(err).to.be.instanceOf(ListrakError);
    expect(err.code).to.equal('ERROR_INVALID_CREDENTIALS');
    expect(err.message).to.match(/refused the credentials/);
    expect(err.message).to.not.include('wrong-secret');
    expect(sandbox.calls.get('token')).to.equal(1);
  });

  it('refreshes a token ahead of its expiry', async () => {
    let now = 1_000_000;
    const tokens = new TokenProvider({ authUrl: sandbox.authUrl, clientId: 'test-client', clientSecret: 'test-secret-value', timeoutMs: 2000, maxRetries: 0, now: () => now });
    const a = await tokens.token();
    now += 3545 * 1000; // inside the last 60 s of a 3599 s token
    const b = await tokens.token();
    expect(a).to.not.equal(b);
    expect(tokens.fetches).to.equal(2);
  });

  it('keeps within max_requests_per_second across concurrent calls', async () => {
    const { api } = client({ rps: 20, concurrency: 8 });
    await api.getSenderCode(); // token + first call
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => api.getSenderCode()));
    // 10 starts spaced 50 ms apart take at least ~450 ms.
    expect(performance.now() - t0).to.be.at.least(400);
  });
});

describe('limiter primitives', () => {
  it('Semaphore never runs more than its limit at once', async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        sem.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
        }),
      ),
    );
    expect(peak).to.equal(3);
  });

  it('a pinned rate spaces starts evenly', async () => {
    const rl = new AdaptiveRate({ ceiling: 100, adaptive: false });
    const t0 = performance.now();
    for (let i = 0; i < 11; i++) await rl.take();
    expect(performance.now() - t0).to.be.at.least(90);
  });
});
