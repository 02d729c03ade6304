/**
 * Worker-thread plumbing: a worker's answers, read in order. An `error` answer, a crash or an exit rejects the waiting reader, so a
 * failed worker never leaves the run waiting.
 */
import type { Worker } from 'node:worker_threads';

/**
 * The sync's worker threads' heap. Their young generation is kept small (V8's default here is 48 MB): with three
 * threads' heaps in one process, that keeps a million-record sync within the 400 MB memory target. Measured on
 * that sync: 8 MB gave a peak RSS of 345-362 MiB, 16 MB 397-403 MiB, 48 MB 450 MiB, at the same speed within noise.
 * The workers hold little beyond the page or block at hand, so a small young generation costs them little.
 */
export const WORKER_HEAP = { maxYoungGenerationSizeMb: 8 };

export type WorkerReply = { type: string } | { type: 'error'; message: string };

export class ReplyQueue<M extends WorkerReply> {
  private readonly queue: M[] = [];
  private waiter?: { resolve: (m: M) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(worker: Worker, name: string) {
    worker.on('message', (m: M) => this.push(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`the ${name} worker stopped (exit code ${code})`)));
  }

  async next<K extends M['type']>(type: K): Promise<Extract<M, { type: K }>> {
    const m = this.queue.shift() ?? (await this.wait());
    if (m.type === 'error') throw new Error((m as { message?: string }).message ?? 'worker error');
    if (m.type !== type) throw new Error(`worker: expected ${type}, got ${m.type}`);
    return m as Extract<M, { type: K }>;
  }

  private wait(): Promise<M> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private push(m: M) {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  private fail(e: Error) {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }
}
