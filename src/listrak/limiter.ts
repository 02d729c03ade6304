/**
 * Client-side pacing shared by every phase: the request rate (found from the server's answers, or pinned) and at
 * most `concurrency` requests in flight. Starts are spaced evenly (no bursts), which is what a leaky-bucket server
 * wants to see.
 */

/**
 * The request rate, found by watching the server's answers: Listrak publishes no limit and sends no Retry-After,
 * so the client must find how fast it may go. It starts at a few requests a second and grows while calls succeed
 * (by 5% a success until the first refusal, then by a sixth of a percent: a refusal every couple of hundred calls
 * once it has found the limit). A 429 cuts it to 70%, or to 90% of what the server served in the last two seconds
 * when that is lower (after a fast start the rate may be far above the limit), at most once a second (the calls in
 * flight when the server starts refusing all come back refused); a Retry-After, when sent, holds every start until
 * it has passed.
 * Pinned (`adaptive: false`), it is a fixed rate, as before.
 *
 * No library was taken: the candidates on npm are fixed-rate token buckets (bottleneck, limiter) or concurrency
 * caps (p-limit); the additive-increase/multiplicative-decrease rule is the few lines below.
 */
export class AdaptiveRate {
  /** Requests per second allowed now. */
  rate: number;
  private slowStart = true;
  private nextStart = 0;
  private lastCut = -Infinity;
  /** Answers seen: the share of refusals is what the report shows. */
  readonly seen = { succeeded: 0, refused: 0 };
  /** When the last calls succeeded (a ring): what the server served lately. */
  private readonly served = new Float64Array(SERVED_WINDOW_CALLS).fill(-Infinity);
  private servedAt = 0;

  constructor(private readonly opts: { ceiling: number; adaptive: boolean; start?: number; now?: () => number }) {
    this.rate = opts.adaptive ? Math.min(opts.ceiling, opts.start ?? INITIAL_RATE) : opts.ceiling;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  /** Resolve when this caller may start a request (starts spaced evenly: what a leaky-bucket server wants). */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 1) await sleep(wait);
  }

  /** Book the next start: how many milliseconds from now it is. */
  reserve(): number {
    const now = this.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + 1000 / this.rate;
    return at - now;
  }

  /** A call the server took. */
  succeeded(): void {
    this.seen.succeeded++;
    if (!this.opts.adaptive) return;
    this.served[this.servedAt++ % SERVED_WINDOW_CALLS] = this.now();
    this.rate = Math.min(this.opts.ceiling, this.rate * (this.slowStart ? 1.05 : 1 + 1 / 600));
  }

  /** Calls a second the server took over the last two seconds (undefined before there is a second's worth). */
  private servedRate(now: number): number | undefined {
    let n = 0;
    for (const t of this.served) if (now - t <= SERVED_WINDOW_MS) n++;
    return n >= 2 ? n / (SERVED_WINDOW_MS / 1000) : undefined;
  }

  /** A call the server refused (429); `retryAfterMs` when it said how long to wait. */
  refused(retryAfterMs?: number): void {
    this.seen.refused++;
    const now = this.now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.nextStart = Math.max(this.nextStart, now + retryAfterMs);
    if (!this.opts.adaptive || now - this.lastCut < 1000) return;
    this.lastCut = now;
    this.slowStart = false;
    const served = this.servedRate(now);
    this.rate = Math.max(MIN_RATE, Math.min(this.rate * 0.7, served === undefined ? Infinity : served * 0.9));
  }

  /** `31.8 req/s, 0.4% refused`: the rate found, and how often the server said no. */
  summary(): string {
    const { succeeded, refused } = this.seen;
    const total = succeeded + refused;
    const share = total ? (100 * refused) / total : 0;
    return `${this.rate.toFixed(1)} req/s${this.opts.adaptive ? '' : ' (pinned)'}, ${share.toFixed(1)}% refused`;
  }
}

/** Where an adaptive rate starts: a few calls a second, which no API refuses. */
const INITIAL_RATE = 5;
/** Never slower than this, however often the server refuses. */
const MIN_RATE = 0.5;
/** What "served lately" looks back over, and the most calls it remembers (above any rate a server would allow). */
const SERVED_WINDOW_MS = 2000;
const SERVED_WINDOW_CALLS = 512;

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Run `fn` over `items` with at most `limit` in flight; results keep the input order. After a failure no item
 * starts, and the first error is thrown once those in flight have ended: a write (or a text and its journal
 * entry) is never left half-way behind a run that has moved on.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
