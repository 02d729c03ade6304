/**
 * Phase 4, updates: custom-field changes go to Listrak in bulk as Contact Update Import files (phone + one column
 * per managed profile field), each at most `maxBytes` raw (Listrak: ~195,000,000 bytes before Base64), then each
 * import is polled until Listrak reports an end date.
 */
import { csvLine } from '../csv.js';
import { ListrakError } from '../errors.js';
import { sleep } from '../listrak/limiter.js';
import type { ImportFileMapping, SmsApi } from '../listrak/sms.js';
import type { FieldPlan } from '../contact/fields.js';

export interface ImportResult {
  id: number;
  status: string;
  rows: number;
}

export class ContactImporter {
  private header: string;
  private chunks: string[] = [];
  private bytes = 0;
  private rows = 0;
  private started: { id: number; rows: number }[] = [];
  private fileNo = 0;

  constructor(
    private readonly api: SmsApi,
    private readonly plan: FieldPlan,
    private readonly opts: { maxBytes: number; pollIntervalMs: number; timeoutMs: number; runId: string },
    private readonly onStart?: () => void,
  ) {
    this.header = csvLine(['phone', ...plan.custom.map((f) => f.field.segmentationFieldName)]);
  }

  /** Queue one contact's custom values (null clears the field); starts an import when the file is full. */
  async add(phone: string, custom: readonly (string | null)[]): Promise<void> {
    const line = csvLine([phone, ...custom.map((v) => v ?? '')]);
    const size = Buffer.byteLength(line);
    if (this.rows > 0 && Buffer.byteLength(this.header) + this.bytes + size > this.opts.maxBytes) await this.startFile();
    this.chunks.push(line);
    this.bytes += size;
    this.rows++;
  }

  private async startFile(): Promise<void> {
    if (this.rows === 0) return;
    // Take the buffered rows before the first await: concurrent add() calls keep filling a fresh buffer meanwhile.
    const file = Buffer.from(this.header + this.chunks.join(''));
    const rows = this.rows;
    this.chunks = [];
    this.bytes = 0;
    this.rows = 0;
    const mappings: ImportFileMapping[] = [
      { fileColumnType: 'Phone', segmentationFieldId: 0, fileColumn: 0 },
      ...this.plan.custom.map((f, i) => ({ fileColumnType: 'SegmentationField' as const, segmentationFieldId: f.field.segmentationFieldId, fileColumn: i + 1 })),
    ];
    const name = `target-listrak-sms-${this.opts.runId}-${++this.fileNo}.csv`;
    this.onStart?.();
    const id = await this.api.startImport(name, file, mappings);
    this.started.push({ id, rows });
  }

  /** Start the last file and wait for every import to end; `onPoll` hears each status read on the way. */
  async finish(onStatus?: (id: number, status: string) => void, onPoll?: (id: number, status: string) => void): Promise<ImportResult[]> {
    await this.startFile();
    const results: ImportResult[] = [];
    for (const { id, rows } of this.started) {
      const deadline = Date.now() + this.opts.timeoutMs;
      for (;;) {
        const s = await this.api.getImport(id);
        onPoll?.(id, s?.status ?? 'unknown');
        // Listrak does not document its status values; an end date is the one reliable sign of completion.
        if (s?.endDate) {
          const status = s.status ?? 'Ended';
          onStatus?.(id, status);
          if (/fail|error|cancel/i.test(status)) throw new ListrakError('IMPORT_FAILED', undefined, `contact import ${id} ended with status "${status}"`, 'getImport');
          results.push({ id, status, rows });
          break;
        }
        if (Date.now() > deadline) throw new ListrakError('IMPORT_TIMEOUT', undefined, `contact import ${id} did not finish within ${this.opts.timeoutMs / 1000} s (last status "${s?.status ?? 'unknown'}"); a rerun will check again`, 'getImport');
        await sleep(this.opts.pollIntervalMs);
      }
    }
    this.started = [];
    return results;
  }
}
