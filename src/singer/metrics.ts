/**
 * Metrics on stderr in the Meltano SDK's shape, one `METRIC: {json}` line each, which Meltano reads from a
 * plugin's stderr:
 *   - counters (`record_count` per stream, `write_count` per kind): like the SDK's, each line carries the increase
 *     since the previous line for the same tags, so the lines add up to the total. They are read from running
 *     totals the run keeps anyway (nothing is added to the per-record path), at most every `intervalMs` and once
 *     more at the end;
 *   - timers (`http_request_duration` per API call, `phase_duration` per phase), in seconds, as they happen.
 */

export type MetricTags = Record<string, string | number | boolean>;

interface TrackedCounter {
  metric: string;
  tags: MetricTags;
  read: () => number;
  last: number;
}

export const METRIC_PREFIX = 'METRIC: ';

export class Metrics {
  private readonly counters: TrackedCounter[] = [];
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
    private readonly intervalMs = 5000,
  ) {}

  /** A counter whose running total `read()` returns; reported as it grows. */
  counter(metric: string, tags: MetricTags, read: () => number): void {
    this.counters.push({ metric, tags, read, last: 0 });
    // unref: the ticker alone never keeps a finished run alive.
    this.ticker ??= setInterval(() => this.flush(), this.intervalMs).unref();
  }

  timer(metric: string, seconds: number, tags: MetricTags): void {
    this.emit('timer', metric, Number(seconds.toFixed(6)), tags);
  }

  /** Report every counter that grew since its last line. */
  flush(): void {
    for (const c of this.counters) {
      const total = c.read();
      if (total === c.last) continue;
      this.emit('counter', c.metric, total - c.last, c.tags);
      c.last = total;
    }
  }

  /** The end: the last counter lines, and no more ticking. */
  stop(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.flush();
  }

  /** A count known once, at the end (the calls the server refused): one line. */
  total(metric: string, value: number, tags: MetricTags): void {
    this.emit('counter', metric, value, tags);
  }

  private emit(type: 'counter' | 'timer', metric: string, value: number, tags: MetricTags): void {
    this.write(METRIC_PREFIX + JSON.stringify({ type, metric, value, tags }));
  }
}
