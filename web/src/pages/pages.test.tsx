import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BugDetail, ErrorLog } from '../api';
import { resetTokenPrompt } from '../api';
import App from '../App';
import { BugView } from './BugDetail';
import { BugTable, filtersFrom, listHref } from './BugList';
import { json } from '../testing';

function bug(overrides: Partial<BugDetail> = {}): BugDetail {
  return {
    id: 1,
    project_id: 'rtc_backend',
    source: 'runtime',
    level: 'ERROR',
    environment: 'production',
    version: '1.4.2',
    commit_hash: '9f2c1e0',
    error_type: 'ValueError',
    error_message: 'boom',
    file_path: 'app/x.py',
    line_number: 42,
    stack_trace: 'Traceback (most recent call last):\n  File "app/x.py", line 42',
    context: { user: 'u1' },
    fingerprint: 'f'.repeat(64),
    status: 'NEW',
    occurrence_count: 3,
    is_regression: false,
    first_seen_at: '2026-11-27T10:00:00Z',
    last_seen_at: '2026-11-27T11:00:00Z',
    reported_at: null,
    history: [],
    ...overrides,
  };
}

const cicd = bug({
  id: 2,
  source: 'cicd',
  error_type: 'NpmBuildError',
  file_path: null,
  line_number: null,
  stack_trace: null,
  context: {
    workflow_name: 'Build',
    job_name: 'web',
    step_name: 'npm run build',
    commit_sha: 'abc1234',
    run_url: 'https://git.example.com/org/repo/actions/runs/7',
    log_tail: 'npm ERR! code 1',
  },
});

const deployment = bug({
  id: 3,
  source: 'deployment',
  level: 'CRITICAL',
  error_type: 'CrashLoopBackOff',
  file_path: null,
  line_number: null,
  stack_trace: null,
  context: {
    namespace: 'prod',
    pod_name: 'web-7d9f-abc',
    container_name: 'web',
    deployment_name: 'web',
    restart_count: 12,
    reason: 'Error',
    exit_code: 137,
    log_tail: 'Killed',
  },
});

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
  resetTokenPrompt();
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('BugTable', () => {
  it('shows "-" for a null file_path and path:line otherwise, with source badges', () => {
    render(<BugTable items={[bug(), cicd, deployment] as ErrorLog[]} />);
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    const fileCells = rows.map((r) => r.querySelector('.file-cell')!.textContent);
    expect(fileCells).toEqual(['app/x.py:42', '-', '-']);
    const badges = rows.map((r) => r.querySelector('.source-badge')!);
    expect(badges.map((b) => b.className)).toEqual([
      'source-badge source-runtime',
      'source-badge source-cicd',
      'source-badge source-deployment',
    ]);
    expect(badges.map((b) => b.textContent)).toEqual(['运行时', 'CI/CD', '部署']);
  });

  it('renders HTML in messages as text', () => {
    const { container } = render(
      <BugTable items={[bug({ error_message: '<img src=x onerror=alert(1)>' })] as ErrorLog[]} />,
    );
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByText('<img src=x onerror=alert(1)>')).toBeTruthy();
  });
});

