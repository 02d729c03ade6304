/**
 * listrak-sftp-export's run: Singer records (inline or in BATCH files) → the four Listrak import files in the
 * staging folder → SFTP upload. The tap's state is passed on only once the files are confirmed in place (or,
 * with --local-only, staged), as the tap sent it (our progress merged into an object state).
 */
import type { Readable } from 'node:stream';
import type { ExportConfig, FileKind } from '../config/export.js';
import { StoppedError } from '../errors.js';
import type { Logger } from '../log.js';
import { RejectSink, rejectsPath } from '../report/rejects.js';
import { fmt, SyncCounts } from '../report/counts.js';
import { noProgress, type ProgressSink } from '../report/progress.js';
import { recordsOf } from '../singer/batch.js';
import { Metrics } from '../singer/metrics.js';
import { readSinger } from '../singer/reader.js';
import { withProgress, type SingerWriter } from '../singer/writer.js';
import { RowMapper } from './rows.js';
import { FILE_SPECS, fileName } from './specs.js';
import { Staging, type StagedFile } from './staging.js';
import { uploadFiles } from './upload.js';

export type ExportMode = 'upload' | 'local-only' | 'dry-run';

export interface ExportDeps {
  config: ExportConfig;
  input: Readable;
  writer: SingerWriter;
  logger: Logger;
  mode: ExportMode;
  now?: Date;
  /** Told which step the export is in (report/progress.ts). */
  progress?: ProgressSink;
  /** Where METRIC lines go (default: nowhere). */
  metrics?: Metrics;
  /** A stop request: reading ends at once and no half-written file is left; an upload stops between files. */
  signal?: AbortSignal;
}

export interface ExportResult {
  files: { kind: FileKind; name: string; path: string; rows: number; bytes: number; truncated: number }[];
  rejected: number;
  ignored: Map<string, number>;
  report: string;
}

export async function runExport(deps: ExportDeps): Promise<ExportResult> {
  const metrics = deps.metrics ?? new Metrics(() => {});
  const phase = { name: 'read' };
  try {
    return await exportPhases(deps, metrics, phase);
  } catch (e) {
    const stop = e instanceof StoppedError ? e : deps.signal?.aborted && deps.signal.reason instanceof StoppedError ? deps.signal.reason : undefined;
    throw stop ? stop.during(phase.name) : e;
  } finally {
    metrics.stop();
  }
}

async function exportPhases(deps: ExportDeps, metrics: Metrics, phase: { name: string }): Promise<ExportResult> {
  const { config, logger, mode, signal } = deps;
  const started = performance.now();
  const now = deps.now ?? new Date();
  const counts = new SyncCounts();
  const rejects = new RejectSink(rejectsPath(config.rejects_file, mode === 'dry-run'), counts);
  const staging = new Staging(config.staging_dir, { delimiter: config.delimiter, qualifier: config.text_qualifier });
  const mappers = new Map<string, RowMapper>();
  const dryRows = new Map<FileKind, number>();
  const ignored = new Map<string, number>();
  let tapState: { value: unknown } | undefined;
  const read = new Map<string, number>();
  const stopReading = () => deps.input.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', stopReading);
  const progress = deps.progress ?? noProgress;
  let records = 0;
  progress.step('read', { unit: 'records', done: () => records });

  try {
    signal?.throwIfAborted();
    for await (const msg of readSinger(deps.input)) {
      if (msg.type === 'STATE') tapState = { value: msg.value };
      for await (const rec of recordsOf(msg)) {
        if (!read.has(rec.stream)) metrics.counter('record_count', { stream: rec.stream }, () => read.get(rec.stream) ?? 0);
        read.set(rec.stream, (read.get(rec.stream) ?? 0) + 1);
        records++;
        const kind = config.streams[rec.stream];
        if (!kind) {
          ignored.set(rec.stream, (ignored.get(rec.stream) ?? 0) + 1);
          continue;
        }
        let mapper = mappers.get(kind);
        if (!mapper) mappers.set(kind, (mapper = new RowMapper(FILE_SPECS[kind], config.mappings[kind])));
        const row = mapper.row(rec.record);
        if (!row.ok) {
          rejects.add({ line: rec.line, file: rec.file, reason: row.reason, field: row.field, detail: row.detail, record: { stream: rec.stream, ...rec.record } });
          continue;
        }
        if (mode === 'dry-run') dryRows.set(kind, (dryRows.get(kind) ?? 0) + 1);
        else await staging.file(FILE_SPECS[kind], fileName(FILE_SPECS[kind], config.date_pattern, now)).add(row.cells, row.truncated);
      }
    }
  } catch (e) {
    await staging.discardAll();
    await rejects.discard();
    throw e;
  } finally {
    signal?.removeEventListener('abort', stopReading);
  }
  await rejects.commit();
  for (const [stream, n] of ignored) logger.warn(`stream "${stream}" is not in streams (config); ${fmt(n)} record(s) ignored`);
  for (const [kind, m] of mappers) if (m.unmatched.size) logger.warn(`${kind}: properties matching no column (ignored): ${[...m.unmatched].join(', ')}`);

  const staged: StagedFile[] = await staging.closeAll();
  const files = staged.map((f) => ({ kind: f.spec.kind, name: f.name, path: f.path, rows: f.rows, bytes: f.bytes, truncated: f.truncated }));
  for (const f of files) logger.info(`staged: ${f.path} (${fmt(f.rows)} rows, ${fmt(f.bytes)} bytes${f.truncated ? `, ${fmt(f.truncated)} values truncated` : ''})`);

  phase.name = 'upload';
  if (mode === 'upload' && files.length) {
    let placed = 0;
    progress.step('upload', { unit: 'files', done: () => placed, planned: () => files.length });
    await uploadFiles(files.map((f) => ({ localPath: f.path, name: f.name, size: f.bytes })), config, logger, { signal, onPlaced: () => placed++ });
  }
  signal?.throwIfAborted();
  // Every file is in place: the tap's latest state is safe to pass on.
  if (mode !== 'dry-run' && tapState && tapState.value !== undefined) {
    const state = { mode, files: files.map(({ kind, name, rows }) => ({ kind, name, rows })), rejected: counts.rejectedTotal() };
    deps.writer.state(withProgress(tapState.value, 'listrak_sftp_export', state));
  }

  const rows: string[] = [];
  const all = mode === 'dry-run' ? [...dryRows].map(([kind, n]) => [kind, `${fmt(n)} rows would be written`]) : files.map((f) => [f.kind, `${f.name}: ${fmt(f.rows)} rows, ${fmt(f.truncated)} truncated values`]);
  for (const [k, v] of all) rows.push(`  ${String(k).padEnd(12)} ${v}`);
  rows.push(`  ${'rejected'.padEnd(12)} ${fmt(counts.rejectedTotal())}${counts.rejectedTotal() ? ` (${[...counts.rejected].map(([r, n]) => `${r} ${fmt(n)}`).join(', ')}; see ${rejectsPath(config.rejects_file, mode === 'dry-run')})` : ''}`);
  rows.push(`  ${'uploaded'.padEnd(12)} ${mode === 'upload' ? `${files.length} file(s) to ${config.host}:${config.remote_dir}` : 'no (' + mode + ')'}`);
  rows.push(`  ${'elapsed'.padEnd(12)} ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return { files, rejected: counts.rejectedTotal(), ignored, report: rows.join('\n') };
}
