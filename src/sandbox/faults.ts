/**
 * Faults on demand. A rule matches calls by operationId (or `token`) and method; after letting `skip` matching
 * calls through it fires `times` times. What fires:
 *  - `status` (+ `error` code, `retryAfterS`): answer with that error instead of handling the call;
 *  - `afterHandler`: handle the call for real, then answer with the error (the write happened, the client sees a
 *    failure: the case that makes non-idempotent retries dangerous);
 *  - `drop`: destroy the connection without an answer (before handling, or after when `afterHandler` is set);
 *  - `delayMs`: hold the answer that long first; alone (no status, drop or afterHandler), the call is then
 *    answered normally: a slow server rather than a failing one.
 *  - `repeatCursor`: a paged GET answers with the cursor it was asked with as its next one (a server paging in
 *    circles, which a client must notice rather than loop forever); the call is otherwise answered normally.
 */

export interface FaultRule {
  operationId?: string;
  method?: string;
  status?: number;
  error?: string;
  message?: string;
  retryAfterS?: number;
  afterHandler?: boolean;
  drop?: boolean;
  delayMs?: number;
  repeatCursor?: boolean;
  skip?: number;
  times?: number;
}

interface LiveRule extends FaultRule {
  seen: number;
  fired: number;
}

/** Whether a rule makes the call fail, rather than only slowing it. */
export function failsCall(rule: FaultRule): boolean {
  return rule.status !== undefined || rule.drop === true || rule.afterHandler === true || rule.error !== undefined;
}

export class FaultPlan {
  private rules: LiveRule[] = [];

  add(rule: FaultRule) {
    this.rules.push({ times: 1, skip: 0, ...rule, seen: 0, fired: 0 });
  }

  clear() {
    this.rules = [];
  }

  /** The rule that fires for this call, if any (consumes one firing). */
  take(operationId: string, method: string): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.operationId && r.operationId !== operationId) continue;
      if (r.method && r.method !== method) continue;
      if (r.fired >= (r.times ?? 1)) continue;
      r.seen++;
      if (r.seen <= (r.skip ?? 0)) continue;
      r.fired++;
      return r;
    }
    return undefined;
  }

  pending(): number {
    return this.rules.reduce((n, r) => n + Math.max(0, (r.times ?? 1) - r.fired), 0);
  }
}
