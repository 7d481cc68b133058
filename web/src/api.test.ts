import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  apiUrl,
  buildQuery,
  getBug,
  getBugs,
  getConfig,
  getProjects,
  getStats,
  resetTokenPrompt,
  setTokenPrompt,
  TOKEN_KEY,
  updateBugStatus,
} from './api';
import { json } from './testing';

const fetchMock = vi.fn<typeof fetch>();

beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
  window.localStorage.clear();
  delete window.LOGCENTER_CONFIG;
  resetTokenPrompt();
  setTokenPrompt(() => {
    throw new Error('the token prompt was not expected');
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  setTokenPrompt(null);
});

function calledUrl(i = 0): string {
  return String(fetchMock.mock.calls[i][0]);
}

function calledHeaders(i = 0): Headers {
  return new Headers(fetchMock.mock.calls[i][1]?.headers);
}

describe('query building', () => {
  it('leaves out empty, null and undefined values and encodes the rest', () => {
    expect(buildQuery({ a: '', b: undefined, c: null, d: 0, q: 'a b&c' })).toBe('?d=0&q=a+b%26c');
    expect(buildQuery({})).toBe('');
  });

  it('getBugs sends every filter the list supports', async () => {
    fetchMock.mockResolvedValueOnce(json({ items: [], total: 0, page: 2, page_size: 20 }));
    await getBugs({
      project_id: 'rtc_backend',
      source: 'cicd',
      status: 'NEW',
      level: 'ERROR',
      q: 'npm',
      page: 2,
      page_size: 20,
      sort: '-occurrence_count',
    });
    const url = new URL(calledUrl(), 'http://x');
    expect(url.pathname).toBe('/api/v1/bugs');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      project_id: 'rtc_backend',
      source: 'cicd',
      status: 'NEW',
      level: 'ERROR',
      q: 'npm',
      page: '2',
      page_size: '20',
      sort: '-occurrence_count',
    });
  });

  it('getStats passes source and project_id, and nothing when unset', async () => {
    fetchMock.mockImplementation(async () => json({ total_bugs: 0 }));
    await getStats({ source: 'deployment', project_id: 'p1' });
    await getStats({ source: '' });
    expect(calledUrl(0)).toBe('/api/v1/dashboard/stats?source=deployment&project_id=p1');
    expect(calledUrl(1)).toBe('/api/v1/dashboard/stats');
  });

  it('escapes ids in paths and sends status changes as JSON PATCH', async () => {
    fetchMock.mockImplementation(async () => json({ id: 7, status: 'PENDING_FIX', history: [] }));
    await getBug('7/../x');
    expect(calledUrl(0)).toBe('/api/v1/bugs/7%2F..%2Fx');
    await updateBugStatus(7, 'PENDING_FIX', '从仪表盘触发修复');
    expect(calledUrl(1)).toBe('/api/v1/bugs/7/status');
    const init = fetchMock.mock.calls[1][1]!;
    expect(init.method).toBe('PATCH');
    expect(JSON.parse(String(init.body))).toEqual({ status: 'PENDING_FIX', note: '从仪表盘触发修复' });
    expect(calledHeaders(1).get('Content-Type')).toBe('application/json');
  });
});

describe('base URL from config.js', () => {
  it('defaults to the same origin (relative paths)', () => {
    expect(getConfig().apiBaseUrl).toBe('');
    expect(apiUrl('/api/v1/projects')).toBe('/api/v1/projects');
  });

  it('uses window.LOGCENTER_CONFIG.apiBaseUrl without its trailing slashes', async () => {
    window.LOGCENTER_CONFIG = { apiBaseUrl: 'https://faas.example.com/ ' };
    fetchMock.mockResolvedValueOnce(json({ items: [], total: 0, page: 1, page_size: 20 }));
    await getBugs({ source: 'runtime' });
    expect(calledUrl()).toBe('https://faas.example.com/api/v1/bugs?source=runtime');
  });

  it('ignores a config whose apiBaseUrl is not a string', () => {
    window.LOGCENTER_CONFIG = { apiBaseUrl: 42 as unknown as string };
    expect(apiUrl('/api/v1/bugs')).toBe('/api/v1/bugs');
  });
});

