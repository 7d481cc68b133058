import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BugDetail, Deploy, Release, ReleaseDetail } from '../api';
import { releasePath } from '../api';
import App from '../App';
import { matchRoute } from '../router';
import { json } from '../testing';
import { BugView } from './BugDetail';

const SHA_B = '9f2c1e0b7d3a4c5e6f708192a3b4c5d6e7f80912';
const SHA_A = 'a0c1e2d3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9';

const deploy: Deploy = {
  id: 7,
  project_id: 'shop',
  environment: 'production',
  version: SHA_B,
  commit_sha: SHA_B,
  url: 'https://gitea.example.com/team/shop/actions/runs/102',
  actor: 'alice',
  started_at: null,
  finished_at: null,
  deployed_at: '2026-12-01T10:00:00Z',
  created_at: '2026-12-01T10:00:00Z',
};

function release(overrides: Partial<Release> = {}): Release {
  return {
    project_id: 'shop',
    version: SHA_B,
    commit_sha: SHA_B,
    first_seen_at: '2026-12-01T10:00:00Z',
    last_seen_at: '2026-12-01T10:05:00Z',
    deploy_count: 1,
    counts: { cicd_failures: 0, deployment_errors: 1, new_runtime_bugs: 2, regressions: 1 },
    environment: null,
    deploys: [deploy],
    ...overrides,
  };
}

const page = {
  items: [
    release(),
    release({ version: SHA_A, commit_sha: SHA_A, deploys: [], deploy_count: 0,
              counts: { cicd_failures: 1, deployment_errors: 0, new_runtime_bugs: 0, regressions: 0 } }),
    release({ version: '1.3.0', commit_sha: null, deploys: [], deploy_count: 0,
              counts: { cicd_failures: 0, deployment_errors: 0, new_runtime_bugs: 1, regressions: 0 } }),
  ],
  total: 3,
  page: 1,
  page_size: 20,
};

const detail: ReleaseDetail = {
  ...release(),
  environments: [{ environment: 'production', first_seen_at: '2026-12-01T10:00:00Z', last_seen_at: '2026-12-01T10:05:00Z',
                   deploy_count: 1, counts: release().counts }],
  cicd_failures: [],
  deployment_errors: [{ id: 11, project_id: 'shop', source: 'deployment', level: 'CRITICAL', environment: 'production',
                        error_type: 'CrashLoopBackOff', error_message: 'back-off', status: 'NEW', occurrence_count: 1,
                        is_regression: false, first_seen_at: '2026-12-01T10:01:00Z', last_seen_at: '2026-12-01T10:01:00Z' }],
  new_runtime_bugs: [
    { id: 12, project_id: 'shop', source: 'runtime', level: 'ERROR', environment: 'production', error_type: 'KeyError',
      error_message: "'PAYMENT_URL'", status: 'NEW', occurrence_count: 3, is_regression: false,
      first_seen_at: '2026-12-01T10:02:00Z', last_seen_at: '2026-12-01T10:04:00Z' },
  ],
  regressions: [
    { id: 3, project_id: 'shop', source: 'runtime', level: 'ERROR', environment: 'production', error_type: 'TimeoutError',
      error_message: null, status: 'NEW', occurrence_count: 9, is_regression: true,
      first_seen_at: '2026-11-20T10:00:00Z', last_seen_at: '2026-12-01T10:03:00Z' },
  ],
};

const fetchMock = vi.fn<typeof fetch>();
beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

function answer(routes: Record<string, unknown>) {
  fetchMock.mockImplementation(async (input) => {
    const url = new URL(String(input), 'http://localhost');
    const key = Object.keys(routes).find((k) => url.pathname === k);
    return key ? json(routes[key]) : json({ error: { code: 'not_found', message: url.pathname } }, 404);
  });
}

function last(path: string): URL | undefined {
  const all = calls(path);
  return all[all.length - 1];
}

