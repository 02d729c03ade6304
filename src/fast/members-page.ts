/**
 * A page of list members, read from the bytes Listrak sent straight into the member index.
 *
 * JSON.parse would build every member's dozen strings and objects, only for storedFingerprints to hash four or five
 * of them; at a million members that was most of the members phase. Here the page is scanned (and fully checked as
 * JSON) without building it: a value already in canonical form, as nearly all are, is fingerprinted from its bytes,
 * and only the others are built and canonicalized by the rules themselves (contact/fields.ts). A member outside the usual
 * shape is built whole and indexed by the reference path; a page outside it (not JSON, a repeated `data`) goes
 * through JSON.parse, whose errors and meaning stay the reference.
 */
import { page, pageCursor, type SmsContact } from '../listrak/sms.js';
import { DECLINED, JsonScanner, KeyTable, Picked, Picks } from './json-scanner.js';
import { isManagedContact, isManagedValue, storedFingerprints, type FieldPlan, type ManagedField } from '../contact/fields.js';
import { FingerprintHasher } from '../contact/fingerprint.js';
import type { MemberIndexBuilder } from '../tables/member-index.js';
import { canonicalKey } from '../contact/phone.js';
import { canonicalShapeKey } from '../contact/canonical-bytes.js';

const PAGE_KEYS = new KeyTable(['nextPageCursor', 'data']);
const CURSOR = 0;
const DATA = 1;
const SEGMENT_KEYS = new KeyTable(['segmentationFieldId', 'value']);
const SEGMENT_ID = 0;
const SEGMENT_VALUE = 1;
const OPEN_OBJECT = 0x7b;

export interface MembersPage {
  /** The next page's cursor, or null on the last page. */
  cursor: string | null;
  /** How many entries the page's `data` held. */
  members: number;
}

/** Reads member pages into a MemberIndexBuilder for one field plan; one per thread, reused page after page. */
export class MembersPageReader {
  private readonly scanner = new JsonScanner();
  private readonly hasher = new FingerprintHasher();
  /** Picks for a contact: its phone, each managed system field, and its profile values. */
  private readonly contactKeys: Picks;
  private readonly phoneSlot = 0;
  private readonly segmentsSlot: number;
  private readonly segment = new Picks(SEGMENT_KEYS);
  /** The current member's profile values: their ids, and the value picks (kind, at, start, end) of each. */
  private segIds: unknown[] = [];
  private segKind: number[] = [];
  private segAt: number[] = [];
  private segStart: number[] = [];
  private segEnd: number[] = [];
  /** A page's members, held until the whole page has been read, then added to the builder. */
  private readonly staged = new MembersPageStage();

  constructor(
    private readonly plan: FieldPlan,
    private readonly region: string,
    /** false: every page goes the reference way. */
    private readonly scan = true,
  ) {
    const names = ['phoneNumber', ...plan.system.map((f) => f.field), 'segmentationFieldValues'];
    this.contactKeys = new Picks(new KeyTable(names));
    this.segmentsSlot = names.length - 1;
  }

  read(bytes: Buffer, builder: MemberIndexBuilder): MembersPage {
    this.staged.clear();
    if (this.scan) {
      try {
        const page = this.scanPage(bytes);
        this.staged.addTo(builder);
        return page;
      } catch (e) {
        if (e !== DECLINED) throw e;
      }
    }
    const p = page<SmsContact>(JSON.parse(bytes.toString('utf8')));
    indexContacts(builder, p.data, this.plan, this.region);
    return { cursor: p.nextPageCursor, members: p.data.length };
  }

  private scanPage(bytes: Buffer): MembersPage {
    const s = this.scanner.reset(bytes, 0, false);
    s.skipWhitespace();
    let cursor: unknown = null;
    let members = -1;
    if (s.openObject()) {
      do {
        const k = s.key(PAGE_KEYS);
        if (k === CURSOR) cursor = s.value();
        else if (k === DATA) {
          // A repeated `data` (JSON.parse keeps the last) is rare enough to leave to JSON.parse.
          if (members >= 0) throw DECLINED;
          members = this.scanContacts();
        } else s.skipValue();
      } while (s.nextMember());
    }
    if (!s.atEnd() || members < 0) throw DECLINED;
    return { cursor: pageCursor(cursor), members };
  }

  private scanContacts(): number {
    const s = this.scanner;
    let n = 0;
    if (!s.openArray()) return 0;
    do {
      n++;
      // Not an object: no phone, so it is skipped, as indexContacts skips it.
      if (s.peek() !== OPEN_OBJECT) s.skipValue();
      else {
        const at = s.p;
        s.pick(this.contactKeys);
        if (!this.stageFast()) this.stageBuilt(at);
      }
    } while (s.nextElement());
    return n;
  }

  /** Stage the picked contact from its bytes; false when it is outside the usual shape (nothing staged then). */
  private stageFast(): boolean {
    const { kind, start, end } = this.contactKeys;
    const b = this.scanner.bytes;
    if (kind[this.phoneSlot] !== Picked.Ascii) return false;
    const key = canonicalShapeKey(b, start[this.phoneSlot] as number, end[this.phoneSlot] as number);
    if (key < 0 || !this.readSegments()) return false;
    this.staged.add(key, undefined, this.systemFingerprint(), this.customFingerprint(), this.managedFlag());
    return true;
  }

  /** The reference path for one contact: build it and index it as a parsed page would be. */
  private stageBuilt(at: number): void {
    indexContact(this.staged, this.scanner.valueAt(at) as SmsContact, this.plan, this.region);
  }

