/**
 * The sandbox's data: what a Listrak account holds, as far as the SMS API shows it. Kept in plain Maps so a test
 * can seed and inspect it directly, and compact enough that a list of a few million members fits in memory.
 */

export interface SeedClient {
  client_id: string;
  client_secret: string;
}

export interface SeedSenderCode {
  shortCodeId: number;
  code?: string;
  country?: string;
  merchantName?: string;
  disabled?: boolean;
}

export interface SeedList {
  phoneListId: number;
  senderCodeId: number;
  phoneListName?: string;
  status?: 'active' | 'inactive';
  requireDoubleOptIn?: boolean;
  requireAgeGate?: boolean;
}

export interface SeedProfileField {
  segmentationFieldId: number;
  segmentationFieldName: string;
  dataType: 'Text' | 'Number' | 'Checkbox' | 'Date';
  maxLength?: number | null;
  /** `Active` or `Disabled` (the sandbox's reading of the undocumented statusFlag). */
  statusFlag?: string;
}

export interface SeedContact {
  senderCodeId: number;
  phoneNumber: string;
  emailAddress?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  birthday?: string | null;
  postalCode?: string | null;
  optedOut?: boolean;
  banned?: boolean;
  suspended?: boolean;
  /** Profile field id → value. */
  fields?: Record<string, string>;
  /** Lists the contact is subscribed to. */
  lists?: number[];
  /** Lists where the contact awaits double opt-in. */
  pendingLists?: number[];
}

export interface SeedTransactionalMessage {
  senderCodeId: number;
  phoneListId: number;
  transactionalMessageId: number;
  transactionalMessageName?: string;
  transactionalMessageStatus?: string;
}

export interface SandboxSeed {
  clients?: SeedClient[];
  tokenTtlSeconds?: number;
  senderCodes?: SeedSenderCode[];
  lists?: SeedList[];
  profileFields?: SeedProfileField[];
  contacts?: SeedContact[];
  transactionalMessages?: SeedTransactionalMessage[];
}

/** A contact on one sender code. Null means "no value"; optional strings are never undefined here. */
export interface Contact {
  phoneNumber: string;
  emailAddress: string | null;
  firstName: string | null;
  lastName: string | null;
  birthday: string | null;
  postalCode: string | null;
  optedOut: boolean;
  optOutDate: string | null;
  banned: boolean;
  suspended: boolean;
  subscribeDate: string | null;
  fields: Map<number, string>;
  /**
   * The contact's JSON as the member pages show it, kept until the contact changes (null: not built yet). Serving a
   * million-member list page by page would otherwise spend most of the sandbox's CPU re-serializing unchanged
   * contacts, CPU the benchmark's target shares. Every route that changes a shown field resets it.
   */
  pageJson: Buffer | null;
}

export type SubscriptionState = 'Subscribed' | 'Pending';

/**
 * A list's members in the order they joined. Removal leaves a hole so a cursor (a position) stays valid while
 * the list changes under a paging reader, as a real server's cursor does.
 */
export class Membership {
  readonly order: (string | undefined)[] = [];
  readonly state = new Map<string, { state: SubscriptionState; position: number; date: string }>();

  add(phone: string, state: SubscriptionState, date: string) {
    const existing = this.state.get(phone);
    if (existing) {
      existing.state = state;
      return;
    }
    this.state.set(phone, { state, position: this.order.length, date });
    this.order.push(phone);
  }

  remove(phone: string): boolean {
    const entry = this.state.get(phone);
    if (!entry) return false;
    this.order[entry.position] = undefined;
    this.state.delete(phone);
    return true;
  }

  get(phone: string) {
    return this.state.get(phone)?.state;
  }

  /** Subscribed (not pending) members. */
  subscribedCount(): number {
    let n = 0;
    for (const v of this.state.values()) if (v.state === 'Subscribed') n++;
    return n;
  }
}

export interface ImportJob {
  importFileId: number;
  smsSenderCodeId: number;
  fileName: string;
  startDate: string;
  endDate: string | null;
  status: 'Queued' | 'Processing' | 'Completed' | 'Failed';
  /** Rows applied / dropped because the number is not on the sender code / rejected values. */
  applied: number;
  dropped: number;
  rejectedValues: number;
}

export interface SentMessage {
  senderCodeId: number;
  phoneListId: number;
  transactionalMessageId: number;
  phoneNumber: string;
  messageContent: string;
  at: string;
}
