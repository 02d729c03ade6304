/** Singer output: stdout carries only these messages, one JSON object a line. */

export interface SingerWriter {
  state(value: unknown): void;
}

export function createSingerWriter(write: (line: string) => void = (l) => process.stdout.write(l)): SingerWriter {
  return {
    state(value) {
      write(JSON.stringify({ type: 'STATE', value }) + '\n');
    },
  };
}
