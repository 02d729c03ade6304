/** The transactional phase: prepare the list once, then send records in batches through the journaled sender. */
import type { TargetConfig } from '../config/target.js';
import { ConfigError, InputError } from '../errors.js';
import { mapConcurrent } from '../listrak/limiter.js';
import type { SmsApi } from '../listrak/sms.js';
import type { RejectSink } from '../audience/rejects.js';
import type { SyncCounts } from '../audience/report.js';
import { activeList } from '../audience/prepare.js';
import type { Numbered, SingerMessage } from '../singer/messages.js';
import { createLogger, type Logger } from '../log.js';
import { openJournal } from './journal.js';
import { TransactionalSender } from './send.js';

export interface TransactionalItem {
  line: number;
  record: Record<string, unknown>;
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

export async function sendBatches(sender: TransactionalSender, batches: AsyncIterable<TransactionalItem[]>, concurrency: number): Promise<void> {
  for await (const batch of batches) await mapConcurrent(batch, concurrency, (item) => sender.send(item.record, item.line));
}

/** A transactional-only input, sent as it streams in; returns the tap's last STATE. */
export async function* transactionalBatches(
  messages: AsyncIterable<Numbered<SingerMessage>>,
  stream: string,
  size: number,
  onState: (value: unknown) => void,
): AsyncGenerator<TransactionalItem[]> {
  let batch: TransactionalItem[] = [];
  for await (const msg of messages) {
    if (msg.type === 'STATE') onState(msg.value);
    if (msg.type !== 'RECORD') continue;
    if (msg.stream !== stream) throw new InputError(msg.line, `RECORD for stream "${msg.stream}" after transactional messages; send the audience stream first, or in another run`);
    batch.push({ line: msg.line, record: msg.record });
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
