/**
 * A leaky bucket in front of the sandbox's API routes, as a third party reports behind Listrak's APIs: each call
 * pours one unit in, the bucket drains `perSecond` units a second, and a call that would overflow its `capacity`
 * is refused with 429. Listrak documents no limit and no Retry-After, so none is sent unless asked for: the
 * client has to find the limit from the refusals alone.
 */
export interface RateLimitOptions {
  /** Calls the bucket holds: how large a burst passes. */
  capacity: number;
  /** Calls drained a second: the sustained rate the server allows. */
  perSecond: number;
  /** Send Retry-After (seconds until one unit has drained) with each 429. */
  retryAfter?: boolean;
}

export class LeakyBucket {
  private level = 0;
  private at: number;
  /** Calls refused so far. */
  refused = 0;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.at = now();
  }

  /** Pour one call in: undefined when it fits, else the seconds until one would (the Retry-After it may send). */
  admit(): number | undefined {
    const now = this.now();
    this.level = Math.max(0, this.level - ((now - this.at) / 1000) * this.opts.perSecond);
    this.at = now;
    if (this.level + 1 > this.opts.capacity) {
      this.refused++;
      return (this.level + 1 - this.opts.capacity) / this.opts.perSecond;
    }
    this.level += 1;
    return undefined;
  }

  get sendsRetryAfter(): boolean {
    return this.opts.retryAfter === true;
  }
}
