/**
 * The run's clock: which phase it is in, one stderr line and a `phase_duration` METRIC timer as each ends, and the
 * progress step shown meanwhile (report/progress.ts).
 */
import type { Logger } from '../log.js';
import type { ListrakHttp } from '../listrak/http.js';
import type { Metrics } from '../singer/metrics.js';
import type { SyncCounts } from '../report/counts.js';
import { noProgress, type Measure, type ProgressSink } from '../report/progress.js';

export type Phase = 'prepare' | 'members' | 'audience' | 'updates' | 'revocations' | 'unsubscribe' | 'transactional' | 'done';

export class PhaseClock {
  /** The phase in progress (the members are read while the audience is: 'members' until they are all in). */
  phase: Phase = 'prepare';
  private started = performance.now();

  constructor(
    private readonly deps: { logger: Logger; metrics: Metrics; http: ListrakHttp; progress?: ProgressSink },
    private readonly counts: SyncCounts,
  ) {}

  /** The phase in progress ends: its line and timer; `next` begins. */
  done(phase: Phase, line: string, next: Phase = 'done'): void {
    const seconds = (performance.now() - this.started) / 1000;
    this.counts.phaseSeconds[phase] = Number(seconds.toFixed(3));
    this.deps.logger.info(`${phase}: ${line} (${seconds.toFixed(1)} s)`);
    this.deps.metrics.timer('phase_duration', seconds, { phase });
    this.phase = next;
    this.started = performance.now();
  }

  /** Progress: the step the run is in now, counted by `measure` (by default, the API calls it makes). */
  step(name: string, measure: Measure = this.callsFromNow()): void {
    (this.deps.progress ?? noProgress).step(name, measure);
  }

  /** Progress of the transactional step; returns what counts each text handled. */
  textsStep(planned?: number): () => void {
    let done = 0;
    this.step('transactional', { unit: 'texts', done: () => done, ...(planned === undefined ? {} : { planned: () => planned }) });
    return () => done++;
  }

  private callsFromNow(): Measure {
    const counter = this.deps.http.counter;
    const base = counter.total();
    return { unit: 'calls', done: () => counter.total() - base };
  }
}
