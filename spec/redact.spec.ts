import { expect } from 'chai';
import { createLogger } from '../src/log.js';
import { InputError } from '../src/errors.js';
import { maskPhone, maskPhonesIn, scrubSecrets } from '../src/redact.js';
import { MAX_LINE_CHARS, parseSingerLine } from '../src/singer/reader.js';

describe('redaction', () => {
  it('masks phones to their last four digits', () => {
    expect(maskPhone('12155550123')).to.equal('*******0123');
    expect(maskPhonesIn('contact 12155550123 failed; (215) 555-0123 too; +44 7911 123456')).to.equal('contact *******0123 failed; ******0123 too; ********3456');
  });

  it('leaves counts with separators and dates alone', () => {
    expect(maskPhonesIn('1,000,000 records on 2026-11-24 in 12.5 s')).to.equal('1,000,000 records on 2026-11-24 in 12.5 s');
    expect(maskPhonesIn('staged Listrak_Order_Feed_20261124083000.csv')).to.equal('staged Listrak_Order_Feed_20261124083000.csv');
    expect(maskPhonesIn('path /Contact/12155550123/PhoneList, done 12155550123.')).to.equal('path /Contact/*******0123/PhoneList, done *******0123.');
  });

  it('masks phones only: ids named by their label, line numbers and bounds stay readable', () => {
    expect(maskPhonesIn('list 20000000 does not exist under sender code 10000000: check phone_list_id')).to.equal('list 20000000 does not exist under sender code 10000000: check phone_list_id');
    expect(maskPhonesIn('no such route at http://h/v1/ShortCode/10000000/PhoneList/20000000/Contact/12155550123')).to.equal(
      'no such route at http://h/v1/ShortCode/10000000/PhoneList/20000000/Contact/*******0123',
    );
    expect(maskPhonesIn('import 12345678 ended; input line 12345678; phone_list_id: 20000000; expected <=195000000')).to.equal(
      'import 12345678 ended; input line 12345678; phone_list_id: 20000000; expected <=195000000',
    );
    expect(maskPhonesIn('list 2002: contact 12155550123 refused, (215) 555-0123 too')).to.equal('list 2002: contact *******0123 refused, ******0123 too');
  });

  it('prints limits with separators, so they never pass for a phone', () => {
    const err = (() => {
      try {
        parseSingerLine(' '.repeat(MAX_LINE_CHARS) + '{}', 7);
      } catch (e) {
        return e as InputError;
      }
    })();
    expect(err).to.be.instanceOf(InputError);
    expect(maskPhonesIn(err?.message ?? '')).to.equal('input line 7: line is longer than 16,777,216 characters');
  });

  it('removes secrets, and the logger applies both', () => {
    expect(scrubSecrets('token abcd1234efgh leaked', ['abcd1234efgh'])).to.equal('token *** leaked');
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), secrets: () => ['s3cr3t-value'] });
    log.warn('call for 12155550123 with s3cr3t-value failed');
    expect(lines).to.deep.equal(['WARN: call for *******0123 with *** failed']);
    log.info('stream "a\x1bb" unmatched:\n  next line');
    expect(lines[1]).to.equal('stream "a\\x1bb" unmatched:\n  next line');
  });
});
