/**
 * Progress for people watching stderr, so a long phase is never silent:
 *  - on a terminal, one status line redrawn in place (the step, counts done / planned, rate, time left when the
 *    total is known); log lines are written above it;
 *  - anywhere else (a file, a pipe, a scheduler's log), the same words as a plain line at a fixed interval (10 s
 *    by default) while a step is running; they end in `so far`, which tells them from the line that ends a phase.
 * The phases only say which step they are in and how to count it; the counts are read when a line is drawn, so
 * the hot paths pay nothing for progress.
 *
 * No library: the status line is ASCII, one line, cut to the terminal's width; `\r` and "erase to end of line"
 * are all it takes. The usual packages (log-update and its kin) add multi-line frames, wrapping and ANSI-aware
 * slicing, and several dependencies, for what these few lines do.
 */
import { fmt } from './counts.js';

/** How a step is counted. Functions, read each time a line is drawn. */
export interface Measure {
  /** What is counted: `pages`, `contacts`, `calls`. */
  unit: string;
  done(): number;
  /** The total, when known: gives a percentage and the time left. */
  planned?(): number | undefined;
  /** A few words after the counts: `60,000 members`, `import 4711: Running`. */
  detail?(): string | undefined;
}

/** What the phases tell: a step begins (and the one before it ends). */
export interface ProgressSink {
  step(name: string, measure?: Measure): void;
}

export const noProgress: ProgressSink = { step() {} };

/** Default cadence of the plain lines; `LISTRAK_PROGRESS_INTERVAL_S` changes it (tests shorten it). */
export const PLAIN_INTERVAL_MS = 10_000;
/** How often the terminal line is redrawn. */
const TTY_INTERVAL_MS = 250;

/** `45 s`, `6m 24s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One step's status: `writes: 1,234 of 5,000 contacts (24.7%), 9.8 contacts/s, about 6m 24s left, 2m 06s so far`. */
export function describeStep(name: string, measure: Measure | undefined, elapsedMs: number): string {
  const parts: string[] = [];
  if (measure) {
    const done = measure.done();
    const planned = measure.planned?.();
    // `1 page`, `2 pages`; `1 of 5 contacts` counts the five.
    const unit = planned === undefined && done === 1 ? measure.unit.replace(/s\b/, '') : measure.unit;
    parts.push(planned !== undefined ? `${fmt(done)} of ${fmt(planned)} ${unit}${planned > 0 ? ` (${((100 * Math.min(done, planned)) / planned).toFixed(1)}%)` : ''}` : `${fmt(done)} ${unit}`);
    const detail = measure.detail?.();
    if (detail) parts.push(detail);
    const perSecond = elapsedMs >= 1000 ? done / (elapsedMs / 1000) : 0;
    if (perSecond > 0) parts.push(`${perSecond >= 10 ? fmt(Math.round(perSecond)) : perSecond.toFixed(1)} ${measure.unit}/s`);
    if (perSecond > 0 && planned !== undefined && planned > done) {
      const left = ((planned - done) / perSecond) * 1000;
      parts.push(left < 1000 ? 'under a second left' : `about ${formatDuration(left)} left`);
    }
  }
  parts.push(`${formatDuration(elapsedMs)} so far`);
  return `${name}: ${parts.join(', ')}`;
}

/** The stream progress and log lines go to (process.stderr, or a test's stand-in). */
export interface StatusStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface StatusOutput {
  /** Write a log line (on a terminal, above the status line). */
  line(text: string): void;
  progress: ProgressSink;
  /** Stop drawing and clear the status line; safe to call more than once. */
  stop(): void;
}

export interface StatusOptions {
  /** Draw the live line (default: whether the stream is a terminal). */
  tty?: boolean;
  /** Cadence of the plain lines (default PLAIN_INTERVAL_MS, or LISTRAK_PROGRESS_INTERVAL_S). */
  plainIntervalMs?: number;
  now?: () => number;
}

/** The interval of the plain lines from the environment, else the default. */
export function plainIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.LISTRAK_PROGRESS_INTERVAL_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : PLAIN_INTERVAL_MS;
}

/** Log lines and progress on one stream: a live line on a terminal, plain lines elsewhere. */
export function createStatusOutput(stream: StatusStream, opts: StatusOptions = {}): StatusOutput {
  const now = opts.now ?? (() => performance.now());
  let current: { name: string; measure?: Measure; started: number } | undefined;
  const describe = () => (current ? describeStep(current.name, current.measure, now() - current.started) : undefined);
  const tty = opts.tty ?? stream.isTTY === true;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const draw = () => {
    const text = describe();
    if (text === undefined) return;
    // One row: a line longer than the terminal would wrap, and `\r` would then redraw only its last row.
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r${text.length > width ? text.slice(0, width - 1) + '…' : text}\x1b[K`);
    drawn = true;
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  const tick = tty ? draw : () => current && stream.write(`${describe()}\n`);

  return {
    line(text) {
      if (!tty) return void stream.write(text + '\n');
      clear();
      stream.write(text + '\n');
      if (current) draw();
    },
    progress: {
      step(name, measure) {
        current = { name, measure, started: now() };
        if (!timer) {
          timer = setInterval(tick, tty ? TTY_INTERVAL_MS : (opts.plainIntervalMs ?? plainIntervalFromEnv()));
          // Progress never keeps the process alive by itself.
          timer.unref();
        }
        if (tty) draw();
      },
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      current = undefined;
      clear();
    },
  };
}
