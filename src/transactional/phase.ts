/** The transactional phase: prepare the list once, then send records in batches through the journaled sender. */
import type { TargetConfig } from '../config/target.js';
import { ConfigError, InputError } from '../errors.js';
import { mapConcurrent } from '../listrak/limiter.js';
import type { SmsApi } from '../listrak/sms.js';
import type { RejectSink } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import { activeList } from '../listrak/account.js';
import { recordsOf } from '../singer/batch.js';
import type { Numbered, SingerMessage } from '../singer/messages.js';
import { createLogger, type Logger } from '../log.js';
import { openJournal } from './journal.js';
import { TransactionalSender } from './send.js';

export interface TransactionalItem {
  line: number;
  /** The BATCH file the text was read from (`line` is then that file's). */
  file?: string;
  record: Record<string, unknown>;
}

export interface TransactionalBatch {
  items: TransactionalItem[];
  /** A tap state that is safe to pass on once these texts, and every earlier one, are sent. */
  state?: { value: unknown };
}

/** Called only for an input that carries texts: what the journal cannot promise is said then, to stderr by default. */
export async function openSender(api: SmsApi, config: TargetConfig, region: string, counts: SyncCounts, rejects: RejectSink, logger: Logger = createLogger()) {
  if (config.transactional_phone_list_id === undefined) {
    throw new ConfigError(`invalid config: transactional_phone_list_id: required when the input has the "${config.transactional_stream}" stream`);
  }
  const list = await activeList(api, config, config.transactional_phone_list_id, 'transactional_phone_list_id');
  const journal = await openJournal(config, logger);
  return { sender: new TransactionalSender({ api, config, list, region, journal, counts, rejects }), journal };
}

/**
 * Send each batch in turn: `onHandled` hears each text handled, whatever its outcome (progress); a batch's state
 * is handed to `onSafe` once all of it is sent (or journaled).
 */
export async function sendBatches(
  sender: TransactionalSender,
  batches: AsyncIterable<TransactionalBatch>,
  concurrency: number,
  hooks: { onSafe?: (state: unknown) => void; onHandled?: () => void } = {},
): Promise<void> {
  for await (const batch of batches) {
    await mapConcurrent(batch.items, concurrency, (item) => sender.send(item.record, item.line, item.file).then(hooks.onHandled));
    if (batch.state) hooks.onSafe?.(batch.state.value);
  }
}

/** Spooled texts, in batches with no state of their own. */
export async function* stateless(batches: AsyncIterable<TransactionalItem[]>): AsyncGenerator<TransactionalBatch> {
  for await (const items of batches) yield { items };
}

/**
 * A transactional-only input, sent as it streams in. A STATE ends a batch: it covers the texts before it, so it
 * goes out with them and is safe once they are sent. `counted.records` counts the texts read.
 */
export async function* transactionalBatches(
  messages: AsyncIterable<Numbered<SingerMessage>>,
  stream: string,
  size: number,
  counted: { records: number },
): AsyncGenerator<TransactionalBatch> {
  let items: TransactionalItem[] = [];
  for await (const msg of messages) {
    if (msg.type === 'STATE') {
      yield { items, state: { value: msg.value } };
      items = [];
      continue;
    }
    for await (const rec of recordsOf(msg)) {
      if (rec.stream !== stream) throw new InputError(rec.line, `RECORD for stream "${rec.stream}" after transactional messages; send the audience stream first, or in another run`, rec.file);
      counted.records++;
      items.push({ line: rec.line, file: rec.file, record: rec.record });
      if (items.length >= size) {
        yield { items };
        items = [];
      }
    }
  }
  if (items.length) yield { items };
}
