import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Occurrence } from '../api';
import { json } from '../testing';
import BugOccurrences, { OCCURRENCE_PAGE_SIZE } from './BugOccurrences';

function occurrence(id: number, overrides: Partial<Occurrence> = {}): Occurrence {
  return {
    id,
    seq: id,
    created_at: '2026-11-27T10:00:00Z',
    level: 'ERROR',
    message: `boom ${id}`,
    environment: 'production',
    version: '1.4.2',
    commit_hash: '9f2c1e0',
    reported_at: null,
    event_id: null,
    context: { user: 'u1' },
    stack_trace: 'Traceback (most recent call last):\n  File "app/x.py", line 42',
    ...overrides,
  };
}

const sdkEvent = occurrence(99, {
  message: "'NoneType' object is not subscriptable",
  event_id: 'b'.repeat(32),
  context: {
    sentry: {
      platform: 'python',
      tags: { region: 'cn-east' },
      extra: { cart_id: 'c-9', password: '[Filtered]' },
      request: { url: 'https://shop.example.com/cart', method: 'POST' },
      breadcrumbs: [{ timestamp: '2026-11-27T09:59:59Z', category: 'query', message: 'SELECT 1' }],
    },
  },
  stack_trace: [
    { file: 'site-packages/flask/app.py', line: 880, column: 7, function: 'dispatch', context_line: 'return view()', in_app: false },
    {
      file: 'shop/cart.py',
      line: 12,
      function: 'total',
      pre_context: ['def total(cart):', '    items = cart.get("items")'],
      context_line: '    return items[0]["price"]',
      post_context: ['', 'def empty():'],
      in_app: true,
    },
  ],
});

const fetchMock = vi.fn<typeof fetch>();
beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function pageOf(items: Occurrence[], total: number, page = 1) {
  return json({ items, total, page, page_size: OCCURRENCE_PAGE_SIZE });
}

describe('最近发生', () => {
  it('lists occurrences newest first, collapsed; one expands to its facts, trace and context', async () => {
    fetchMock.mockResolvedValueOnce(pageOf([occurrence(2, { environment: 'staging' }), occurrence(1)], 2));
    render(<BugOccurrences bugId={7} occurrenceCount={5} />);
    const items = await screen.findAllByRole('button', { expanded: false });
    expect(items).toHaveLength(2);
    expect(String(fetchMock.mock.calls[0][0])).toBe(`/api/v1/bugs/7/occurrences?page=1&page_size=${OCCURRENCE_PAGE_SIZE}`);
    expect(screen.getByTestId('occurrence-summary').textContent).toBe('共发生 5 次,保留最近 2 条记录。');
    expect(items[0].textContent).toContain('boom 2');
    expect(items[0].textContent).toContain('staging · 1.4.2');
    expect(screen.queryByText(/Traceback/)).toBeNull();

    fireEvent.click(items[0]);
    expect(items[0].getAttribute('aria-expanded')).toBe('true');
    const body = document.getElementById(items[0].getAttribute('aria-controls')!)!;
    expect(within(body).getByText('9f2c1e0')).toBeTruthy();
    expect(within(body).getByText(/Traceback/)).toBeTruthy();
    expect(within(body).getByText(/"user": "u1"/)).toBeTruthy();
    expect(within(body).queryByTestId('sdk-details')).toBeNull();
    fireEvent.click(items[0]);
    expect(document.getElementById(items[0].getAttribute('aria-controls')!)).toBeNull();
  });

  it('an SDK event shows in-app frames with context lines, tags, request and breadcrumbs', async () => {
    fetchMock.mockResolvedValueOnce(pageOf([sdkEvent], 1));
    render(<BugOccurrences bugId={7} occurrenceCount={1} />);
    const toggle = await screen.findByRole('button', { expanded: false });
    expect(toggle.textContent).toContain('SDK');
    fireEvent.click(toggle);
    const body = document.getElementById(toggle.getAttribute('aria-controls')!)!;
    const frames = body.querySelectorAll('.frame');
    expect(frames).toHaveLength(1); // the library frame is folded away
    const rows = [...frames[0].querySelectorAll('.code-row')].map((r) => [r.querySelector('.lineno')!.textContent, r.querySelector('code')!.textContent]);
    expect(rows).toEqual([
      ['10', 'def total(cart):'],
      ['11', '    items = cart.get("items")'],
      ['12', '    return items[0]["price"]'],
      ['13', ' '],
      ['14', 'def empty():'],
    ]);
    expect(frames[0].querySelector('.context-line .lineno')!.textContent).toBe('12');
    expect(frames[0].textContent).toContain('shop/cart.py');
    fireEvent.click(within(body).getByRole('button', { name: '显示全部帧(另有 1 个库帧)' }));
    expect(body.querySelectorAll('.frame')).toHaveLength(2);
    expect(body.querySelectorAll('.frame')[1].querySelector('.frame-line')!.textContent).toBe(' 第 880 行 第 7 列');

    const sdk = within(body).getByTestId('sdk-details');
    expect(within(sdk).getByText('region').nextSibling!.textContent).toBe('cn-east');
    expect(within(sdk).getByRole('link', { name: 'https://shop.example.com/cart' })).toBeTruthy();
    expect(sdk.textContent).toContain('POST');
    expect(within(sdk).getByText('SELECT 1')).toBeTruthy();
    expect(within(sdk).getByText('query')).toBeTruthy();
    expect(sdk.querySelector('.sdk-extra pre')!.textContent).toContain('"cart_id": "c-9"');
    expect(within(body).getByText('除 SDK 事件外没有其他上下文。')).toBeTruthy();
  });

  it('加载更多 fetches the next page and appends it', async () => {
    const first = Array.from({ length: OCCURRENCE_PAGE_SIZE }, (_, i) => occurrence(100 - i));
    fetchMock.mockResolvedValueOnce(pageOf(first, OCCURRENCE_PAGE_SIZE + 1));
    render(<BugOccurrences bugId={7} occurrenceCount={60} />);
    const more = await screen.findByRole('button', { name: '加载更多(还有 1 条)' });
    fetchMock.mockResolvedValueOnce(pageOf([occurrence(1)], OCCURRENCE_PAGE_SIZE + 1, 2));
    fireEvent.click(more);
    await waitFor(() => expect(screen.getAllByRole('button', { expanded: false })).toHaveLength(OCCURRENCE_PAGE_SIZE + 1));
    expect(new URL(String(fetchMock.mock.calls[1][0]), 'http://x').searchParams.get('page')).toBe('2');
    expect(screen.queryByRole('button', { name: /加载更多/ })).toBeNull();
  });

  it('none kept says so; a failed load shows the error with a retry', async () => {
    fetchMock.mockResolvedValueOnce(pageOf([], 0));
    render(<BugOccurrences bugId={7} occurrenceCount={3} />);
    expect(await screen.findByText('没有保留的发生记录。')).toBeTruthy();
    cleanup();

    fetchMock.mockResolvedValueOnce(json({ error: { code: 'not_found', message: 'no bug 8' } }, 404));
    render(<BugOccurrences bugId={8} occurrenceCount={1} />);
    expect((await screen.findByRole('alert')).textContent).toContain('no bug 8');
    fetchMock.mockResolvedValueOnce(pageOf([occurrence(1)], 1));
    fireEvent.click(screen.getByRole('button', { name: '重试' }));
    expect(await screen.findByText('boom 1')).toBeTruthy();
  });
});
