/** The request rate found from the server's answers (listrak/limiter.ts), on a clock the spec moves. */
import { expect } from 'chai';
import { AdaptiveRate } from '../../src/listrak/limiter.js';
import { retryAfterMs } from '../../src/listrak/http.js';
import { createListrakClient } from '../../src/listrak/client.js';
import { ListrakError } from '../../src/errors.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { baseSeed, member } from '../support/fixtures.js';
import { configFor, sandboxWith } from '../support/harness.js';

function clocked(opts: { ceiling?: number; adaptive?: boolean; start?: number } = {}) {
  const clock = { t: 0 };
  const rate = new AdaptiveRate({ ceiling: opts.ceiling ?? 100, adaptive: opts.adaptive ?? true, start: opts.start, now: () => clock.t });
  return { rate, clock };
}

describe('the adaptive request rate', () => {
  it('starts conservatively, and grows while calls succeed, up to the ceiling', () => {
    const { rate } = clocked({ ceiling: 40 });
    expect(rate.rate).to.equal(5);
    rate.succeeded();
    expect(rate.rate).to.be.closeTo(5.25, 1e-9);
    for (let i = 0; i < 100; i++) rate.succeeded();
    expect(rate.rate, 'never above the ceiling').to.equal(40);
  });

  it('cuts the rate by 30% on a 429, once for the calls refused together, then grows slowly', () => {
    const { rate, clock } = clocked({ start: 20 });
    rate.refused();
    expect(rate.rate).to.be.closeTo(14, 1e-9);
    clock.t += 500;
    rate.refused();
    expect(rate.rate, 'a second refusal within the second: the same burst').to.be.closeTo(14, 1e-9);
    clock.t += 600;
    rate.refused();
    expect(rate.rate).to.be.closeTo(9.8, 1e-9);
    rate.succeeded();
    expect(rate.rate, 'after a refusal: a sixth of a percent a success').to.be.closeTo(9.8 * (1 + 1 / 600), 1e-9);
    expect(rate.seen).to.deep.equal({ succeeded: 1, refused: 3 });
    expect(rate.summary()).to.equal('9.8 req/s, 75.0% refused');
  });

  it('after a fast start, cuts to what the server served lately when that is lower than 70%', () => {
    const { rate, clock } = clocked({ start: 10 });
    // The server takes 8 calls a second for two seconds while the rate has run up to 50.
    for (let i = 0; i < 16; i++) {
      clock.t += 125;
      rate.succeeded();
    }
    rate.rate = 50;
    rate.refused();
    expect(rate.rate).to.be.closeTo(8 * 0.9, 1e-9);
    // Without a second's worth of answers to go by, 70% it is.
    const fresh = clocked({ start: 20 });
    fresh.rate.refused();
    expect(fresh.rate.rate).to.be.closeTo(14, 1e-9);
  });

  it('never drops below half a call a second', () => {
    const { rate, clock } = clocked({ start: 1 });
    for (let i = 0; i < 20; i++) {
      clock.t += 1000;
      rate.refused();
    }
    expect(rate.rate).to.equal(0.5);
  });

  it('spaces starts by the rate, and holds every start for a Retry-After', () => {
    const { rate, clock } = clocked({ start: 10, adaptive: true });
    expect(rate.reserve()).to.equal(0);
    expect(rate.reserve()).to.equal(100);
    clock.t = 200;
    expect(rate.reserve()).to.equal(0);
    rate.refused(3000);
    expect(rate.reserve(), 'nothing starts before the server said').to.equal(3000);
  });

  it('stays where it is pinned: no growth, no cut, Retry-After still honoured', () => {
    const { rate, clock } = clocked({ ceiling: 8, adaptive: false });
    expect(rate.rate).to.equal(8);
    for (let i = 0; i < 50; i++) rate.succeeded();
    clock.t += 5000;
    rate.refused(1000);
    expect(rate.rate).to.equal(8);
    expect(rate.reserve()).to.equal(1000);
    expect(rate.summary()).to.equal('8.0 req/s (pinned), 2.0% refused');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).to.equal(2000);
    expect(retryAfterMs('0.5')).to.equal(500);
    expect(retryAfterMs(undefined)).to.equal(undefined);
    expect(retryAfterMs('soon')).to.equal(undefined);
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterMs(inAMinute)).to.be.within(55_000, 61_000);
  });
});

describe('the adaptive rate against a leaky-bucket server (sandbox over HTTP)', function () {
  this.timeout(30_000);

  async function client(sandbox: Sandbox, extra: Record<string, unknown>) {
    return createListrakClient(configFor(sandbox, { adaptive_rate: true, max_retries: 8, ...extra }), { retryBaseDelayMs: 20 });
  }

  it('finds the limit: refused calls shrink the rate, and every call ends done', async () => {
    const sandbox = await sandboxWith(baseSeed([member(1)]), { rateLimit: { perSecond: 20, capacity: 5 } });
    try {
      const { http, api } = await client(sandbox, { max_requests_per_second: 200 });
      await Promise.all(Array.from({ length: 60 }, () => api.getSenderCode()));
      const refused = sandbox.calls.get('rate_limited') ?? 0;
      expect(refused, 'the fast start ran into the limit').to.be.above(0);
      expect(http.rate.seen.refused).to.equal(refused);
      expect(http.rate.rate, 'cut back near what the server allows').to.be.below(40);
      expect(http.rate.seen.succeeded).to.be.at.least(60);
    } finally {
      await sandbox.close();
    }
  });

  it('honours Retry-After when the server sends one', async () => {
    const sandbox = await sandboxWith(baseSeed([member(1)]), { rateLimit: { perSecond: 2, capacity: 1, retryAfter: true } });
    try {
      const { http, api } = await client(sandbox, {});
      const t0 = performance.now();
      await api.getSenderCode();
      await api.getSenderCode();
      expect(sandbox.calls.get('rate_limited'), 'the second call overflowed the bucket').to.be.at.least(1);
      expect(performance.now() - t0, 'and waited the second the server asked for').to.be.at.least(900);
      expect(http.rate.seen.succeeded).to.be.at.least(2);
    } finally {
      await sandbox.close();
    }
  });

  it('keeps a pinned rate, and still ends a failing server in the usual retries and error', async () => {
    const sandbox = await sandboxWith(baseSeed([member(1)]));
    try {
      const { http, api } = await client(sandbox, { adaptive_rate: false, max_requests_per_second: 50, max_retries: 2 });
      sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', status: 503, times: 10 });
      const err = await api.getSenderCode().then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ListrakError);
      expect((err as ListrakError).status).to.equal(503);
      expect(sandbox.calls.get('SenderCode_GetShortCodeResource'), 'the first try and its two retries').to.equal(3);
      expect(http.rate.rate).to.equal(50);
    } finally {
      await sandbox.close();
    }
  });
});
