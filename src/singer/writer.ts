/**
 * Singer output, as Meltano and the SDK's targets write it: every line on stdout is the bare JSON value of a state
 * (never the `{"type":"STATE","value":…}` envelope), because Meltano stores each line as the job's whole state and
 * hands it back to the tap on the next run. What to write, and when it is safe, is the caller's decision; this
 * only refuses to write the same line twice.
 */

export interface SingerWriter {
  state(value: unknown): void;
}

export function createSingerWriter(write: (line: string) => void = (l) => process.stdout.write(l)): SingerWriter {
  let last: string | undefined;
  return {
    state(value) {
      const line = JSON.stringify(value) + '\n';
      if (line === last) return;
      last = line;
      write(line);
    },
  };
}

/**
 * The state to pass on for a tap's state: an object carries our progress merged in under `key` (the tap's own
 * keys untouched); any other JSON value goes on as it came, since there is nowhere to put ours.
 */
export function withProgress(tapState: unknown, key: string, progress: unknown): unknown {
  if (tapState === null || typeof tapState !== 'object' || Array.isArray(tapState)) return tapState;
  return { ...tapState, [key]: progress };
}
