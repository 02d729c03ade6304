import { expect } from 'chai';
import { ROUTES } from '../../src/sandbox/routes.js';
import { loadOpenApi } from '../support/openapi.js';

interface Param {
  name: string;
  in: string;
  schema?: { $ref?: string };
}
interface Operation {
  operationId: string;
  parameters?: Param[];
  consumes?: string[];
  responses: Record<string, unknown>;
}
interface Spec {
  basePath: string;
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
}

describe('sandbox contract: every served route matches Listrak\'s SMS OpenAPI document', function () {
  const spec = loadOpenApi('listrak-sms-openapi.json') as Spec | undefined;
  before(function () {
    if (!spec) this.skip();
  });

  it('serves under the documented base path', () => {
    expect(spec?.basePath).to.equal('/sms');
  });

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path}`, () => {
      const op = () => spec?.paths[route.path]?.[route.method.toLowerCase()];

      it('exists in the document with the same operationId', () => {
        expect(spec?.paths, 'path').to.have.property(route.path);
        expect(op(), 'method').to.not.equal(undefined);
        expect(op()?.operationId).to.equal(route.operationId);
      });

      it('uses exactly the documented path parameters and only documented query parameters', () => {
        const params = op()?.parameters ?? [];
        const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name).sort();
        const fromTemplate = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(fromTemplate).to.deep.equal(pathParams);
        const query = params.filter((p) => p.in === 'query').map((p) => p.name);
        expect(query, 'documented query parameters').to.include.members(route.query);
        expect(route.query, 'served query parameters').to.include.members(query);
      });

      it('reads only body fields the documented body schema defines', () => {
        const params = op()?.parameters ?? [];
        const bodyParam = params.find((p) => p.in === 'body');
        if (!route.body) {
          expect(bodyParam, 'a documented body the sandbox ignores').to.equal(undefined);
          return;
        }
        expect(bodyParam?.schema?.$ref).to.equal(`#/definitions/${route.body.definition}`);
        const def = spec?.definitions[route.body.definition];
        expect(Object.keys(def?.properties ?? {})).to.include.members(route.body.fields);
        expect(route.body.fields).to.include.members(def?.required ?? []);
        expect(op()?.consumes).to.include('application/json');
      });

      it('answers with a documented success status', () => {
        const success = Object.keys(op()?.responses ?? {}).filter((s) => s.startsWith('2'));
        const served = route.method === 'POST' ? '201' : '200';
        expect(success).to.include(served);
      });
    });
  }

  it('covers every route the target calls', () => {
    const served = new Set(ROUTES.map((r) => r.operationId));
    for (const op of [
      'SenderCode_GetShortCodeResource',
      'PhoneList_GetListResource',
      'Segmentation_GetPhoneAttributeCollection',
      'Contact_GetContactCollection',
      'Contact_GetOptOuts',
      'Contact_GetContactResource',
      'ContactListSubscription_GetContactListCollection',
      'Contact_PostContactListResource',
      'Contact_PutContactResource',
      'ContactListSubscription_PostContactListSubscription',
      'ContactListSubscription_DeleteUnsubscribeContactListSubscription',
      'Contact_PostImportFileResource',
      'Contact_GetImportFileResource',
    ]) {
      expect(served.has(op), op).to.equal(true);
    }
  });
});
