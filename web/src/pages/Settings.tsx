// 设置: what the server keeps and for how long (DESIGN.md "Retention"), and the last runs.
import { useState } from 'react';
import { dryRunRetention, getRetention, type RetentionRun, type RetentionSetting } from '../api';
import { Empty, ErrorMessage, Loading } from '../components/common';
import { formatTime } from '../format';
import { useAsync } from '../useAsync';

/** Chinese text for each rule the server applies, with the value in force. */
export function ruleText(s: RetentionSetting): string {
  switch (s.rule) {
    case 'resolved_bugs':
      return `已修复、已验证、已部署、已忽略、无法复现的缺陷,超过 ${s.value} 天未再出现即删除(连同其发生记录与状态历史)`;
    case 'occurrences_over_cap':
      return `每个缺陷只保留最近 ${s.value} 次发生记录`;
    case 'old_occurrences':
      return `超过 ${s.value} 天的发生记录删除(每个缺陷保留最近一次)`;
    case 'day_counters':
      return `趋势图的每日计数保留 ${s.value} 天`;
    case 'event_ids':
      return `用于去重的事件 ID 保留 ${s.value} 小时`;
    case 'sent_alerts':
      return `已发送或失败的告警消息保留 ${s.value} 天(待发送的不删)`;
    default:
      return s.description;
  }
}

export const RULE_LABELS: Record<string, string> = {
  resolved_bugs: '已解决缺陷',
  occurrences_over_cap: '超出上限的发生记录',
  old_occurrences: '过期的发生记录',
  day_counters: '每日计数',
  event_ids: '事件 ID',
  sent_alerts: '告警记录',
};

const STATUS_TEXT: Record<RetentionRun['status'], string> = { ok: '完成', skipped: '跳过', failed: '失败' };

export default function Settings() {
  const [state, reload] = useAsync(getRetention, 'retention');
  const [dry, setDry] = useState<{ run?: RetentionRun; error?: unknown; busy?: boolean }>({});

  const runDry = () => {
    setDry({ busy: true });
    dryRunRetention().then(
      (run) => setDry({ run }),
      (error: unknown) => setDry({ error }),
    );
  };

  return (
    <div className="page settings">
      <div className="page-header">
        <h1>设置</h1>
      </div>
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} onRetry={reload} />
      ) : !state.data ? (
        <Loading what="数据保留设置" />
      ) : (
        <>
          <section className="panel" aria-labelledby="retention-title">
            <h2 id="retention-title">数据保留</h2>
            <p className="muted">保留任务每天自动运行一次,分批删除,不会阻塞上报。</p>
            <table className="table retention-rules">
              <thead>
                <tr>
                  <th>规则</th>
                  <th>当前设置</th>
                  <th>配置项</th>
                </tr>
              </thead>
              <tbody>
                {state.data.settings.map((s) => (
                  <tr key={s.rule} data-rule={s.rule}>
                    <td>{RULE_LABELS[s.rule] ?? s.rule}</td>
                    <td>{ruleText(s)}</td>
                    <td>{s.setting ? <code>{s.setting}</code> : '固定'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>
              <button type="button" onClick={runDry} disabled={dry.busy}>
                {dry.busy ? '试算中…' : '试算(不删除)'}
              </button>
            </p>
            {dry.error ? <ErrorMessage error={dry.error} /> : null}
            {dry.run ? <RunSummary run={dry.run} title="试算结果:现在运行将删除" /> : null}
          </section>
          <section className="panel" aria-labelledby="runs-title">
            <h2 id="runs-title">最近运行</h2>
            {state.data.last_runs.length === 0 ? (
              <Empty>保留任务还没有运行过。</Empty>
            ) : (
              <RunTable runs={state.data.last_runs} />
            )}
          </section>
        </>
      )}
    </div>
  );
}

function RunSummary({ run, title }: { run: RetentionRun; title: string }) {
  return (
    <div className="retention-dry-run" role="status">
      <strong>{title}</strong>
      <ul>
        {Object.entries(run.removed).map(([rule, n]) => (
          <li key={rule}>
            {RULE_LABELS[rule] ?? rule}:{n.toLocaleString('zh-CN')} 行
          </li>
        ))}
      </ul>
    </div>
  );
}

function RunTable({ runs }: { runs: RetentionRun[] }) {
  const rules = Object.keys(runs[0].removed);
  return (
    <table className="table retention-runs">
      <thead>
        <tr>
          <th>开始时间</th>
          <th>触发</th>
          <th>状态</th>
          {rules.map((r) => (
            <th key={r} className="num">
              {RULE_LABELS[r] ?? r}
            </th>
          ))}
          <th className="num">合计</th>
          <th className="num">耗时</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.started_at + run.trigger}>
            <td>{formatTime(run.started_at)}</td>
            <td>{run.trigger}</td>
            <td title={run.error ?? run.reason}>{STATUS_TEXT[run.status] ?? run.status}</td>
            {rules.map((r) => (
              <td key={r} className="num">
                {(run.removed[r] ?? 0).toLocaleString('zh-CN')}
              </td>
            ))}
            <td className="num">{run.total_removed.toLocaleString('zh-CN')}</td>
            <td className="num">{run.seconds.toFixed(1)} 秒</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
