import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertDelivery, AlertRule } from '../api';
import { json } from '../testing';
import Alerts, { triggerText } from './Alerts';

const rule: AlertRule = {
  id: 3,
  name: '后端告警',
  enabled: true,
  project_id: 'shop_api',
  sources: ['runtime', 'cicd'],
  min_level: 'ERROR',
  triggers: { new_bug: true, regression: false, spike: { count: 100, minutes: 5 } },
  channel: { type: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=x', secret: '***' },
  throttle_minutes: 60,
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z',
};

const delivery: AlertDelivery = {
  id: 9,
  rule_id: 3,
  rule_name: '后端告警',
  channel_type: 'dingtalk',
  bug_id: 42,
  project_id: 'shop_api',
  error_type: 'ValueError',
  event: 'new_bug',
  status: 'failed',
  tries: 8,
  last_error: 'HTTP 503: busy',
  created_at: '2026-12-01T00:00:00Z',
  attempted_at: '2026-12-01T01:00:00Z',
  sent_at: null,
  next_attempt_at: null,
  digest_id: null,
};

const fetchMock = vi.fn<typeof fetch>();
beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** Answers by method and path, recording every call. */
function serve(routes: Record<string, (body: unknown) => Response>) {
  fetchMock.mockImplementation(async (input, init) => {
    const url = new URL(String(input), 'http://localhost');
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    const handler = routes[key];
    if (!handler) return json({ error: { code: 'not_found', message: key } }, 404);
    return handler(init?.body ? JSON.parse(String(init.body)) : undefined);
  });
}

function calls(method: string, path: string) {
  return fetchMock.mock.calls.filter(
    ([input, init]) => (init?.method ?? 'GET') === method && new URL(String(input), 'http://x').pathname === path,
  );
}

describe('Alerts', () => {
  it('lists the rules and the recent deliveries with their status and last error', async () => {
    serve({
      'GET /api/v1/alerts': () => json({ items: [rule], total: 1 }),
      'GET /api/v1/alerts/deliveries': () => json({ items: [delivery], total: 1 }),
    });
    render(<Alerts />);
    await screen.findByText('shop_api · 运行时/CI/CD · ≥ ERROR');
    const rules = document.querySelector('table.alert-rules') as HTMLElement;
    const row = within(rules).getAllByRole('row')[1];
    expect(row.textContent).toContain('shop_api · 运行时/CI/CD · ≥ ERROR');
    expect(row.textContent).toContain('新缺陷、激增(5 分钟内 100 次)');
    expect(row.textContent).toContain('钉钉 · oapi.dingtalk.com · 已签名');
    const log = document.querySelector('table.alert-deliveries') as HTMLElement;
    await waitFor(() => expect(within(log).getAllByRole('row')).toHaveLength(2));
    const line = within(log).getAllByRole('row')[1];
    expect(line.textContent).toContain('失败');
    expect(line.textContent).toContain('HTTP 503: busy');
    expect(within(line).getByRole('link').getAttribute('href')).toBe('/bugs/42');
  });

  it('creates a feishu rule from the form, with its secret and a spike trigger', async () => {
    let created: Record<string, unknown> | undefined;
    serve({
      'GET /api/v1/alerts': () => json({ items: created ? [{ ...rule, id: 4, name: '飞书群' }] : [], total: 0 }),
      'GET /api/v1/alerts/deliveries': () => json({ items: [], total: 0 }),
      'POST /api/v1/alerts': (body) => {
        created = body as Record<string, unknown>;
        return json({ ...rule, id: 4 }, 201);
      },
    });
    render(<Alerts />);
    await screen.findByText(/还没有告警规则/);
    fireEvent.click(screen.getByRole('button', { name: '新建规则' }));
    const form = screen.getByRole('form', { name: '新建告警规则' });
    fireEvent.change(within(form).getByLabelText('名称'), { target: { value: '飞书群' } });
    fireEvent.change(within(form).getByLabelText('Webhook 地址'), {
      target: { value: 'https://open.feishu.cn/open-apis/bot/v2/hook/abc' },
    });
    fireEvent.change(within(form).getByLabelText(/签名校验密钥/), { target: { value: 'fs-secret' } });
    fireEvent.click(within(form).getByLabelText('激增'));
    fireEvent.change(within(form).getByLabelText('激增次数'), { target: { value: '50' } });
    fireEvent.click(within(form).getByLabelText('部署'));
    fireEvent.click(within(form).getByRole('button', { name: '保存' }));
    await screen.findByText('飞书群', { selector: 'td' });
    expect(created).toEqual({
      name: '飞书群',
      enabled: true,
      project_id: null,
      sources: ['runtime', 'cicd'],
      min_level: 'ERROR',
      triggers: { new_bug: true, regression: true, spike: { count: 50, minutes: 5 } },
      channel: { type: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/abc', secret: 'fs-secret' },
      throttle_minutes: 60,
    });
  });

  it('editing keeps a stored secret unless a new one is typed, and a WeCom robot has no secret field', async () => {
    let patched: Record<string, unknown> | undefined;
    serve({
      'GET /api/v1/alerts': () => json({ items: [rule], total: 1 }),
      'GET /api/v1/alerts/deliveries': () => json({ items: [], total: 0 }),
      'PATCH /api/v1/alerts/3': (body) => {
        patched = body as Record<string, unknown>;
        return json(rule);
      },
    });
    render(<Alerts />);
    fireEvent.click(await screen.findByRole('button', { name: '编辑' }));
    const form = screen.getByRole('form', { name: '编辑告警规则' });
    expect((within(form).getByLabelText(/加签密钥/) as HTMLInputElement).placeholder).toContain('已设置');
    fireEvent.change(within(form).getByLabelText('节流(分钟)'), { target: { value: '15' } });
    fireEvent.click(within(form).getByRole('button', { name: '保存' }));
    await waitFor(() => expect(patched).toBeDefined());
    expect(patched?.channel).toEqual({ type: 'dingtalk', url: rule.channel.url, secret: '***' });
    expect(patched?.throttle_minutes).toBe(15);

    fireEvent.click(await screen.findByRole('button', { name: '编辑' }));
    const again = screen.getByRole('form', { name: '编辑告警规则' });
    fireEvent.change(within(again).getByLabelText('渠道类型'), { target: { value: 'wecom' } });
    expect(within(again).queryByLabelText(/密钥/)).toBeNull();
    expect(again.textContent).toContain('企业微信机器人没有签名密钥');
  });

  it('发送测试 shows what the channel answered, and a refusal as a failure', async () => {
    serve({
      'GET /api/v1/alerts': () => json({ items: [rule], total: 1 }),
      'GET /api/v1/alerts/deliveries': () => json({ items: [], total: 0 }),
      'POST /api/v1/alerts/3/test': () =>
        json({ delivered: false, status: 'failed', delivery_id: 1, answer: 'HTTP 200', error: 'errcode 310000: sign not match' }),
    });
    render(<Alerts />);
    fireEvent.click(await screen.findByRole('button', { name: '发送测试' }));
    const status = await screen.findByRole('status');
    expect(status.textContent).toBe('发送失败:errcode 310000: sign not match');
    expect(calls('POST', '/api/v1/alerts/3/test')).toHaveLength(1);
  });

  it('a validation error from the server is shown with its field', async () => {
    serve({
      'GET /api/v1/alerts': () => json({ items: [], total: 0 }),
      'GET /api/v1/alerts/deliveries': () => json({ items: [], total: 0 }),
      'POST /api/v1/alerts': () =>
        json(
          {
            error: {
              code: 'validation_error',
              message: 'invalid channel.url',
              details: [{ field: 'channel.url', issue: 'must not contain credentials' }],
            },
          },
          422,
        ),
    });
    render(<Alerts />);
    fireEvent.click(await screen.findByRole('button', { name: '新建规则' }));
    const form = screen.getByRole('form', { name: '新建告警规则' });
    fireEvent.change(within(form).getByLabelText('名称'), { target: { value: 'x' } });
    fireEvent.change(within(form).getByLabelText('Webhook 地址'), { target: { value: 'https://u:p@example.com/' } });
    fireEvent.click(within(form).getByRole('button', { name: '保存' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('channel.url: must not contain credentials');
  });

  it('describes the triggers in Chinese', () => {
    expect(triggerText({ ...rule, triggers: { new_bug: false, regression: true, spike: null } })).toBe('回归');
  });
});
