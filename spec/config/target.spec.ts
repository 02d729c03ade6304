import { expect } from 'chai';
import { parseTargetConfig } from '../../src/config/target.js';
import { ConfigError } from '../../src/errors.js';

const valid = { client_id: 'id', client_secret: 'secret', sender_code_id: 1, phone_list_id: 2 };

function errorOf(raw: unknown): string {
  try {
    parseTargetConfig(raw);
  } catch (e) {
    expect(e).to.be.instanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('target config', () => {
  it('fills the documented defaults', () => {
    expect(parseTargetConfig(valid)).to.include({
      auth_url: 'https://auth.listrak.com/OAuth2/Token',
      api_url: 'https://api.listrak.com/sms',
      include_custom_fields: true,
      max_unsubscribe_ratio: 0.2,
      rejects_file: 'listrak-rejects.jsonl',
    });
  });

  it('upper-cases the region', () => {
    expect(parseTargetConfig({ ...valid, default_region: 'gb' })).to.include({ default_region: 'GB' });
  });

  it('names each bad key', () => {
    expect(errorOf({ ...valid, client_secret: '' })).to.match(/client_secret: must be a non-empty string/);
    expect(errorOf({ ...valid, phone_list_id: 'abc' })).to.match(/phone_list_id/);
    expect(errorOf({ ...valid, max_unsubscribe_ratio: 1.5 })).to.match(/max_unsubscribe_ratio/);
    expect(errorOf({ ...valid, default_region: 'USA' })).to.match(/default_region: must be a two-letter/);
    expect(errorOf({ ...valid, api_url: 'not a url' })).to.match(/api_url/);
    expect(errorOf({ ...valid, page_size: 6000 })).to.match(/page_size/);
    expect(errorOf({ ...valid, client_sercet: 'typo' })).to.match(/unknown key\(s\): client_sercet/);
    const { client_id: _omit, ...missing } = valid;
    expect(errorOf(missing)).to.match(/client_id/);
  });

  it('refuses a region libphonenumber does not know, naming the nearest one', () => {
    expect(errorOf({ ...valid, default_region: 'UK' })).to.match(/default_region: UK is not a region code libphonenumber knows: did you mean GB\?/);
    expect(errorOf({ ...valid, default_region: 'XX' })).to.match(/default_region: XX is not a region code/);
  });

  it('takes ids only as positive whole numbers, never a boolean, an array or a fraction; as text only a number', () => {
    for (const bad of [true, [1], 1.5, 0, -3, '1.5', '', 'seven']) expect(errorOf({ ...valid, sender_code_id: bad }), JSON.stringify(bad)).to.match(/sender_code_id: must be a positive whole number/);
    expect(parseTargetConfig({ ...valid, sender_code_id: '7' }).sender_code_id, 'as Meltano passes it from the environment').to.equal(7);
  });

  it('reads allowed_countries as upper-case region codes', () => {
    expect(parseTargetConfig({ ...valid, allowed_countries: ['de', 'CA'] }).allowed_countries).to.deep.equal(['DE', 'CA']);
    expect(errorOf({ ...valid, allowed_countries: ['Germany'] })).to.match(/allowed_countries/);
  });

  it('takes the journal as a local file or s3://bucket/prefix', () => {
    expect(parseTargetConfig(valid)).to.include({ journal_path: 'listrak-transactional-journal.jsonl', journal_retention_days: 30 });
    expect(parseTargetConfig({ ...valid, journal_path: 's3://my-bucket/texts', journal_endpoint: 'http://127.0.0.1:9000' })).to.include({ journal_path: 's3://my-bucket/texts' });
    expect(errorOf({ ...valid, journal_path: 's3://' })).to.match(/journal_path: an S3 journal is written s3:\/\/bucket/);
    expect(errorOf({ ...valid, journal_path: 's3://Bad_Bucket/x' })).to.match(/journal_path/);
    expect(errorOf({ ...valid, journal_endpoint: 'minio:9000' })).to.match(/journal_endpoint: must be an http\(s\) URL/);
    expect(errorOf({ ...valid, journal_retention_days: 0 })).to.match(/journal_retention_days/);
  });

  it('takes max_text_age as a duration with a unit', () => {
    expect(parseTargetConfig(valid)).to.include({ max_text_age: '24h' });
    expect(parseTargetConfig({ ...valid, max_text_age: '90m' })).to.include({ max_text_age: '90m' });
    expect(errorOf({ ...valid, max_text_age: '24' })).to.match(/max_text_age: must be a duration such as 90m, 24h or 2d/);
  });
});
