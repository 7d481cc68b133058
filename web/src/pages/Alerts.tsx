// 告警: rules that send new bugs, regressions and spikes to a chat (DESIGN.md "Alerts"),
// a form per channel type, 发送测试, and the recent deliveries with their last error.
import { useState, type FormEvent } from 'react';
import {
  CHANNEL_TYPES,
  LEVELS,
  SOURCES,
  createAlertRule,
  deleteAlertRule,
  getAlertDeliveries,
  getAlertRules,
  testAlertRule,
  updateAlertRule,
  type AlertDelivery,
  type AlertRule,
  type AlertRuleInput,
  type AlertTestResult,
  type ChannelType,
  type Level,
  type Source,
} from '../api';
import { Empty, ErrorMessage, Loading } from '../components/common';
import { formatTime, sourceLabel } from '../format';
import { Link } from '../router';
import { useAsync } from '../useAsync';

export const CHANNEL_LABELS: Record<ChannelType, string> = {
  webhook: '通用 Webhook',
  feishu: '飞书',
  dingtalk: '钉钉',
  wecom: '企业微信',
  slack: 'Slack',
};

/** Where each robot's URL comes from, and whether it signs (docs/alerts.md). */
const CHANNEL_HINTS: Record<ChannelType, { placeholder: string; secret: string | null }> = {
  webhook: { placeholder: 'https://example.com/hooks/log-center', secret: '签名密钥(可选):请求头 X-Log-Center-Signature' },
  feishu: {
    placeholder: 'https://open.feishu.cn/open-apis/bot/v2/hook/…',
    secret: '签名校验密钥(可选):群机器人安全设置中的“签名校验”',
  },
  dingtalk: {
    placeholder: 'https://oapi.dingtalk.com/robot/send?access_token=…',
    secret: '加签密钥(可选):以 SEC 开头',
  },
  wecom: { placeholder: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…', secret: null },
  slack: { placeholder: 'https://hooks.slack.com/services/…', secret: null },
};

export const EVENT_LABELS: Record<AlertDelivery['event'], string> = {
  new_bug: '新缺陷',
  regression: '回归',
  spike: '激增',
  digest: '汇总',
  test: '测试',
};

const DELIVERY_STATUS: Record<AlertDelivery['status'], string> = { pending: '待发送', sent: '已发送', failed: '失败' };

export function triggerText(rule: AlertRule): string {
  const parts: string[] = [];
  if (rule.triggers.new_bug) parts.push('新缺陷');
  if (rule.triggers.regression) parts.push('回归');
  if (rule.triggers.spike) parts.push(`激增(${rule.triggers.spike.minutes} 分钟内 ${rule.triggers.spike.count} 次)`);
  return parts.join('、');
}

function scopeText(rule: AlertRule): string {
  const project = rule.project_id ?? '全部项目';
  const sources = rule.sources.length === SOURCES.length ? '全部来源' : rule.sources.map(sourceLabel).join('/');
  return `${project} · ${sources} · ≥ ${rule.min_level}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

interface FormState {
  name: string;
  enabled: boolean;
  project_id: string;
  sources: Source[];
  min_level: Level;
  new_bug: boolean;
  regression: boolean;
  spike: boolean;
  spike_count: string;
  spike_minutes: string;
  type: ChannelType;
  url: string;
  secret: string;
  clear_secret: boolean;
  throttle_minutes: string;
}

function formFrom(rule?: AlertRule): FormState {
  return {
    name: rule?.name ?? '',
    enabled: rule?.enabled ?? true,
    project_id: rule?.project_id ?? '',
    sources: rule?.sources ?? [...SOURCES],
    min_level: rule?.min_level ?? 'ERROR',
    new_bug: rule?.triggers.new_bug ?? true,
    regression: rule?.triggers.regression ?? true,
    spike: Boolean(rule?.triggers.spike),
    spike_count: String(rule?.triggers.spike?.count ?? 100),
    spike_minutes: String(rule?.triggers.spike?.minutes ?? 5),
    type: rule?.channel.type ?? 'feishu',
    url: rule?.channel.url ?? '',
    secret: '',
    clear_secret: false,
    throttle_minutes: String(rule?.throttle_minutes ?? 60),
  };
}

/** The request body: on edit an empty secret keeps the stored one ("***"). */
export function bodyFrom(form: FormState, editing?: AlertRule): AlertRuleInput {
  const signs = CHANNEL_HINTS[form.type].secret !== null;
  let secret: string | null = null;
  if (signs && form.secret.trim()) secret = form.secret.trim();
  else if (signs && editing?.channel.secret && !form.clear_secret && editing.channel.type === form.type) secret = '***';
  return {
    name: form.name.trim(),
    enabled: form.enabled,
    project_id: form.project_id.trim() || null,
    sources: form.sources,
    min_level: form.min_level,
    triggers: {
      new_bug: form.new_bug,
      regression: form.regression,
      spike: form.spike ? { count: Number(form.spike_count), minutes: Number(form.spike_minutes) } : null,
    },
    channel: { type: form.type, url: form.url.trim(), secret },
    throttle_minutes: Number(form.throttle_minutes),
  };
}

function RuleForm({ editing, onDone }: { editing?: AlertRule; onDone: (saved: boolean) => void }) {
  const [form, setForm] = useState<FormState>(() => formFrom(editing));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setForm((f) => ({ ...f, [key]: value }));
  const hint = CHANNEL_HINTS[form.type];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body = bodyFrom(form, editing);
    (editing ? updateAlertRule(editing.id, body) : createAlertRule(body)).then(
      () => onDone(true),
      (e: unknown) => {
        setError(e);
        setBusy(false);
      },
    );
  };

  return (
    <form className="panel alert-form" onSubmit={submit} aria-label={editing ? '编辑告警规则' : '新建告警规则'}>
      <h2>{editing ? `编辑规则:${editing.name}` : '新建告警规则'}</h2>
      <div className="form-grid">
        <label>
          名称
          <input value={form.name} onChange={(e) => set('name', e.target.value)} required maxLength={100} />
        </label>
        <label>
          项目
          <input
            value={form.project_id}
            onChange={(e) => set('project_id', e.target.value)}
            placeholder="留空表示全部项目"
          />
        </label>
        <fieldset>
          <legend>来源</legend>
          {SOURCES.map((s) => (
            <label key={s} className="inline">
              <input
                type="checkbox"
                checked={form.sources.includes(s)}
                onChange={(e) =>
                  set('sources', e.target.checked ? SOURCES.filter((x) => x === s || form.sources.includes(x)) : form.sources.filter((x) => x !== s))
                }
              />
              {sourceLabel(s)}
            </label>
          ))}
        </fieldset>
        <label>
          最低级别
          <select value={form.min_level} onChange={(e) => set('min_level', e.target.value as Level)}>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>触发条件</legend>
          <label className="inline">
            <input type="checkbox" checked={form.new_bug} onChange={(e) => set('new_bug', e.target.checked)} />
            新缺陷
          </label>
          <label className="inline">
            <input type="checkbox" checked={form.regression} onChange={(e) => set('regression', e.target.checked)} />
            回归
          </label>
          <label className="inline">
            <input type="checkbox" checked={form.spike} onChange={(e) => set('spike', e.target.checked)} />
            激增
          </label>
          {form.spike ? (
            <span className="spike-fields">
              <input
                type="number"
                min={1}
                aria-label="激增分钟数"
                value={form.spike_minutes}
                onChange={(e) => set('spike_minutes', e.target.value)}
              />
              分钟内达到
              <input
                type="number"
                min={1}
                aria-label="激增次数"
                value={form.spike_count}
                onChange={(e) => set('spike_count', e.target.value)}
              />
              次
            </span>
          ) : null}
        </fieldset>
        <label>
          渠道类型
          <select value={form.type} onChange={(e) => set('type', e.target.value as ChannelType)}>
            {CHANNEL_TYPES.map((t) => (
              <option key={t} value={t}>
                {CHANNEL_LABELS[t]}
              </option>
            ))}
          </select>
        </label>
        <label className="wide">
          Webhook 地址
          <input
            type="url"
            value={form.url}
            onChange={(e) => set('url', e.target.value)}
            placeholder={hint.placeholder}
            required
          />
        </label>
        {hint.secret ? (
          <label className="wide">
            {hint.secret}
            <input
              type="password"
              autoComplete="off"
              value={form.secret}
              onChange={(e) => set('secret', e.target.value)}
              placeholder={editing?.channel.secret && editing.channel.type === form.type ? '已设置(留空则保持不变)' : ''}
            />
          </label>
        ) : (
          <p className="muted wide">{CHANNEL_LABELS[form.type]}机器人没有签名密钥:地址本身即凭证,请妥善保管。</p>
        )}
        {hint.secret && editing?.channel.secret && editing.channel.type === form.type ? (
          <label className="inline">
            <input type="checkbox" checked={form.clear_secret} onChange={(e) => set('clear_secret', e.target.checked)} />
            清除已保存的密钥
          </label>
        ) : null}
        <label>
          节流(分钟)
          <input
            type="number"
            min={0}
            value={form.throttle_minutes}
            onChange={(e) => set('throttle_minutes', e.target.value)}
          />
        </label>
        <label className="inline">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          启用
        </label>
      </div>
      {error ? <ErrorMessage error={error} /> : null}
      <p className="form-actions">
        <button type="submit" disabled={busy}>
          {busy ? '保存中…' : '保存'}
        </button>
        <button type="button" className="secondary" onClick={() => onDone(false)}>
          取消
        </button>
      </p>
    </form>
  );
}

function RuleRow({ rule, onChanged, onEdit }: { rule: AlertRule; onChanged: () => void; onEdit: () => void }) {
  const [test, setTest] = useState<{ busy?: boolean; result?: AlertTestResult; error?: unknown }>({});
  const runTest = () => {
    setTest({ busy: true });
    testAlertRule(rule.id).then(
      (result) => {
        setTest({ result });
        onChanged();
      },
      (error: unknown) => setTest({ error }),
    );
  };
  const toggle = () => updateAlertRule(rule.id, { enabled: !rule.enabled }).then(onChanged, onChanged);
  const remove = () => {
    if (window.confirm(`删除告警规则“${rule.name}”?`)) deleteAlertRule(rule.id).then(onChanged, onChanged);
  };
  return (
    <tr data-rule-id={rule.id}>
      <td>{rule.name}</td>
      <td>{scopeText(rule)}</td>
      <td>{triggerText(rule)}</td>
      <td title={rule.channel.url}>
        {CHANNEL_LABELS[rule.channel.type]} · {hostOf(rule.channel.url)}
        {rule.channel.secret ? ' · 已签名' : ''}
      </td>
      <td className="num">{rule.throttle_minutes} 分钟</td>
      <td>{rule.enabled ? '启用' : '停用'}</td>
      <td className="actions">
        <button type="button" onClick={onEdit}>
          编辑
        </button>
        <button type="button" onClick={runTest} disabled={test.busy}>
          {test.busy ? '发送中…' : '发送测试'}
        </button>
        <button type="button" className="secondary" onClick={toggle}>
          {rule.enabled ? '停用' : '启用'}
        </button>
        <button type="button" className="danger" onClick={remove}>
          删除
        </button>
        {test.result ? (
          <div className={test.result.delivered ? 'test-ok' : 'test-failed'} role="status">
            {test.result.delivered ? '已发送' : '发送失败'}:{test.result.error ?? test.result.answer}
          </div>
        ) : null}
        {test.error ? <ErrorMessage error={test.error} /> : null}
      </td>
    </tr>
  );
}

function Deliveries({ nonce }: { nonce: number }) {
  const [state, reload] = useAsync(() => getAlertDeliveries({ limit: 50 }), `deliveries-${nonce}`);
  return (
    <section className="panel" aria-labelledby="deliveries-title">
      <div className="panel-header">
        <h2 id="deliveries-title">最近发送</h2>
        <button type="button" className="secondary" onClick={reload}>
          刷新
        </button>
      </div>
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} onRetry={reload} />
      ) : !state.data ? (
        <Loading what="发送记录" />
      ) : state.data.items.length === 0 ? (
        <Empty>还没有发送过告警。</Empty>
      ) : (
        <table className="table alert-deliveries">
          <thead>
            <tr>
              <th>时间</th>
              <th>规则</th>
              <th>事件</th>
              <th>缺陷</th>
              <th>状态</th>
              <th className="num">尝试</th>
              <th>最后错误</th>
            </tr>
          </thead>
          <tbody>
            {state.data.items.map((d) => (
              <tr key={d.id} data-status={d.status}>
                <td>{formatTime(d.sent_at ?? d.attempted_at ?? d.created_at)}</td>
                <td>{d.rule_name ?? `#${d.rule_id}`}</td>
                <td>{EVENT_LABELS[d.event] ?? d.event}</td>
                <td>
                  {d.bug_id ? (
                    <Link to={`/bugs/${d.bug_id}`}>
                      #{d.bug_id} {d.error_type ?? ''}
                    </Link>
                  ) : (
                    '-'
                  )}
                </td>
                <td className={`delivery-${d.status}`}>
                  {DELIVERY_STATUS[d.status] ?? d.status}
                  {d.digest_id ? '(合并于汇总)' : ''}
                  {d.status === 'pending' && d.next_attempt_at ? `,下次 ${formatTime(d.next_attempt_at)}` : ''}
                </td>
                <td className="num">{d.tries}</td>
                <td className="error-text">{d.last_error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export default function Alerts() {
  const [nonce, setNonce] = useState(0);
  const [state, reload] = useAsync(getAlertRules, `rules-${nonce}`);
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const changed = () => {
    setNonce((n) => n + 1);
    reload();
  };
  return (
    <div className="page alerts">
      <div className="page-header">
        <h1>告警</h1>
        {editing === null ? (
          <button type="button" onClick={() => setEditing('new')}>
            新建规则
          </button>
        ) : null}
      </div>
      {editing !== null ? (
        <RuleForm
          key={editing === 'new' ? 'new' : editing.id}
          editing={editing === 'new' ? undefined : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) changed();
          }}
        />
      ) : null}
      <section className="panel" aria-labelledby="rules-title">
        <h2 id="rules-title">告警规则</h2>
        {state.status === 'error' ? (
          <ErrorMessage error={state.error} onRetry={reload} />
        ) : !state.data ? (
          <Loading what="告警规则" />
        ) : state.data.items.length === 0 ? (
          <Empty>还没有告警规则。新建一条,把新缺陷、回归和激增发到飞书、钉钉、企业微信、Slack 或任意 Webhook。</Empty>
        ) : (
          <table className="table alert-rules">
            <thead>
              <tr>
                <th>名称</th>
                <th>范围</th>
                <th>触发条件</th>
                <th>渠道</th>
                <th className="num">节流</th>
                <th>状态</th>
                <th>操作</th>
              </tr>
            </thead>
            <tbody>
              {state.data.items.map((rule) => (
                <RuleRow key={rule.id} rule={rule} onChanged={changed} onEdit={() => setEditing(rule)} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <Deliveries nonce={nonce} />
    </div>
  );
}