describe('401 handling', () => {
  it('asks for the token once, keeps it in localStorage and retries with it', async () => {
    const prompt = vi.fn(() => 'secret-token');
    setTokenPrompt(prompt);
    fetchMock
      .mockResolvedValueOnce(json({ error: { code: 'unauthorized', message: 'needs a token' } }, 401))
      .mockResolvedValueOnce(json({ items: [], total: 0 }))
      .mockResolvedValueOnce(json({ items: [], total: 0 }));

    await getBugs();
    expect(prompt).toHaveBeenCalledTimes(1);
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('secret-token');
    expect(calledHeaders(0).get('Authorization')).toBeNull();
    expect(calledHeaders(1).get('Authorization')).toBe('Bearer secret-token');

    await getBugs(); // the stored token is sent up front, no second prompt
    expect(calledHeaders(2).get('Authorization')).toBe('Bearer secret-token');
    expect(prompt).toHaveBeenCalledTimes(1);
  });

  it('concurrent 401s share one prompt', async () => {
    let answer!: (token: string) => void;
    const prompt = vi.fn(() => new Promise<string>((resolve) => (answer = resolve)));
    setTokenPrompt(prompt);
    fetchMock.mockImplementation(async (_url, init) =>
      new Headers(init?.headers).get('Authorization') === 'Bearer t1'
        ? json({ ok: true })
        : json({ error: { code: 'unauthorized', message: 'x' } }, 401),
    );
    const calls = [getStats(), getBugs(), getBug(1)];
    await vi.waitFor(() => expect(prompt).toHaveBeenCalled());
    answer('t1');
    await Promise.all(calls);
    expect(prompt).toHaveBeenCalledTimes(1);
  });

  it('a 401 that arrives after another call got the token retries with it, without asking', async () => {
    const prompt = vi.fn(() => 't2');
    setTokenPrompt(prompt);
    let releaseSecond!: () => void;
    const secondHeld = new Promise<void>((resolve) => (releaseSecond = resolve));
    fetchMock.mockImplementation(async (input, init) => {
      const auth = new Headers(init?.headers).get('Authorization');
      if (auth === 'Bearer t2') return json({ ok: true });
      if (String(input).includes('projects')) await secondHeld; // its 401 comes back late
      return json({ error: { code: 'unauthorized', message: 'x' } }, 401);
    });
    const late = getProjects();
    await getBugs(); // prompts, stores t2
    releaseSecond();
    await late;
    expect(prompt).toHaveBeenCalledTimes(1);
    const projectCalls = fetchMock.mock.calls.filter((c) => String(c[0]).includes('projects'));
    expect(projectCalls.map((c) => new Headers(c[1]?.headers).get('Authorization'))).toEqual([null, 'Bearer t2']);
  });

  it('a declined prompt gives a 401 ApiError and is not repeated until reset', async () => {
    const prompt = vi.fn(() => null);
    setTokenPrompt(prompt);
    fetchMock.mockImplementation(async () => json({ error: { code: 'unauthorized', message: 'needs a token' } }, 401));
    await expect(getBugs()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await expect(getBugs()).rejects.toBeInstanceOf(ApiError);
    expect(prompt).toHaveBeenCalledTimes(1);
    resetTokenPrompt();
    await expect(getBugs()).rejects.toMatchObject({ status: 401 });
    expect(prompt).toHaveBeenCalledTimes(2);
  });

  it('drops a stored token the API rejects and asks for a new one', async () => {
    window.localStorage.setItem(TOKEN_KEY, 'old');
    setTokenPrompt(() => 'new');
    fetchMock
      .mockResolvedValueOnce(json({ error: { code: 'unauthorized', message: 'invalid token' } }, 401))
      .mockResolvedValueOnce(json({ items: [] }));
    await getBugs();
    expect(calledHeaders(0).get('Authorization')).toBe('Bearer old');
    expect(calledHeaders(1).get('Authorization')).toBe('Bearer new');
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('new');
  });

  it('a wrong entered token is not kept', async () => {
    setTokenPrompt(() => 'wrong');
    fetchMock.mockImplementation(async () => json({ error: { code: 'unauthorized', message: 'invalid token' } }, 401));
    await expect(getBugs()).rejects.toMatchObject({ status: 401, message: 'invalid token' });
    expect(window.localStorage.getItem(TOKEN_KEY)).toBeNull();
  });
});

describe('errors', () => {
  it('parses the API error shape', async () => {
    fetchMock.mockResolvedValueOnce(
      json(
        {
          error: {
            code: 'validation_error',
            message: 'cicd bugs are not auto-repairable',
            details: [{ field: 'status', issue: 'PENDING_FIX is only for runtime bugs' }],
          },
        },
        422,
      ),
    );
    const error = await updateBugStatus(2, 'PENDING_FIX').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'validation_error',
      message: 'cicd bugs are not auto-repairable',
      details: [{ field: 'status', issue: 'PENDING_FIX is only for runtime bugs' }],
    });
  });

  it('a non-JSON error body still gives an ApiError with the status', async () => {
    fetchMock.mockResolvedValueOnce(new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(getStats()).rejects.toMatchObject({ status: 502, code: 'http_error', message: 'HTTP 502 Bad Gateway' });
  });

  it('a network failure is an ApiError with status 0', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(getStats()).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('a 200 that is not JSON is reported, not returned', async () => {
    fetchMock.mockResolvedValueOnce(new Response('<!doctype html>', { status: 200 }));
    await expect(getBugs()).rejects.toMatchObject({ code: 'bad_response' });
  });
});
