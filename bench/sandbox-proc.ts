/**
 * A sandbox process for the benchmark, seeded in memory (a multi-million contact seed file would cost more to
 * parse than the sync it serves). Usage: node sandbox-proc.js MEMBERS SCENARIO LATENCY_MS
 * Prints `{"url":…}` on stdout when ready.
 */
import { contactPageJson } from '../src/sandbox/routes.js';
import { startSandbox } from '../src/sandbox/server.js';
import { LIST, OTHER_LIST, POINTS_FIELD, SECOND_LIST, SENDER_CODE, STORE_FIELD, canonicalPhone, churn, person, rateChurn, twoLists, type Scenario } from './data.js';

const members = Number(process.argv[2]);
const scenario = process.argv[3] as Scenario;
const latencyMs = Number(process.argv[4] ?? 0);
/** A leaky-bucket limit (calls a second) the client is not told of; 0: none. */
const limit = Number(process.argv[5] ?? 0);

const sandbox = await startSandbox({
  seed: {
    clients: [{ client_id: 'bench', client_secret: 'bench-secret' }],
    senderCodes: [{ shortCodeId: SENDER_CODE, country: 'US' }],
    lists: [
      { phoneListId: LIST, senderCodeId: SENDER_CODE, phoneListName: 'Bench' },
      { phoneListId: OTHER_LIST, senderCodeId: SENDER_CODE, phoneListName: 'Other program' },
      { phoneListId: SECOND_LIST, senderCodeId: SENDER_CODE, phoneListName: 'Control group' },
    ],
    profileFields: [
      { segmentationFieldId: STORE_FIELD, segmentationFieldName: 'Favorite Store', dataType: 'Text', maxLength: 40 },
      { segmentationFieldId: POINTS_FIELD, segmentationFieldName: 'Loyalty Points', dataType: 'Number' },
    ],
  },
  importDelayMs: 500,
  // No Retry-After: Listrak sends none. The bucket holds one second of calls.
  ...(limit > 0 ? { rateLimit: { perSecond: limit, capacity: limit } } : {}),
});

function seed(k: number, lists: number[]) {
  const p = person(k);
  sandbox.state.seedContact({
    senderCodeId: SENDER_CODE,
    phoneNumber: canonicalPhone(k),
    emailAddress: p.email,
    firstName: p.firstName,
    lastName: p.lastName,
    postalCode: p.postalCode,
    fields: { [STORE_FIELD]: p.store, [POINTS_FIELD]: String(p.points) },
    lists,
  });
}

if (scenario === 'lists') {
  const [, end] = twoLists.range('control', members);
  for (let i = 0; i < end; i++) seed(i, [...(i < members ? [LIST] : []), ...(i >= members / 2 ? [SECOND_LIST] : [])]);
} else for (let i = 0; i < members; i++) seed(i, [LIST]);
if (scenario === 'rate') {
  const n = rateChurn.joiners(members);
  for (let j = 0; j < n; j++) if (rateChurn.known(members, j)) seed(members + j, [OTHER_LIST]);
}
if (scenario === 'churn') {
  const n = churn.newCount(members);
  for (let j = 0; j < n; j++) if (churn.knownToSenderCode(j)) seed(members + j, churn.onOtherList(j) ? [OTHER_LIST] : []);
}
// Serialize every contact now, as a real server's own CPU would serve them: the timed sync then shares the cores
// only with the sandbox's page assembly, not with a million first-time serializations.
for (const c of sandbox.state.contactsOf(SENDER_CODE).values()) contactPageJson(c);
// Collect the seeding's garbage now, so the sandbox's collector does not run beside the timed floor and sync.
(globalThis as { gc?: () => void }).gc?.();
// Latency applies to the sync only, not to seeding.
sandbox.options.latencyMs = latencyMs;
process.stdout.write(JSON.stringify({ url: sandbox.url, authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl }) + '\n');
process.on('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