describe('BugView', () => {
  it('runtime: file location, stack trace, enabled 触发修复, no CI/CD or deployment block', () => {
    render(<BugView bug={bug()} onChange={() => {}} />);
    expect(screen.getByTestId('file-location').textContent).toContain('app/x.py:42');
    expect(screen.getByText(/Traceback/)).toBeTruthy();
    expect((screen.getByRole('button', { name: '触发修复' }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId('cicd-block')).toBeNull();
    expect(screen.queryByTestId('deployment-block')).toBeNull();
  });

  it('cicd: its block with a link to the run, no file location, 触发修复 disabled with a hint', () => {
    render(<BugView bug={cicd} onChange={() => {}} />);
    const block = screen.getByTestId('cicd-block');
    for (const text of ['Build', 'web', 'npm run build', 'abc1234', 'npm ERR! code 1']) {
      expect(within(block).getByText(text)).toBeTruthy();
    }
    expect(within(block).getByRole('link').getAttribute('href')).toBe(cicd.context.run_url);
    expect(screen.queryByTestId('file-location')).toBeNull();
    expect(screen.getByTestId('meta-source').textContent).toContain('CI/CD');
    const button = screen.getByRole('button', { name: '触发修复' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(screen.getByText(/无法自动修复/)).toBeTruthy();
  });

  it('deployment: its block, 触发修复 disabled', () => {
    render(<BugView bug={deployment} onChange={() => {}} />);
    const block = screen.getByTestId('deployment-block');
    for (const text of ['prod', 'web-7d9f-abc', '12', 'Error / 退出码 137', 'Killed']) {
      expect(within(block).getByText(text)).toBeTruthy();
    }
    expect(screen.queryByTestId('cicd-block')).toBeNull();
    expect((screen.getByRole('button', { name: '触发修复' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('a javascript: run_url is shown as text, not as a link', () => {
    render(<BugView bug={{ ...cicd, context: { ...cicd.context, run_url: 'javascript:alert(1)' } }} onChange={() => {}} />);
    expect(within(screen.getByTestId('cicd-block')).queryByRole('link')).toBeNull();
    expect(screen.getAllByText('javascript:alert(1)').length).toBeGreaterThan(0);
  });

  it('an SDK bug: frames with their source lines, and the tags and request of its event', () => {
    const sdkBug = bug({
      stack_trace: [
        { file: 'shop/cart.py', line: 12, function: 'total', pre_context: ['def total(cart):'], context_line: '    return cart[0]', in_app: true },
      ],
      context: { sentry: { platform: 'python', tags: { region: 'cn' }, request: { url: 'https://a.example/x', method: 'GET' } } },
    });
    render(<BugView bug={sdkBug} onChange={() => {}} occurrences={<p>OCCURRENCES</p>} />);
    const line = document.querySelector('.frame .context-line')!;
    expect(line.textContent).toBe('12    return cart[0]');
    expect(document.querySelector('.frame .code-row .lineno')!.textContent).toBe('11');
    expect(screen.getByTestId('sdk-details').textContent).toContain('region');
    expect(screen.getByTestId('sdk-details').textContent).toContain('GET https://a.example/x');
    // the 最近发生 slot sits before the status history
    const order = [...document.querySelectorAll('h2')].map((h) => h.textContent);
    expect(screen.getByText('OCCURRENCES').compareDocumentPosition(screen.getByText('状态历史')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(order).toContain('SDK 事件(最近一次)');
  });

  it('触发修复 PATCHes PENDING_FIX and shows the new state', async () => {
    const onChange = vi.fn();
    fetchMock.mockResolvedValueOnce(json({ ...bug(), status: 'PENDING_FIX' }));
    render(<BugView bug={bug()} onChange={onChange} />);
    fireEvent.click(screen.getByRole('button', { name: '触发修复' }));
    await waitFor(() => expect(onChange).toHaveBeenCalled());
    expect(String(fetchMock.mock.calls[0][0])).toBe('/api/v1/bugs/1/status');
    expect(JSON.parse(String(fetchMock.mock.calls[0][1]!.body)).status).toBe('PENDING_FIX');
    expect(onChange.mock.calls[0][0].status).toBe('PENDING_FIX');
    expect(screen.getByRole('status').textContent).toContain('待修复');
  });

  it('a refused status change shows the API message', async () => {
    fetchMock.mockResolvedValueOnce(
      json({ error: { code: 'conflict', message: 'FIXING is entered only by claiming' } }, 409),
    );
    render(<BugView bug={bug()} onChange={() => {}} />);
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'IGNORED' } });
    fireEvent.click(screen.getByRole('button', { name: '更新状态' }));
    expect((await screen.findByRole('alert')).textContent).toContain('FIXING is entered only by claiming');
  });
});

describe('BugList URL state', () => {
  it('reads filters from the query string and resets the page when a filter changes', () => {
    const filters = filtersFrom(new URLSearchParams('project_id=p1&source=cicd&page=3&bogus=1'));
    expect(filters).toEqual({ project_id: 'p1', source: 'cicd', page: '3' });
    expect(listHref(filters, { source: 'deployment' })).toBe('/bugs?project_id=p1&source=deployment');
    expect(listHref(filters, { source: '' })).toBe('/bugs?project_id=p1');
    expect(listHref(filters, { page: '4' })).toBe('/bugs?project_id=p1&source=cicd&page=4');
    expect(listHref(filters, { page: '1' })).toBe('/bugs?project_id=p1&source=cicd');
  });

  it('the page sends URL filters to the API and source tabs change the URL', async () => {
    window.history.replaceState(null, '', '/bugs?source=cicd&q=npm');
    fetchMock.mockImplementation(async (input) => {
      const url = String(input);
      if (url.startsWith('/api/v1/projects')) return json({ items: [{ project_id: 'rtc_backend', bug_count: 1 }], total: 1 });
      const source = new URL(url, 'http://x').searchParams.get('source');
      const items = [bug(), cicd, deployment].filter((b) => !source || b.source === source);
      return json({ items, total: items.length, page: 1, page_size: 20 });
    });
    render(<App />);
    await screen.findByText('NpmBuildError');
    const bugsCall = fetchMock.mock.calls.map((c) => String(c[0])).find((u) => u.startsWith('/api/v1/bugs'))!;
    expect(new URL(bugsCall, 'http://x').searchParams.get('source')).toBe('cicd');
    expect(new URL(bugsCall, 'http://x').searchParams.get('q')).toBe('npm');
    expect((screen.getByRole('searchbox') as HTMLInputElement).value).toBe('npm');

    fireEvent.click(within(screen.getByRole('navigation', { name: '来源' })).getByText('部署'));
    await screen.findByText('CrashLoopBackOff');
    expect(window.location.pathname + window.location.search).toBe('/bugs?source=deployment&q=npm');
    expect(screen.queryByText('NpmBuildError')).toBeNull();
  });

  it('an unreachable API gives a visible error, not a blank page', async () => {
    window.history.replaceState(null, '', '/bugs');
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('无法连接到 API 服务器');
  });

  it('a capped search total reads as "1000+" and still offers the next page', async () => {
    window.history.replaceState(null, '', '/bugs?q=timeout&page=50');
    fetchMock.mockImplementation(async (input) =>
      String(input).startsWith('/api/v1/projects')
        ? json({ items: [], total: 0 })
        : json({ items: [bug()], total: 1000, total_capped: true, page: 50, page_size: 20 }),
    );
    render(<App />);
    expect((await screen.findByText(/共 1000\+ 条/)).textContent).toContain('第 50 / 50+ 页');
    expect(screen.getByText('下一页').tagName).toBe('A');
  });

  it('an empty result says so', async () => {
    window.history.replaceState(null, '', '/bugs?source=deployment');
    fetchMock.mockImplementation(async (input) =>
      String(input).startsWith('/api/v1/projects')
        ? json({ items: [], total: 0 })
        : json({ items: [], total: 0, page: 1, page_size: 20 }),
    );
    render(<App />);
    expect(await screen.findByText('没有符合筛选条件的缺陷。')).toBeTruthy();
  });
});

describe('Project chips', () => {
  const project = (n: number) => ({ project_id: `proj${n}`, bug_count: 100 - n, open_count: 0, occurrence_count: 1, last_seen_at: null });

  it('with 30,000 projects shows the top ones and a search box whose matches replace them', async () => {
    window.history.replaceState(null, '', '/bugs');
    fetchMock.mockImplementation(async (input) => {
      const url = new URL(String(input), 'http://x');
      if (url.pathname === '/api/v1/projects') {
        const q = url.searchParams.get('q');
        const size = Number(url.searchParams.get('page_size'));
        if (q) return json({ items: [project(77)], total: 1, page: 1, page_size: size });
        expect(url.searchParams.get('sort')).toBe('-bug_count');
        return json({ items: Array.from({ length: size }, (_, n) => project(n)), total: 30000, page: 1, page_size: size });
      }
      return json({ items: [], total: 0, page: 1, page_size: 20 });
    });
    render(<App />);
    const nav = screen.getByRole('navigation', { name: '项目' });
    await within(nav).findByText('proj0');
    expect(nav.querySelectorAll('a.project-tab').length).toBe(1 + 12); // 全部项目 + the top 12
    const box = within(nav).getByRole('searchbox', { name: '搜索项目' }) as HTMLInputElement;
    expect(box.placeholder).toContain('共 30000 个');
    fireEvent.change(box, { target: { value: 'proj77' } });
    await within(nav).findByText('proj77');
    expect(within(nav).queryByText('proj0')).toBeNull();
    expect(within(nav).getByText('匹配 1 个')).toBeTruthy();
    const searched = fetchMock.mock.calls.map((c) => new URL(String(c[0]), 'http://x')).find((u) => u.searchParams.get('q'));
    expect(searched!.searchParams.get('q')).toBe('proj77');
  });

  it('with a few projects shows them all and no search box', async () => {
    window.history.replaceState(null, '', '/bugs');
    fetchMock.mockImplementation(async (input) =>
      String(input).startsWith('/api/v1/projects')
        ? json({ items: [project(1), project(2)], total: 2, page: 1, page_size: 12 })
        : json({ items: [], total: 0, page: 1, page_size: 20 }),
    );
    render(<App />);
    const nav = screen.getByRole('navigation', { name: '项目' });
    await within(nav).findByText('proj2');
    expect(within(nav).queryByRole('searchbox')).toBeNull();
  });
});

describe('Dashboard', () => {
  it('shows the source distribution from the stats', async () => {
    fetchMock.mockImplementation(async () =>
      json({
        total_bugs: 6,
        today_bugs: 2,
        total_occurrences: 9,
        status_distribution: { NEW: 6 },
        level_distribution: {},
        project_distribution: { a: 6 },
        source_distribution: { runtime: 3, cicd: 2, deployment: 1 },
        trend: [{ date: '2026-11-27', count: 9 }],
      }),
    );
    render(<App />);
    expect((await screen.findByTestId('source-count-runtime')).textContent).toBe('3');
    expect(screen.getByTestId('source-count-cicd').textContent).toBe('2');
    expect(screen.getByTestId('source-count-deployment').textContent).toBe('1');
    expect(screen.getByTestId('total-bugs').textContent).toContain('6');
    expect(document.querySelector('[data-date="2026-11-27"]')!.getAttribute('data-count')).toBe('9');
  });
});