function calls(path: string): URL[] {
  return fetchMock.mock.calls.map(([input]) => new URL(String(input), 'http://localhost')).filter((u) => u.pathname === path);
}

describe('版本 routes', () => {
  it('has a list and a page per release, with names decoded', () => {
    expect(matchRoute('/releases')).toEqual({ name: 'releases' });
    expect(matchRoute('/releases/shop/1.4.2')).toEqual({ name: 'release', projectId: 'shop', version: '1.4.2' });
    expect(matchRoute(releasePath('shop', 'shop@1.0+b'))).toEqual({ name: 'release', projectId: 'shop', version: 'shop@1.0+b' });
    expect(matchRoute('/releases/shop/%E0%A4%A')).toEqual({ name: 'not-found' });
  });
});

describe('ReleaseList', () => {
  it('draws the timeline: marks, deploys with their run link, releases never deployed', async () => {
    answer({ '/api/v1/releases': page, '/api/v1/projects': { items: [{ project_id: 'shop', bug_count: 5, open_count: 5,
                                                                         occurrence_count: 9, last_seen_at: null }], total: 1 } });
    window.history.replaceState(null, '', '/releases?project=shop');
    render(<App />);
    await waitFor(() => expect(document.querySelectorAll('li.release-row')).toHaveLength(3));
    const [b, a, old] = Array.from(document.querySelectorAll<HTMLElement>('li.release-row'));
    expect(within(b).getByRole('link', { name: '9f2c1e0' }).getAttribute('href')).toBe(`/releases/shop/${SHA_B}`);
    const mark = (row: HTMLElement, key: string) => row.querySelector(`[data-mark="${key}"]`) as HTMLElement;
    expect(mark(b, 'deployment_errors').textContent).toBe('✗ 部署 1');
    expect(mark(b, 'new_runtime_bugs').textContent).toBe('新缺陷 2');
    expect(mark(b, 'regressions').textContent).toBe('回归 1');
    expect(mark(b, 'cicd_failures').className).toContain('zero');
    expect(mark(a, 'cicd_failures').textContent).toBe('✗ CI 1');
    expect(mark(a, 'cicd_failures').className).not.toContain('zero');
    const run = within(b).getByRole('link', { name: '运行记录' });
    expect(run.getAttribute('href')).toBe(deploy.url);
    expect(b.querySelector('[data-environment="production"]')?.textContent).toContain('alice');
    expect(within(a).getByText('未部署')).toBeTruthy();
    expect(within(old).getByRole('link', { name: '1.3.0' })).toBeTruthy();
    expect(screen.getByRole('link', { name: '版本' }).className).toBe('active');
    expect(calls('/api/v1/releases')[0].searchParams.get('project_id')).toBe('shop');
  });

  it('filters by environment through the URL and pages', async () => {
    answer({ '/api/v1/releases': { ...page, total: 45 }, '/api/v1/projects': { items: [], total: 0 } });
    window.history.replaceState(null, '', '/releases');
    render(<App />);
    await screen.findByText(/第 1 \/ 3 页/);
    fireEvent.change(screen.getByPlaceholderText('全部环境'), { target: { value: 'staging' } });
    fireEvent.click(screen.getByRole('button', { name: '筛选' }));
    await waitFor(() => expect(last('/api/v1/releases')?.searchParams.get('environment')).toBe('staging'));
    expect(window.location.search).toBe('?environment=staging');
    fireEvent.click(await screen.findByRole('button', { name: '下一页' }));
    await waitFor(() => expect(last('/api/v1/releases')?.searchParams.get('page')).toBe('2'));
    expect(last('/api/v1/releases')?.searchParams.has('project_id')).toBe(false);
  });

  it('says how to get releases when there are none, and shows errors', async () => {
    answer({ '/api/v1/releases': { items: [], total: 0, page: 1, page_size: 20 }, '/api/v1/projects': { items: [], total: 0 } });
    window.history.replaceState(null, '', '/releases');
    render(<App />);
    expect((await screen.findByText(/还没有版本/)).textContent).toContain('--deploy');
    cleanup();
    fetchMock.mockImplementation(async () => json({ error: { code: 'validation_error', message: 'invalid environment' } }, 422));
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('invalid environment');
  });
});

