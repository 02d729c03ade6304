/** Temporary files that hold personal data (a copy of the input, planned writes, rejects), reachable by this process only. */
import { openSync, read, unlinkSync } from 'node:fs';

/**
 * A temporary file only this process can reach: created (mode 0600), then unlinked at once. Its data lives as
 * long as the descriptor, so a run that ends any way at all, killed outright included, leaves no personal data
 * in the temporary folder. Write it through `createWriteStream(path, { fd, autoClose: false })`, which owns the
 * descriptor (destroying it closes it), and read it with readUnlinked.
 */
export function openUnlinked(path: string): number {
  const fd = openSync(path, 'wx+', 0o600);
  try {
    unlinkSync(path);
  } catch {
    // A system that cannot unlink an open file: it stays until the folder goes, at the end of the run.
  }
  return fd;
}

/**
 * The file's bytes from its start, by positioned reads, which leave the writes' offset alone. Not a ReadStream:
 * destroying one (a reader that stops early) closes its descriptor, whatever `autoClose` says.
 */
export async function* readUnlinked(fd: number, chunkBytes = 1 << 16): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    const bytesRead = await new Promise<number>((resolve, reject) => read(fd, buffer, 0, chunkBytes, position, (e, n) => (e ? reject(e) : resolve(n))));
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
