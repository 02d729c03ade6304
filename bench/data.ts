/**
 * Deterministic benchmark data: member i and new person j always get the same phone and attributes, so the
 * sandbox process and the audience file agree without sharing anything but the scenario's parameters.
 */

// NANP area codes in service; with exchanges 200–999 and any line number every combination is a valid US number.
const AREA_CODES = [
  201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270,
  272, 276, 281, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323, 325, 330, 331, 334, 336, 337, 339, 346, 347, 351, 352, 360, 361,
  385, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430, 432, 434, 435, 440, 442, 443, 458, 469, 470, 475, 478, 479, 480, 484, 501,
  502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 551, 559, 561, 562, 563, 567, 570, 571, 573, 574, 575, 580, 585, 586, 601, 602, 603, 605,
  606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 630, 631, 636, 641, 646, 650, 651, 657, 660, 661, 662, 667, 678, 682, 701, 702, 703, 704, 706, 707, 708,
  712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 740, 754, 757, 760, 762, 763, 765, 770, 772, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804, 805, 806, 808,
  810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870, 878, 901, 903, 904, 906, 907, 908, 909, 910,
  912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928, 931, 936, 937, 940, 941, 947, 949, 951, 952, 954, 956, 970, 971, 972, 973, 978, 979, 980, 985, 989,
];

export const SENDER_CODE = 1001;
export const LIST = 2002;
/** Another list on the sender code, where most of the new people already on the sender code are members. */
export const OTHER_LIST = 2003;
export const STORE_FIELD = 31;
export const POINTS_FIELD = 32;

/** The second list of the `lists` scenario. */
export const SECOND_LIST = 2004;

/**
 * `formats`: the unchanged list, its audience writing each phone in one of the ways warehouses write them.
 * `lists`: two lists mirrored in one run (`stream_lists`), half of each list's people on the other too.
 */
export type Scenario = 'unchanged' | 'formats' | 'churn' | 'lists' | 'rate' | 'review';

/**
 * The `rate` scenario: a daily churn on a small list, against a server with a rate limit the client is not told:
 * one member in ten leaves, one in ten changes its email, and as many people join as a tenth and a fifteenth of the
 * list, half already members of another list of the sender code (one subscribe each), half new (one create each).
 */
export const rateChurn = {
  removed: (i: number) => i % 10 === 0,
  changed: (i: number) => i % 10 === 1,
  joiners: (members: number) => Math.round(members * (2 / 15)),
  /** Joiner j: the first half are on the other list already. */
  known: (members: number, j: number) => j < rateChurn.joiners(members) / 2,
};

/**
 * The `lists` scenario over `members` people: list A holds people [0, members), list B [members/2, 3·members/2);
 * each stream leaves out one member in 20 and adds one new person per 50 members.
 */
export const twoLists = {
  streams: { offer: LIST, control: SECOND_LIST } as Record<string, number>,
  /** The people each stream's list holds before the run. */
  range: (stream: 'offer' | 'control', members: number): [number, number] => (stream === 'offer' ? [0, members] : [members / 2, members / 2 + members]),
  removed: (k: number) => k % 20 === 3,
  newCount: (members: number) => Math.floor(members / 50),
  /** New person j of a stream: beyond everyone on either list, distinct per stream. */
  newPerson: (stream: 'offer' | 'control', members: number, j: number) => 2 * members + (stream === 'offer' ? 0 : members) + j,
};

export interface Parts {
  area: number;
  exchange: number;
  line: number;
}

/** Person k's phone parts: unique for k below 2.2 billion. */
export function phoneParts(k: number): Parts {
  const n = AREA_CODES.length;
  return { area: AREA_CODES[k % n] as number, exchange: 200 + (Math.floor(k / n) % 800), line: Math.floor(k / (n * 800)) % 10000 };
}

export function canonicalPhone(k: number): string {
  const p = phoneParts(k);
  return `1${p.area}${p.exchange}${String(p.line).padStart(4, '0')}`;
}

/** How a warehouse might print it: exercises the full libphonenumber path. */
export function formattedPhone(k: number): string {
  const p = phoneParts(k);
  return `+1 (${p.area}) ${p.exchange}-${String(p.line).padStart(4, '0')}`;
}

/** The ways warehouses write a US number, member i taking the (i mod 7)th. */
export function warehousePhone(k: number): string {
  const p = phoneParts(k);
  const [a, e, l] = [String(p.area), String(p.exchange), String(p.line).padStart(4, '0')];
  switch (k % 7) {
    case 0:
      return `(${a}) ${e}-${l}`;
    case 1:
      return `${a}-${e}-${l}`;
    case 2:
      return `${a}.${e}.${l}`;
    case 3:
      return `+1 ${a} ${e} ${l}`;
    case 4:
      return `1-${a}-${e}-${l}`;
    case 5:
      return `+1${a}${e}${l}`;
    default:
      return `${a}${e}${l}`;
  }
}

export interface Person {
  email: string;
  firstName: string;
  lastName: string;
  postalCode: string;
  store: string;
  points: number;
}

export function person(k: number): Person {
  return { email: `u${k}@example.com`, firstName: `F${k}`, lastName: `L${k}`, postalCode: String(10000 + (k % 90000)), store: `Store ${k % 50}`, points: k % 1000 };
}

/**
 * Churn: 5% of members leave, 5% change a system field, 5% a custom one; 5% new people join. Half of those are
 * already on the sender code: 19 in 20 of them as members of another list, the rest on no list at all.
 */
export const churn = {
  removed: (i: number) => i % 20 === 0,
  systemChange: (i: number) => i % 20 === 1,
  customChange: (i: number) => i % 20 === 11,
  newCount: (members: number) => Math.floor(members / 20),
  knownToSenderCode: (j: number) => j % 2 === 0,
  onOtherList: (j: number) => j % 40 !== 0,
};

/** The audience record of member i (or new person k = members + j) in a scenario. */
export function audienceRecord(scenario: Scenario, k: number, isNew: boolean): Record<string, unknown> {
  const p = person(k);
  const rec: Record<string, unknown> = {
    phone: isNew ? formattedPhone(k) : scenario === 'formats' ? warehousePhone(k) : canonicalPhone(k),
    email: p.email,
    first_name: p.firstName,
    last_name: p.lastName,
    postal_code: p.postalCode,
    favorite_store: p.store,
    loyalty_points: p.points,
  };
  if (scenario === 'rate' && !isNew && rateChurn.changed(k)) rec.email = `u${k}@changed.example.com`;
  // Review (--plan, then --apply): every member's store changes, so the plan names every member (an import row each).
  if (scenario === 'review' && !isNew) rec.favorite_store = `Moved ${k % 7}`;
  if (scenario === 'churn' && !isNew) {
    if (churn.systemChange(k)) rec.email = `u${k}@changed.example.com`;
    if (churn.customChange(k)) rec.loyalty_points = p.points + 1;
  }
  return rec;
}

export const AUDIENCE_SCHEMA = {
  type: 'SCHEMA',
  stream: 'audience',
  key_properties: ['phone'],
  schema: {
    type: 'object',
    properties: {
      phone: { type: 'string' },
      email: { type: 'string' },
      first_name: { type: 'string' },
      last_name: { type: 'string' },
      postal_code: { type: 'string' },
      favorite_store: { type: 'string' },
      loyalty_points: { type: 'number' },
    },
  },
};