describe('ReleasePage', () => {
  it('lists the deploys, the four lists with links to each bug, and environments', async () => {
    answer({ [`/api/v1/releases/shop/${SHA_B}`]: detail });
    window.history.replaceState(null, '', releasePath('shop', SHA_B));
    render(<App />);
    await screen.findByRole('heading', { name: /版本 9f2c1e0/ });
    const deploys = document.querySelector('table.release-deploys-table') as HTMLElement;
    expect(within(deploys).getByText('production')).toBeTruthy();
    expect(within(deploys).getByRole('link', { name: '运行记录' }).getAttribute('href')).toBe(deploy.url);
    const list = (key: string) => document.querySelector(`[data-list="${key}"]`) as HTMLElement;
    expect(within(list('new_runtime_bugs')).getByRole('link', { name: '#12 KeyError' }).getAttribute('href')).toBe('/bugs/12');
    expect(within(list('regressions')).getByRole('link', { name: '#3 TimeoutError' })).toBeTruthy();
    expect(within(list('deployment_errors')).getByText('#11 CrashLoopBackOff')).toBeTruthy();
    expect(within(list('cicd_failures')).getByText('没有 CI 失败。')).toBeTruthy();
    fireEvent.click(screen.getByRole('link', { name: 'production' }));
    await waitFor(() => expect(last(`/api/v1/releases/shop/${SHA_B}`)?.searchParams.get('environment')).toBe('production'));
    fireEvent.click(screen.getByRole('link', { name: '#12 KeyError' }));
    expect(window.location.pathname).toBe('/bugs/12');
  });

  it('an unknown release is a clear 404', async () => {
    answer({});
    window.history.replaceState(null, '', '/releases/shop/9.9.9');
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('未找到');
  });
});

describe('BugView and its release', () => {
  const base: BugDetail = {
    id: 12, project_id: 'shop', source: 'runtime', level: 'ERROR', environment: 'production', version: null,
    commit_hash: '9f2c1e0', error_type: 'KeyError', error_message: 'x', file_path: 'a.py', line_number: 1,
    stack_trace: null, context: {}, fingerprint: 'f'.repeat(64), status: 'NEW', occurrence_count: 1,
    is_regression: false, first_seen_at: '2026-12-01T10:02:00Z', last_seen_at: '2026-12-01T10:02:00Z', history: [],
  };

  it('links to its release and shows the suspect deploy with its run', () => {
    render(<BugView bug={{ ...base, release: { project_id: 'shop', version: '1.4.2', commit_sha: SHA_B,
                                               first_seen_at: '2026-12-01T10:00:00Z' },
                           suspect_deploy: { ...deploy, version: '1.4.2' } }} onChange={() => {}} />);
    const field = screen.getByTestId('meta-release');
    expect(within(field).getByRole('link', { name: '1.4.2' }).getAttribute('href')).toBe('/releases/shop/1.4.2');
    const suspect = screen.getByTestId('meta-suspect-deploy');
    expect(suspect.textContent).toContain('部署到 production');
    expect(within(suspect).getByRole('link', { name: '运行记录' }).getAttribute('href')).toBe(deploy.url);
  });

  it('without a release or deploy says so, and never links an unsafe run URL', () => {
    render(<BugView bug={{ ...base, release: null, suspect_deploy: { ...deploy, url: 'javascript:alert(1)' } }}
                    onChange={() => {}} />);
    expect(screen.getByTestId('meta-release').textContent).toBe('所属版本-');
    expect(within(screen.getByTestId('meta-suspect-deploy')).queryByRole('link', { name: '运行记录' })).toBeNull();
  });
});
