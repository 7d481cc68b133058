import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../App';
import { resetTokenPrompt } from '../api';
import { snippet } from '../snippets';
import { json } from '../testing';

const DSN = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:8080/3';
const NEW_DSN = 'http://fedcba9876543210fedcba9876543210@127.0.0.1:8080/3';

const registered = {
  project_id: 'shop_api',
  sentry_id: 3,
  public_key: '0123456789abcdef0123456789abcdef',
  dsn: DSN,
  repository: 'team/shop',
  created_at: '2026-11-27T10:00:00Z',
  bug_count: 2,
};

const list = {
  items: [
    { project_id: 'shop_api', bug_count: 2, open_count: 1, occurrence_count: 9, last_seen_at: '2026-11-27T10:00:00Z', sentry_id: 3, dsn: DSN },
    { project_id: 'web_front', bug_count: 1, open_count: 1, occurrence_count: 1, last_seen_at: '2026-11-27T11:00:00Z' },
  ],
  total: 2,
};

const fetchMock = vi.fn<typeof fetch>();
const writeText = vi.fn<(text: string) => Promise<void>>();

beforeEach(() => {
  fetchMock.mockReset();
  writeText.mockReset().mockResolvedValue(undefined);
  vi.stubGlobal('fetch', fetchMock);
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
  resetTokenPrompt();
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

/** A fake API: the list, one registered project, and whatever the test registers or rotates. */
function api() {
  const projects = new Map<string, typeof registered>([['shop_api', registered]]);
  fetchMock.mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://x');
    const method = init?.method ?? 'GET';
    if (url.pathname === '/api/v1/projects' && method === 'GET') return json(list);
    if (url.pathname === '/api/v1/projects' && method === 'POST') {
      const body = JSON.parse(String(init!.body));
      if (body.repository?.includes(' ')) {
        return json({ error: { code: 'validation_error', message: 'the project is invalid', details: [{ field: 'repository', issue: 'must be 1-200 characters without spaces' }] } }, 422);
      }
      const p = { ...registered, project_id: body.project_id, repository: body.repository ?? null, sentry_id: 4, dsn: DSN.replace(/3$/, '4') };
      projects.set(body.project_id, p);
      return json(p, 201);
    }
    const m = /^\/api\/v1\/projects\/([^/]+)(\/rotate-key)?$/.exec(url.pathname);
    if (m) {
      const p = projects.get(decodeURIComponent(m[1]));
      if (!p) return json({ error: { code: 'not_found', message: 'not registered' } }, 404);
      if (m[2]) {
        const rotated = { ...p, dsn: NEW_DSN, public_key: 'fedcba9876543210fedcba9876543210', key_rotated_at: '2026-11-28T10:00:00Z' };
        projects.set(p.project_id, rotated);
        return json(rotated);
      }
      return json(p);
    }
    return json({ error: { code: 'not_found', message: url.pathname } }, 404);
  });
}

function calls(method: string, path: string) {
  return fetchMock.mock.calls.filter(([u, i]) => (i?.method ?? 'GET') === method && new URL(String(u), 'http://x').pathname === path);
}

