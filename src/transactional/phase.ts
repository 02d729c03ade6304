/** The transactional phase: prepare the list once, then send texts in batches through the journaled sender. */
import type { TargetConfig } from '../config/target.js';
import { ConfigError } from '../errors.js';
import { mapConcurrent } from '../listrak/limiter.js';
import type { SmsApi } from '../listrak/sms.js';
import type { Rejects } from '../report/rejects.js';
import type { SyncCounts } from '../report/counts.js';
import { activeList } from '../listrak/account.js';
import type { Numbered, RecordMessage } from '../singer/messages.js';
import type { StreamSink } from '../singer/route.js';
import { createLogger, type Logger } from '../log.js';
import { openJournal } from './journal.js';
import { TextSender } from './send.js';

export interface TransactionalItem {
  line: number;
  /** The BATCH file the text was read from (`line` is then that file's). */
  file?: string;
  record: Record<string, unknown>;
}

/** Called only for an input that carries texts: what the journal cannot promise is said then, to stderr by default. */
export async function openSender(api: SmsApi, config: TargetConfig, region: string, counts: SyncCounts, rejects: Rejects, logger: Logger = createLogger()) {
  if (config.transactional_phone_list_id === undefined) {
    throw new ConfigError(`invalid config: transactional_phone_list_id: required when the input has the "${config.transactional_stream}" stream`);
  }
  const list = await activeList(api, config, config.transactional_phone_list_id, 'transactional_phone_list_id');
  const journal = await openJournal(config, logger);
  return { sender: new TextSender({ api, config, list, region, journal, counts, rejects }), journal };
}

/** Send texts with at most `concurrency` in flight; `onHandled` hears each text handled, whatever its outcome. */
export async function sendTexts(sender: TextSender, items: readonly TransactionalItem[], concurrency: number, onHandled?: () => void): Promise<void> {
  await mapConcurrent(items, concurrency, (item) => sender.send(item.record, item.line, item.file).then(onHandled));
}

/**
 * The text sink of an input that holds only texts: they are sent as they stream in, a batch at a time, and a tap
 * state is safe once the texts before it are sent. (With an audience, texts wait in the spool until the audience
 * is in place.)
 */
export class StreamedTexts implements StreamSink {
  private items: TransactionalItem[] = [];
  /** Texts read. */
  records = 0;

  constructor(
    private readonly sender: TextSender,
    private readonly opts: { batchSize: number; concurrency: number; onHandled?: () => void },
  ) {}

  async record(msg: Numbered<RecordMessage>): Promise<void> {
    this.records++;
    this.items.push({ line: msg.line, file: msg.file, record: msg.record });
    if (this.items.length >= this.opts.batchSize) await this.flush();
  }

  /** Send what is waiting: every text before a state (or the end) goes out before it. */
  async flush(): Promise<void> {
    const items = this.items;
    this.items = [];
    if (items.length) await sendTexts(this.sender, items, this.opts.concurrency, this.opts.onHandled);
  }
}
