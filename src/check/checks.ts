/**
 * `--check`: a run of checks, each printed as one line that says `ok` or what to fix. Later checks that need an
 * earlier one (the list needs a token) are skipped once it fails. The run ends with the exit code of the first
 * failure, as the same failure would have in a real run: 2 for config, 1 for Listrak or the server.
 */
import { exitCodeOf } from '../errors.js';
import { printable } from '../printable.js';

export type CheckStatus = 'ok' | 'warn' | 'FAIL' | 'skip';

/** The checks failed; the exit code is the first failure's. */
export class ChecksFailed extends Error {
  override readonly name = 'ChecksFailed';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A check that does not hold, with the exit code a run would have ended with. */
export class CheckProblem extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class CheckList {
  private readonly failed: { name: string; exitCode: number }[] = [];
  private passed = 0;

  /** `print` writes one line (masking and secret removal are its job). */
  constructor(private readonly print: (line: string) => void) {}

  private line(status: CheckStatus, name: string, text: string) {
    this.print(`${status.padEnd(4)}  ${name}: ${printable(text, 400)}`);
  }

  /** Run one check: its result is the ok line's text; a throw is the FAIL line. Resolves whether it passed. */
  async run(name: string, check: () => Promise<string> | string): Promise<boolean> {
    try {
      this.line('ok', name, await check());
      this.passed++;
      return true;
    } catch (e) {
      this.line('FAIL', name, e instanceof Error ? e.message : String(e));
      this.failed.push({ name, exitCode: exitCodeOf(e) });
      return false;
    }
  }

  /** Something the run will work around but the user probably wants to fix. */
  warn(name: string, text: string) {
    this.line('warn', name, text);
  }

  skip(name: string, why: string) {
    this.line('skip', name, why);
  }

  /** Exit 0 when nothing failed; else ChecksFailed with the first failure's exit code. */
  finish(): number {
    const first = this.failed[0];
    if (!first) return 0;
    const total = this.passed + this.failed.length;
    throw new ChecksFailed(first.exitCode, `${this.failed.length} of ${total} checks failed: ${this.failed.map((f) => f.name).join(', ')}`);
  }
}
