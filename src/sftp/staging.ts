/**
 * Import files written to the local staging folder as rows arrive: one write stream per file, with back-pressure,
 * so memory stays bounded whatever the export's size. Files are created at their first row: no empty files.
 */
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { csvLine, type CsvDialect } from '../csv.js';
import type { FileSpec } from './specs.js';

export class StagedFile {
  rows = 0;
  bytes = 0;
  truncated = 0;
  private readonly out: WriteStream;
  private failure?: Error;

  constructor(
    readonly spec: FileSpec,
    readonly name: string,
    readonly path: string,
    private readonly dialect: CsvDialect,
  ) {
    this.out = createWriteStream(path);
    this.out.on('error', (e) => (this.failure ??= e));
    this.writeLine(spec.columns.map((c) => c.name));
  }

  private writeLine(cells: string[]): boolean {
    const line = csvLine(cells, this.dialect);
    this.bytes += Buffer.byteLength(line);
    return this.out.write(line);
  }

  async add(cells: string[], truncated: number): Promise<void> {
    if (this.failure) throw this.failure;
    this.rows++;
    this.truncated += truncated;
    if (!this.writeLine(cells)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => this.out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }

  /** Close (the file may still be opening) and then delete it. */
  async discard(): Promise<void> {
    if (!this.out.closed) await new Promise<void>((resolve) => this.out.once('close', () => resolve()).destroy());
    rmSync(this.path, { force: true });
  }
}

export class Staging {
  readonly files = new Map<string, StagedFile>();

  constructor(
    readonly dir: string,
    private readonly dialect: CsvDialect,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  file(spec: FileSpec, name: string): StagedFile {
    let f = this.files.get(spec.kind);
    if (!f) this.files.set(spec.kind, (f = new StagedFile(spec, name, join(this.dir, name), this.dialect)));
    return f;
  }

  async closeAll(): Promise<StagedFile[]> {
    for (const f of this.files.values()) await f.close();
    return [...this.files.values()];
  }

  /** After a failed read, no half-written file is left to be mistaken for an export. */
  async discardAll(): Promise<void> {
    for (const f of this.files.values()) await f.discard();
  }
}
