/**
 * Client-side pacing shared by every phase: at most `rps` request starts per second and at most `concurrency`
 * requests in flight. Starts are spaced evenly (no bursts), which is what a leaky-bucket server wants to see.
 */

export class RateLimiter {
  private nextStart = 0;
  constructor(private readonly rps: number) {}

  /** Resolve when this caller may start a request. */
  async take(): Promise<void> {
    const interval = 1000 / this.rps;
    const now = performance.now();
    const at = Math.max(now, this.nextStart);
    this.nextStart = at + interval;
    const wait = at - now;
    if (wait > 1) await sleep(wait);
  }
}

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
