import { expect } from 'chai';
import axios, { type AxiosInstance } from 'axios';
import type { Sandbox } from '../../src/sandbox/server.js';
import { FIELDS, LIST, SC, baseSeed, member, phone } from '../support/fixtures.js';
import { sandboxWith } from '../support/harness.js';

describe('sandbox server: behaves as Listrak documents', () => {
  let sandbox: Sandbox;
  let api: AxiosInstance;

  async function token(id = 'test-client', secret = 'test-secret-value') {
    return axios.post(sandbox.authUrl, new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      validateStatus: () => true,
    });
  }

  beforeEach(async () => {
    sandbox = await sandboxWith(baseSeed(Array.from({ length: 12 }, (_, i) => member(i + 1))));
    const t = await token();
    api = axios.create({ baseURL: sandbox.apiUrl, headers: { Authorization: `Bearer ${t.data.access_token}` }, validateStatus: () => true });
  });
  afterEach(async () => sandbox.close());

  describe('OAuth2 token endpoint', () => {
    it('issues an expiring bearer token for form-encoded client credentials', async () => {
      const res = await token();
      expect(res.status).to.equal(200);
      expect(res.data).to.include({ token_type: 'bearer', expires_in: 3599 });
      expect(res.data.access_token).to.be.a('string').with.length.above(20);
    });

    it('answers bad credentials with 400 and a bare {error} body', async () => {
      const res = await token('test-client', 'wrong');
      expect(res.status).to.equal(400);
      expect(res.data).to.deep.equal({ error: 'Invalid Credentials' });
    });

    it('rejects an expired token with 401 ERROR_UNAUTHORIZED', async () => {
      sandbox.expireTokens();
      const res = await api.get(`/v1/ShortCode/${SC}`);
      expect(res.status).to.equal(401);
      expect(res.data).to.deep.include({ status: 401, error: 'ERROR_UNAUTHORIZED' });
    });
  });

  describe('routing and request checks', () => {
    it('404 ERROR_UNKNOWN_ROUTE, 405 ERROR_UNSUPPORTED_METHOD, 415 ERROR_UNSUPPORTED_CONTENT_TYPE, 400 ERROR_MALFORMED_REQUEST_BODY', async () => {
      expect((await api.get('/v1/Nope')).data.error).to.equal('ERROR_UNKNOWN_ROUTE');
      const r405 = await api.patch(`/v1/ShortCode/${SC}`);
      expect([r405.status, r405.data.error]).to.deep.equal([405, 'ERROR_UNSUPPORTED_METHOD']);
      const r415 = await api.put(`/v1/ShortCode/${SC}/Contact`, 'phoneNumber=1', { headers: { 'Content-Type': 'text/plain' } });
      expect([r415.status, r415.data.error]).to.deep.equal([415, 'ERROR_UNSUPPORTED_CONTENT_TYPE']);
      const r400 = await api.put(`/v1/ShortCode/${SC}/Contact`, '{"phoneNumber":', { headers: { 'Content-Type': 'application/json' } });
      expect([r400.status, r400.data.error]).to.deep.equal([400, 'ERROR_MALFORMED_REQUEST_BODY']);
    });

    it('404 ERROR_UNABLE_TO_LOCATE_RESOURCE for an unknown sender code or contact', async () => {
      expect((await api.get('/v1/ShortCode/999')).data).to.deep.include({ status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE' });
      expect((await api.get(`/v1/ShortCode/${SC}/Contact/12155559999`)).status).to.equal(404);
    });

    it('wraps a single list in an array, as Listrak\'s own example does', async () => {
      const res = await api.get(`/v1/ShortCode/${SC}/PhoneList/${LIST}`);
      expect(res.data.data).to.be.an('array').with.length(1);
      expect(res.data.data[0]).to.include({ phoneListId: LIST, status: 'active', requireDoubleOptIn: false });
    });
  });

  describe('member paging', () => {
    it('pages with cursors until nextPageCursor is null, and refuses count > 5000', async () => {
      const seen: string[] = [];
      let cursor: string | null = 'Start';
      let pages = 0;
      while (cursor) {
        const res: { status: number; data: { data: { phoneNumber: string }[]; nextPageCursor: string | null } } = await api.get(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, { params: { cursor, count: '5' } });
        expect(res.status).to.equal(200);
        seen.push(...res.data.data.map((c: { phoneNumber: string }) => c.phoneNumber));
        cursor = res.data.nextPageCursor;
        pages++;
      }
      expect(pages).to.equal(3);
      expect(seen.sort()).to.deep.equal(Array.from({ length: 12 }, (_, i) => phone(i + 1)));
      const tooMany = await api.get(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, { params: { count: '5001' } });
      expect([tooMany.status, tooMany.data.error]).to.deep.equal([400, 'ERROR_INVALID_PARAMETER']);
    });

    it('keeps a cursor valid while members leave the list', async () => {
      const first = await api.get(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, { params: { count: '6' } });
      await api.delete(`/v1/ShortCode/${SC}/ContactUnsubscribe/${phone(2)}/PhoneList/${LIST}`);
      const second = await api.get(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, { params: { cursor: first.data.nextPageCursor, count: '6' } });
      expect(second.data.data.map((c: { phoneNumber: string }) => c.phoneNumber)).to.deep.equal(Array.from({ length: 6 }, (_, i) => phone(i + 7)));
    });
  });

  describe('contacts', () => {
    it('creates and subscribes a new number, and answers ERROR_PHONE_NUMBER_FOUND the second time', async () => {
      const body = { phoneNumber: phone(50), firstName: 'New', segmentationFieldValues: [{ segmentationFieldId: FIELDS.points, value: '3' }] };
      const res = await api.post(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, body);
      expect(res.status).to.equal(201);
      expect(res.data).to.deep.equal({ status: 201, resourceId: phone(50) });
      expect(sandbox.state.subscribedPhones(LIST)).to.include(phone(50));
      const again = await api.post(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, body);
      expect(again.data.error).to.equal('ERROR_PHONE_NUMBER_FOUND');
    });

    it('validates field values: max length, type, disabled and unknown fields, birthday null, email', async () => {
      const create = (extra: object) => api.post(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, { phoneNumber: phone(60), ...extra });
      const seg = (id: number, value: string) => ({ segmentationFieldValues: [{ segmentationFieldId: id, value }] });
      expect((await create(seg(FIELDS.store, 'x'.repeat(21)))).data.error).to.equal('ERROR_SEGMENTATION_MAX_LENGTH');
      expect((await create(seg(FIELDS.points, 'abc'))).data.error).to.equal('ERROR_INVALID_PARAMETER');
      expect((await create(seg(FIELDS.disabled, 'x'))).data.error).to.equal('ERROR_SEGMENTATION_FIELD_DISABLED');
      expect((await create(seg(999, 'x'))).data.error).to.equal('ERROR_INVALID_SEGMENTATION_FIELD_ID');
      expect((await create({ birthday: '' })).data.error).to.equal('ERROR_BIRTHDAY_FIELD_NULL');
      expect((await create({ emailAddress: 'nope' })).data.error).to.equal('ERROR_INVALID_EMAIL_ADDRESS');
      expect((await api.post(`/v1/ShortCode/${SC}/PhoneList/${LIST}/Contact`, { phoneNumber: '+1 215' })).data.error).to.equal('ERROR_INVALID_PHONE_NUMBER');
      expect(sandbox.state.contact(SC, phone(60)), 'a rejected body creates nothing').to.equal(undefined);
    });

    it('subscribe answers ERROR_SUBSCRIBED_PHONE_NUMBER; unsubscribe answers ERROR_PHONE_NUMBER_NOT_SUBSCRIBED', async () => {
      expect((await api.post(`/v1/ShortCode/${SC}/Contact/${phone(1)}/PhoneList/${LIST}`)).data.error).to.equal('ERROR_SUBSCRIBED_PHONE_NUMBER');
      expect((await api.delete(`/v1/ShortCode/${SC}/ContactUnsubscribe/${phone(1)}/PhoneList/${LIST}`)).status).to.equal(200);
      expect((await api.delete(`/v1/ShortCode/${SC}/ContactUnsubscribe/${phone(1)}/PhoneList/${LIST}`)).data.error).to.equal('ERROR_PHONE_NUMBER_NOT_SUBSCRIBED');
      expect((await api.post(`/v1/ShortCode/${SC}/Contact/12155559999/PhoneList/${LIST}`)).status).to.equal(404);
    });

    it('update can opt a contact out but never back in, and rejects unknown numbers', async () => {
      expect((await api.put(`/v1/ShortCode/${SC}/Contact`, { phoneNumber: phone(1), optedOut: true })).status).to.equal(200);
      await api.put(`/v1/ShortCode/${SC}/Contact`, { phoneNumber: phone(1), optedOut: false });
      expect(sandbox.state.contact(SC, phone(1))?.optedOut).to.equal(true);
      const optOuts = await api.get(`/v1/ShortCode/${SC}/OptOut`);
      expect(optOuts.data.data.map((o: { phoneNumber: string }) => o.phoneNumber)).to.deep.equal([phone(1)]);
      expect((await api.put(`/v1/ShortCode/${SC}/Contact`, { phoneNumber: phone(99) })).data.error).to.equal('ERROR_PHONE_NUMBER_NOT_FOUND');
    });
  });

  describe('contact update import', () => {
    it('processes asynchronously, updates known numbers and drops unknown ones', async () => {
      const csv = `phone,store\n${phone(1)},"Fish, town"\n${phone(99)},Nowhere\n`;
      const res = await api.post(`/v1/ShortCode/${SC}/ContactImport`, {
        fileName: 'f.csv',
        fileStream: Buffer.from(csv).toString('base64'),
        importType: 'UpdateSubscribers',
        hasColumnNames: true,
        textQualifier: '"',
        fileMappings: [
          { fileColumnType: 'Phone', segmentationFieldId: 0, fileColumn: 0 },
          { fileColumnType: 'SegmentationField', segmentationFieldId: FIELDS.store, fileColumn: 1 },
        ],
      });
      expect(res.status).to.equal(201);
      const id = Number(res.data.resourceId);
      const early = await api.get(`/v1/ShortCode/${SC}/ContactImport/${id}`);
      expect(early.data.data.endDate).to.equal(null);
      await new Promise((r) => setTimeout(r, 40));
      const done = await api.get(`/v1/ShortCode/${SC}/ContactImport/${id}`);
      expect(done.data.data).to.include({ importFileId: id, status: 'Completed' });
      expect(done.data.data.endDate).to.be.a('string');
      expect(sandbox.state.contact(SC, phone(1))?.fields.get(FIELDS.store)).to.equal('Fish, town');
      expect(sandbox.state.contact(SC, phone(99))).to.equal(undefined);
      expect(sandbox.state.imports.get(id)).to.include({ applied: 1, dropped: 1 });
    });

    it('refuses an import without a Phone mapping or with an unknown importType', async () => {
      const base = { fileName: 'f.csv', fileStream: '', importType: 'UpdateSubscribers', hasColumnNames: true, textQualifier: '"' };
      expect((await api.post(`/v1/ShortCode/${SC}/ContactImport`, { ...base, fileMappings: [{ fileColumnType: 'SegmentationField', segmentationFieldId: FIELDS.store, fileColumn: 0 }] })).data.error).to.equal('ERROR_INVALID_PARAMETER');
      expect((await api.post(`/v1/ShortCode/${SC}/ContactImport`, { ...base, importType: 'Replace', fileMappings: [] })).data.error).to.equal('ERROR_INVALID_PARAMETER');
    });
  });

  describe('faults on demand', () => {
    it('answers an injected 429 with Retry-After, then serves normally', async () => {
      sandbox.faults.add({ operationId: 'SenderCode_GetShortCodeResource', status: 429, retryAfterS: 2 });
      const first = await api.get(`/v1/ShortCode/${SC}`);
      expect(first.status).to.equal(429);
      expect(first.headers['retry-after']).to.equal('2');
      expect((await api.get(`/v1/ShortCode/${SC}`)).status).to.equal(200);
    });

    it('can apply a write and then fail the answer (afterHandler)', async () => {
      sandbox.faults.add({ operationId: 'ContactListSubscription_DeleteUnsubscribeContactListSubscription', status: 502, afterHandler: true });
      const res = await api.delete(`/v1/ShortCode/${SC}/ContactUnsubscribe/${phone(3)}/PhoneList/${LIST}`);
      expect(res.status).to.equal(502);
      expect(sandbox.state.subscribedPhones(LIST)).to.not.include(phone(3));
    });

    it('counts calls per operation', async () => {
      await api.get(`/v1/ShortCode/${SC}`);
      await api.get(`/v1/ShortCode/${SC}`);
      expect(sandbox.calls.get('SenderCode_GetShortCodeResource')).to.equal(2);
    });
  });
});
