import { expect } from 'chai';
import { Metrics } from '../../src/singer/metrics.js';
import { createSingerWriter, withProgress } from '../../src/singer/writer.js';

describe('Singer output', () => {
  it('writes each state as its bare JSON value, never the same line twice in a row', () => {
    const lines: string[] = [];
    const writer = createSingerWriter((l) => lines.push(l));
    writer.state({ bookmarks: { a: 1 } });
    writer.state({ bookmarks: { a: 1 } });
    writer.state(42);
    writer.state('x');
    writer.state(42);
    expect(lines).to.deep.equal(['{"bookmarks":{"a":1}}\n', '42\n', '"x"\n', '42\n']);
  });

  it('merges progress into an object state only, under its key', () => {
    expect(withProgress({ bookmarks: {}, mine: 1 }, 'listrak_sms', { phase: 'done' })).to.deep.equal({ bookmarks: {}, mine: 1, listrak_sms: { phase: 'done' } });
    expect(withProgress({ listrak_sms: { phase: 'old' } }, 'listrak_sms', { phase: 'new' })).to.deep.equal({ listrak_sms: { phase: 'new' } });
    for (const v of [42, 'text', null, [1, 2], true]) expect(withProgress(v, 'listrak_sms', { phase: 'done' })).to.deep.equal(v);
  });
});

describe('METRIC lines', () => {
  it('reports counters as their increase since the last line, as the SDK does, and timers as they come', async () => {
    const lines: string[] = [];
    const metrics = new Metrics((l) => lines.push(l), 20);
    let n = 0;
    metrics.counter('record_count', { stream: 'audience' }, () => n);
    n = 5;
    for (let waited = 0; lines.length === 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // more ticks with nothing new: no line
    n = 7;
    metrics.timer('http_request_duration', 0.25, { endpoint: 'Contact_GetContactResource', status: 'succeeded' });
    metrics.stop();
    metrics.stop();
    const parsed = lines.map((l) => {
      expect(l).to.match(/^METRIC: \{/);
      return JSON.parse(l.slice('METRIC: '.length)) as { type: string; metric: string; value: number; tags: object };
    });
    const counts = parsed.filter((m) => m.type === 'counter');
    expect(counts.map((m) => m.value)).to.deep.equal([5, 2]);
    expect(counts.every((m) => m.metric === 'record_count' && JSON.stringify(m.tags) === '{"stream":"audience"}')).to.equal(true);
    expect(parsed.find((m) => m.type === 'timer')).to.deep.equal({ type: 'timer', metric: 'http_request_duration', value: 0.25, tags: { endpoint: 'Contact_GetContactResource', status: 'succeeded' } });
  });
});