describe('项目 page', () => {
  it('is in the nav and lists every project with its SDK state', async () => {
    api();
    render(<App />);
    fireEvent.click(screen.getByRole('link', { name: '项目' }));
    expect(window.location.pathname).toBe('/projects');
    const table = (await screen.findByRole('table')) as HTMLTableElement;
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-project'))).toEqual(['shop_api', 'web_front']);
    expect(rows[0].textContent).toContain('已启用(#3)');
    expect(rows[1].textContent).toContain('未启用');
  });

  it('a registered project: DSN with a copy button and snippets for Python, Node and the browser', async () => {
    api();
    window.history.replaceState(null, '', '/projects?project=shop_api');
    render(<App />);
    expect((await screen.findByTestId('dsn')).textContent).toBe(DSN);
    expect(screen.getByTestId('project-counts').textContent).toContain('2 / 0 / 0');
    fireEvent.click(screen.getByRole('button', { name: '复制 DSN' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(DSN));
    expect(await screen.findByText('已复制')).toBeTruthy();

    expect(screen.getByTestId('snippet').textContent).toContain(`sentry_sdk.init(\n    dsn="${DSN}",`);
    fireEvent.click(screen.getByRole('button', { name: 'Node.js' }));
    expect(screen.getByTestId('snippet').textContent).toContain('require("@sentry/node")');
    fireEvent.click(screen.getByRole('button', { name: '浏览器' }));
    const code = screen.getByTestId('snippet').textContent!;
    expect(code).toContain('import * as Sentry from "@sentry/browser"');
    expect(code).toContain(`dsn: "${DSN}"`);
    fireEvent.click(screen.getByRole('button', { name: '复制代码' }));
    await waitFor(() => expect(writeText).toHaveBeenLastCalledWith(code));
  });

  it('启用 SDK 接入 registers a seen project and shows its new DSN', async () => {
    api();
    window.history.replaceState(null, '', '/projects');
    render(<App />);
    fireEvent.click(await screen.findByRole('link', { name: '未启用' }));
    expect(window.location.search).toBe('?project=web_front');
    const panel = await screen.findByTestId('project-panel');
    // The panel first asks whether the project is registered (a 404 here): wait for its answer.
    fireEvent.change(await within(panel).findByRole('textbox', { name: '代码仓库(可选)' }), { target: { value: 'team/web' } });
    fireEvent.click(within(panel).getByRole('button', { name: '启用 SDK 接入' }));
    expect((await within(panel).findByTestId('dsn')).textContent).toBe(DSN.replace(/3$/, '4'));
    expect(JSON.parse(String(calls('POST', '/api/v1/projects')[0][1]!.body))).toEqual({ project_id: 'web_front', repository: 'team/web' });
    expect(within(panel).getByText('team/web')).toBeTruthy();
  });

  it('a new project id can be registered from the form; a bad one is refused before sending', async () => {
    api();
    window.history.replaceState(null, '', '/projects');
    render(<App />);
    const form = screen.getByRole('region', { name: '为新项目启用 SDK 接入' });
    fireEvent.change(within(form).getByRole('textbox', { name: '项目 ID' }), { target: { value: 'bad id!' } });
    fireEvent.click(within(form).getByRole('button', { name: '启用 SDK 接入' }));
    expect((await within(form).findByRole('alert')).textContent).toContain('项目 ID 只能包含');
    expect(calls('POST', '/api/v1/projects')).toHaveLength(0);

    fireEvent.change(within(form).getByRole('textbox', { name: '项目 ID' }), { target: { value: 'billing' } });
    fireEvent.change(within(form).getByRole('textbox', { name: '代码仓库(可选)' }), { target: { value: 'team shop' } });
    fireEvent.click(within(form).getByRole('button', { name: '启用 SDK 接入' }));
    await waitFor(() => expect(within(form).getByRole('alert').textContent).toContain('repository: must be 1-200 characters'));
    expect(within(form).getByRole('alert').textContent).toContain('启用失败');
    fireEvent.change(within(form).getByRole('textbox', { name: '代码仓库(可选)' }), { target: { value: '' } });

    fireEvent.change(within(form).getByRole('textbox', { name: '项目 ID' }), { target: { value: 'billing' } });
    fireEvent.click(within(form).getByRole('button', { name: '启用 SDK 接入' }));
    await waitFor(() => expect(window.location.search).toBe('?project=billing'));
    expect((await screen.findByTestId('dsn')).textContent).toBe(DSN.replace(/3$/, '4'));
  });

  it('轮换密钥 asks first; 取消 changes nothing, 确认轮换 shows the new DSN', async () => {
    api();
    window.history.replaceState(null, '', '/projects?project=shop_api');
    render(<App />);
    await screen.findByTestId('dsn');
    fireEvent.click(screen.getByRole('button', { name: '轮换密钥' }));
    expect(screen.getByRole('alertdialog').textContent).toContain('旧的 DSN 立即失效');
    fireEvent.click(screen.getByRole('button', { name: '取消' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(calls('POST', '/api/v1/projects/shop_api/rotate-key')).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: '轮换密钥' }));
    fireEvent.click(screen.getByRole('button', { name: '确认轮换' }));
    await waitFor(() => expect(screen.getByTestId('dsn').textContent).toBe(NEW_DSN));
    expect(screen.getByText('上次轮换密钥')).toBeTruthy();
    expect(calls('POST', '/api/v1/projects/shop_api/rotate-key')).toHaveLength(1);
    expect(screen.getByRole('status').textContent).toContain('密钥已轮换');
    expect(screen.getByTestId('snippet').textContent).toContain(NEW_DSN);
  });
});

describe('项目 list with many projects', () => {
  const many = Array.from({ length: 120 }, (_, i) => ({
    project_id: `svc_${String(i).padStart(3, '0')}`,
    bug_count: 1,
    open_count: 1,
    occurrence_count: 1,
    last_seen_at: null,
  }));

  it('a paging server gets the search and page from the URL; 搜索 and 下一页 change the URL', async () => {
    fetchMock.mockImplementation(async (input) => {
      const url = new URL(String(input), 'http://x');
      const q = url.searchParams.get('q') ?? '';
      const page = Number(url.searchParams.get('page'));
      const size = Number(url.searchParams.get('page_size'));
      const matching = many.filter((p) => p.project_id.includes(q));
      return json({ items: matching.slice((page - 1) * size, page * size), total: matching.length, page, page_size: size });
    });
    window.history.replaceState(null, '', '/projects?page=2');
    render(<App />);
    await screen.findByText('svc_050');
    const pager = screen.getByRole('navigation', { name: '分页' });
    expect(pager.textContent).toContain('第 2 / 3 页,共 120 个项目');
    const first = new URL(String(fetchMock.mock.calls[0][0]), 'http://x').searchParams;
    expect([first.get('page'), first.get('page_size'), first.get('q')]).toEqual(['2', '50', null]);

    fireEvent.click(within(pager).getByRole('link', { name: '下一页' }));
    await screen.findByText('svc_119');
    expect(window.location.search).toBe('?page=3');
    expect(within(screen.getByRole('navigation', { name: '分页' })).queryByRole('link', { name: '下一页' })).toBeNull();

    fireEvent.change(screen.getByRole('searchbox', { name: '搜索项目' }), { target: { value: 'svc_11' } });
    fireEvent.click(screen.getByRole('button', { name: '搜索' }));
    await screen.findByText('svc_110');
    expect(window.location.search).toBe('?q=svc_11');
    expect(screen.getAllByRole('row')).toHaveLength(11); // header + svc_110..svc_119
    expect(screen.getByRole('navigation', { name: '分页' }).textContent).toContain('第 1 / 1 页,共 10 个项目');
  });

  it('a server that sends every project at once is searched and paged here', async () => {
    fetchMock.mockImplementation(async () => json({ items: many, total: many.length }));
    window.history.replaceState(null, '', '/projects?q=SVC_0&page=2');
    render(<App />);
    await screen.findByText('svc_050');
    expect(screen.getAllByRole('row')).toHaveLength(51);
    expect(screen.getByRole('navigation', { name: '分页' }).textContent).toContain('第 2 / 2 页,共 100 个项目');
  });

  it('nothing matching says so', async () => {
    fetchMock.mockImplementation(async () => json({ items: [], total: 0, page: 1, page_size: 50 }));
    window.history.replaceState(null, '', '/projects?q=nope');
    render(<App />);
    expect(await screen.findByText('没有 ID 包含「nope」的项目。')).toBeTruthy();
  });
});

describe('snippet', () => {
  it('puts the DSN and a release into each SDK set-up', () => {
    expect(snippet('python', DSN, 'shop_api')).toBe(
      `# pip install sentry-sdk\nimport sentry_sdk\n\nsentry_sdk.init(\n    dsn="${DSN}",\n    environment="production",\n    release="shop_api@1.0.0",\n)\n`,
    );
    expect(snippet('node', DSN, 'p')).toContain(`Sentry.init({\n  dsn: "${DSN}",`);
    expect(snippet('browser', DSN, 'p')).toContain('// npm install @sentry/browser');
  });
});
