/**
 * Mutation testing only (`make mutate` loads this as a mocha root hook): Stryker switches the mutant under test on
 * in this thread's globals, which the sync's worker threads (members pages, audience digests) do not share. Put in
 * the environment too, it is on in every worker a spec starts, so the fast path and the reference path run the
 * same mutant, as they would run the same code.
 */
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';

export const mochaHooks = {
  beforeEach(): void {
    const active = (globalThis as { __stryker__?: { activeMutant?: string | number } }).__stryker__?.activeMutant;
    if (active === undefined) delete process.env[ACTIVE_MUTANT];
    else process.env[ACTIVE_MUTANT] = String(active);
  },
};
