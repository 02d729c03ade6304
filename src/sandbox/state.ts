/** The sandbox's account state, seeded from a JSON document and read back by tests and the `/_sandbox` routes. */
import type { Contact, ImportJob, SandboxSeed, SeedContact, SeedList, SeedProfileField, SeedSenderCode, SeedTransactionalMessage, SentMessage } from './model.js';
import { Membership } from './model.js';

export class SandboxState {
  clients = new Map<string, string>();
  tokenTtlSeconds = 3599;
  senderCodes = new Map<number, SeedSenderCode>();
  lists = new Map<number, SeedList>();
  profileFields = new Map<number, SeedProfileField>();
  /** senderCodeId → phone → contact. */
  contacts = new Map<number, Map<string, Contact>>();
  /** listId → members. */
  members = new Map<number, Membership>();
  imports = new Map<number, ImportJob>();
  transactionalMessages = new Map<string, SeedTransactionalMessage>();
  sent: SentMessage[] = [];
  /** Things a careful client must never do; tests assert this stays empty. */
  violations: string[] = [];
  /** Every write that took effect, in order: what crash tests audit. */
  writes: { op: 'create' | 'subscribe' | 'unsubscribe' | 'update' | 'import'; phone: string }[] = [];
  nextImportId = 1000;
  /**
   * How a contact's list subscriptions show one waiting for its opt-in. Listrak's state names are not confirmed
   * (REFERENCE), so a spec can show one signal without the other: the flag with a state name we do not know, or the
   * state without the flag.
   */
  pendingShownAs: { pendingDoubleOptIn: boolean; subscriptionState: string } = { pendingDoubleOptIn: true, subscriptionState: 'Pending' };

  constructor(seed: SandboxSeed = {}) {
    this.load(seed);
  }

  load(seed: SandboxSeed) {
    for (const c of seed.clients ?? [{ client_id: 'sandbox-client', client_secret: 'sandbox-secret' }]) this.clients.set(c.client_id, c.client_secret);
    if (seed.tokenTtlSeconds) this.tokenTtlSeconds = seed.tokenTtlSeconds;
    for (const s of seed.senderCodes ?? []) {
      this.senderCodes.set(s.shortCodeId, { country: 'US', ...s });
      if (!this.contacts.has(s.shortCodeId)) this.contacts.set(s.shortCodeId, new Map());
    }
    for (const l of seed.lists ?? []) {
      this.lists.set(l.phoneListId, { status: 'active', ...l });
      if (!this.members.has(l.phoneListId)) this.members.set(l.phoneListId, new Membership());
    }
    for (const f of seed.profileFields ?? []) this.profileFields.set(f.segmentationFieldId, { statusFlag: 'Active', ...f });
    for (const c of seed.contacts ?? []) this.seedContact(c);
    for (const t of seed.transactionalMessages ?? []) this.transactionalMessages.set(txKey(t.senderCodeId, t.phoneListId, t.transactionalMessageId), t);
  }

  seedContact(c: SeedContact) {
    const book = this.contactsOf(c.senderCodeId);
    const now = new Date().toISOString();
    const fields = new Map<number, string>();
    for (const [id, v] of Object.entries(c.fields ?? {})) fields.set(Number(id), v);
    book.set(c.phoneNumber, {
      phoneNumber: c.phoneNumber,
      emailAddress: c.emailAddress ?? null,
      firstName: c.firstName ?? null,
      lastName: c.lastName ?? null,
      birthday: c.birthday ?? null,
      postalCode: c.postalCode ?? null,
      optedOut: c.optedOut ?? false,
      optOutDate: c.optedOut ? now : null,
      banned: c.banned ?? false,
      suspended: c.suspended ?? false,
      subscribeDate: c.lists?.length ? now : null,
      fields,
      pageJson: null,
    });
    for (const l of c.lists ?? []) this.membersOf(l).add(c.phoneNumber, 'Subscribed', now);
    for (const l of c.pendingLists ?? []) this.membersOf(l).add(c.phoneNumber, 'Pending', now);
  }

  contactsOf(senderCodeId: number): Map<string, Contact> {
    let book = this.contacts.get(senderCodeId);
    if (!book) this.contacts.set(senderCodeId, (book = new Map()));
    return book;
  }

  membersOf(listId: number): Membership {
    let m = this.members.get(listId);
    if (!m) this.members.set(listId, (m = new Membership()));
    return m;
  }

  /** Phones subscribed (not pending, not opted out) to a list, sorted: what a sync should leave behind. */
  subscribedPhones(listId: number): string[] {
    const list = this.lists.get(listId);
    const book = list ? this.contactsOf(list.senderCodeId) : new Map<string, Contact>();
    const out: string[] = [];
    for (const [phone, entry] of this.membersOf(listId).state) if (entry.state === 'Subscribed' && !book.get(phone)?.optedOut) out.push(phone);
    return out.sort();
  }

  pendingPhones(listId: number): string[] {
    const out: string[] = [];
    for (const [phone, entry] of this.membersOf(listId).state) if (entry.state === 'Pending') out.push(phone);
    return out.sort();
  }

  contact(senderCodeId: number, phone: string): Contact | undefined {
    return this.contacts.get(senderCodeId)?.get(phone);
  }

  transactionalMessage(senderCodeId: number, listId: number, id: number) {
    return this.transactionalMessages.get(txKey(senderCodeId, listId, id));
  }

  summary() {
    return {
      senderCodes: [...this.senderCodes.keys()],
      lists: [...this.lists.values()].map((l) => ({
        phoneListId: l.phoneListId,
        subscribed: this.membersOf(l.phoneListId).subscribedCount(),
        pending: this.pendingPhones(l.phoneListId).length,
      })),
      contacts: [...this.contacts.entries()].map(([sc, book]) => ({ senderCodeId: sc, count: book.size })),
      imports: [...this.imports.values()],
      sent: this.sent.length,
      violations: this.violations,
    };
  }
}

function txKey(sc: number, list: number, id: number) {
  return `${sc}/${list}/${id}`;
}
