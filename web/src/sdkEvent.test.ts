import { describe, expect, it } from 'vitest';
import { breadcrumbsOf, contextsOf, displayOrder, hasFrames, requestOf, sdkFacts, sentryContext, tagsOf, traceEntries } from './sdkEvent';

describe('traceEntries', () => {
  it('reads frames with their source lines and keeps notes between them', () => {
    const entries = traceEntries([
      'KeyError: missing (the exception above caused the one below)',
      { file: 'app/a.py', line: 10, function: 'load', context_line: '    x = d[k]', pre_context: ['def load():'], post_context: ['    return x'], in_app: true },
      { filename: 'lib/site.py', lineno: '7', module: 'site', in_app: false },
      { type: 'ValueError', value: 'bad' },
    ]);
    expect(entries).toEqual([
      { kind: 'note', text: 'KeyError: missing (the exception above caused the one below)' },
      { kind: 'frame', file: 'app/a.py', line: 10, column: null, func: 'load', module: null, contextLine: '    x = d[k]', pre: ['def load():'], post: ['    return x'], inApp: true },
      { kind: 'frame', file: 'lib/site.py', line: 7, column: null, func: null, module: 'site', contextLine: null, pre: [], post: [], inApp: false },
      { kind: 'note', text: 'ValueError: bad' },
    ]);
    expect(hasFrames(entries)).toBe(true);
  });

  it('chained exceptions: the main one first, each heading before its frames, innermost first', () => {
    const entries = traceEntries([
      { exception: { type: 'KeyError', value: "'id'" } },
      { file: 'a.py', line: 1, in_app: true },
      { file: 'b.py', line: 2, in_app: true },
      { exception: { type: 'ValueError', value: 'no id' } },
      { file: 'c.py', line: 3, in_app: true },
    ])!;
    expect(entries[0]).toEqual({ kind: 'note', text: "KeyError: 'id'" });
    const order = displayOrder(entries).map((s) => [s.heading?.text, s.frames.map((f) => f.file)]);
    expect(order).toEqual([
      ['ValueError: no id', ['c.py']],
      ["KeyError: 'id'", ['b.py', 'a.py']],
    ]);
    expect(displayOrder(traceEntries([{ file: 'x', in_app: true }, { file: 'y' }])!)).toEqual([
      { heading: null, frames: [expect.objectContaining({ file: 'y' }), expect.objectContaining({ file: 'x' })] },
    ]);
  });

  it('text traces are not frame lists', () => {
    expect(traceEntries('Traceback …')).toBeNull();
    expect(traceEntries(null)).toBeNull();
    expect(hasFrames(traceEntries(['only a line']))).toBe(false);
  });
});

describe('context.sentry readers', () => {
  const sentry = sentryContext({
    sentry: {
      event_id: 'a'.repeat(32),
      platform: 'python',
      sdk: { name: 'sentry.python', version: '2.19.0' },
      user: { id: '42' },
      tags: { region: 'cn', browser: 'Chrome' },
      request: { url: 'https://shop.example.com/cart?id=1', method: 'POST' },
      contexts: { runtime: { name: 'CPython', version: '3.12.1' }, trace: { trace_id: 'f'.repeat(32) }, empty: {} },
      breadcrumbs: [{ timestamp: 1764756000, category: 'http', level: 'info', message: 'GET /api', data: { status_code: 200 } }, 'junk'],
    },
  });

  it('finds the SDK part only where there is one', () => {
    expect(sentryContext({ user: 'u1' })).toBeNull();
    expect(sentryContext({ sentry: 'text' })).toBeNull();
    expect(sentry).not.toBeNull();
  });

  it('tags sorted, from an object or a list of pairs', () => {
    expect(tagsOf(sentry)).toEqual([['browser', 'Chrome'], ['region', 'cn']]);
    expect(tagsOf({ tags: [['b', 2], ['a', 'x'], { key: 'c', value: true }] })).toEqual([['a', 'x'], ['b', '2'], ['c', 'true']]);
    expect(tagsOf(null)).toEqual([]);
  });

  it('request, contexts, facts and breadcrumbs', () => {
    expect(requestOf(sentry)).toEqual({ url: 'https://shop.example.com/cart?id=1', method: 'POST' });
    expect(requestOf({ tags: {} })).toBeNull();
    expect(contextsOf(sentry)).toEqual([['runtime', 'CPython 3.12.1'], ['trace', 'f'.repeat(32)]]);
    expect(sdkFacts(sentry)).toEqual([['事件 ID', 'a'.repeat(32)], ['平台', 'python'], ['SDK', 'sentry.python 2.19.0'], ['用户', '42']]);
    const crumbs = breadcrumbsOf(sentry);
    expect(crumbs).toHaveLength(1);
    expect(crumbs[0]).toMatchObject({ category: 'http', message: 'GET /api', data: { status_code: 200 } });
    expect(crumbs[0].timestamp).toBe(new Date(1764756000 * 1000).toISOString());
    expect(breadcrumbsOf({ breadcrumbs: { values: [{ message: 'm' }] } })[0].message).toBe('m');
  });
});