  private systemFingerprint(): number {
    const h = this.hasher.start();
    const { kind, at, start, end } = this.contactKeys;
    for (let i = 0; i < this.plan.system.length; i++) {
      const slot = i + 1;
      this.addStored(this.plan.system[i] as ManagedField, kind[slot] as number, at[slot] as number, start[slot] as number, end[slot] as number);
    }
    return h.finish();
  }

  /** Note the contact's profile values; false when they are not an array of objects (then the reference path). */
  private readSegments(): boolean {
    this.segIds.length = 0;
    const { kind, at } = this.contactKeys;
    const k = kind[this.segmentsSlot];
    if (k === Picked.Absent || k === Picked.Null) return true;
    if (k !== Picked.Other) return false;
    const s = this.scanner;
    const resume = s.p;
    s.p = at[this.segmentsSlot] as number;
    try {
      if (s.peek() !== 0x5b) return false;
      if (!s.openArray()) return true;
      do {
        if (s.peek() !== OPEN_OBJECT) return false;
        s.pick(this.segment);
        const i = this.segIds.length;
        const seg = this.segment;
        const idKind = seg.kind[SEGMENT_ID];
        this.segIds.push(
          idKind === Picked.Integer ? s.integerAt(seg.start[SEGMENT_ID] as number, seg.end[SEGMENT_ID] as number) : idKind === Picked.Absent ? undefined : s.valueAt(seg.at[SEGMENT_ID] as number),
        );
        this.segKind[i] = seg.kind[SEGMENT_VALUE] as number;
        this.segAt[i] = seg.at[SEGMENT_VALUE] as number;
        this.segStart[i] = seg.start[SEGMENT_VALUE] as number;
        this.segEnd[i] = seg.end[SEGMENT_VALUE] as number;
      } while (s.nextElement());
      return true;
    } finally {
      s.p = resume;
    }
  }

  private customFingerprint(): number {
    const h = this.hasher.start();
    for (let c = 0; c < this.plan.custom.length; c++) {
      const f = this.plan.custom[c] as FieldPlan['custom'][number];
      const id = f.field.segmentationFieldId;
      // The last value given for the field wins, as in storedValues.
      let i = this.segIds.length - 1;
      while (i >= 0 && this.segIds[i] !== id) i--;
      if (i < 0) h.addNull();
      else this.addStored(f, this.segKind[i] as number, this.segAt[i] as number, this.segStart[i] as number, this.segEnd[i] as number);
    }
    return h.finish();
  }

  /** Whether the contact's managed field is set, by the rule itself (isManagedValue) on the value as built. */
  private managedFlag(): boolean {
    const id = this.plan.managedFieldId;
    if (id === undefined) return false;
    let i = this.segIds.length - 1;
    while (i >= 0 && this.segIds[i] !== id) i--;
    if (i < 0 || this.segKind[i] === Picked.Absent) return false;
    return isManagedValue(this.scanner.valueAt(this.segAt[i] as number));
  }

  /**
   * Hash one stored value: from its bytes when its type finds them canonical, else built and made canonical by the
   * type's own rule (absent, null and "" are all "no value").
   */
  private addStored(f: ManagedField, k: number, at: number, st: number, en: number): void {
    const h = this.hasher;
    if (k === Picked.Absent || k === Picked.Null || (k === Picked.Ascii && st === en)) h.addNull();
    else if ((k === Picked.Ascii || k === Picked.Integer) && f.type.storedBytes(k === Picked.Integer, this.scanner.bytes, st, en)) h.addAscii(this.scanner.bytes, st, en);
    else h.add(f.type.stored(this.scanner.valueAt(at)));
  }
}

/** Where indexed members go: the index builder, or a page's stage until the page is read whole. */
interface MemberSink {
  add(key: number, raw: string | undefined, systemFp: number, customFp: number, managed: boolean): void;
  addUnmatchable(raw: string): void;
}

/** The reference: index contacts as JSON.parse gives them. */
export function indexContacts(builder: MemberSink, contacts: SmsContact[], plan: FieldPlan, region: string) {
  for (const c of contacts) indexContact(builder, c, plan, region);
}

function indexContact(sink: MemberSink, c: SmsContact, plan: FieldPlan, region: string) {
  if (typeof c?.phoneNumber !== 'string') return;
  const key = canonicalKey(c.phoneNumber, region);
  if (key === undefined) return sink.addUnmatchable(c.phoneNumber);
  const stored = storedFingerprints(plan, c);
  sink.add(key, c.phoneNumber, stored.systemFp, stored.customFp, isManagedContact(plan, c));
}

/** A page's members, staged in the order they were read. */
class MembersPageStage implements MemberSink {
  private keys: number[] = [];
  /** The phone as Listrak spelled it, where that is not the key's own digits. */
  private raws: (string | undefined)[] = [];
  private sys: number[] = [];
  private cus: number[] = [];
  private managed: boolean[] = [];
  private unmatchable: string[] = [];

  clear() {
    this.keys.length = this.raws.length = this.sys.length = this.cus.length = this.managed.length = this.unmatchable.length = 0;
  }

  add(key: number, raw: string | undefined, systemFp: number, customFp: number, managed: boolean) {
    this.keys.push(key);
    this.raws.push(raw);
    this.sys.push(systemFp);
    this.cus.push(customFp);
    this.managed.push(managed);
  }

  addUnmatchable(raw: string) {
    this.unmatchable.push(raw);
  }

  addTo(builder: MemberIndexBuilder) {
    for (let i = 0; i < this.keys.length; i++) builder.add(this.keys[i] as number, this.raws[i], this.sys[i] as number, this.cus[i] as number, this.managed[i] as boolean);
    for (const raw of this.unmatchable) builder.addUnmatchable(raw);
  }
}
