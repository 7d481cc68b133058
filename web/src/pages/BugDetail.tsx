import { useState, type FormEvent, type ReactNode } from 'react';
import {
  getBug,
  releasePath,
  STATUSES,
  updateBugStatus,
  type BugDetail as Bug,
  type BugStatus,
  type Deploy,
} from '../api';
import { ErrorMessage, LevelBadge, Loading, SourceBadge, StatusBadge } from '../components/common';
import {
  contextText,
  fileLocation,
  formatTime,
  releaseName,
  repairState,
  safeHttpUrl,
  selectableStatuses,
  sourceLabel,
  stackTraceText,
  statusLabel,
} from '../format';
import { Link } from '../router';
import { Frames, SdkDetails } from '../components/SdkEvent';
import { hasFrames, sentryContext, traceEntries } from '../sdkEvent';
import { useAsync } from '../useAsync';
import BugOccurrences from './BugOccurrences';

export default function BugDetailPage({ id }: { id: string }) {
  const [state, reload] = useAsync(() => getBug(id), id);
  const [updated, setUpdated] = useState<Bug | null>(null);
  const bug = updated && String(updated.id) === id ? updated : state.status === 'ok' ? state.data : null;

  return (
    <div className="page bug-detail">
      <p className="breadcrumb">
        <Link to="/bugs">← 缺陷列表</Link>
      </p>
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} onRetry={reload} />
      ) : !bug ? (
        <Loading what="缺陷详情" />
      ) : (
        <BugView
          bug={bug}
          onChange={setUpdated}
          occurrences={<BugOccurrences bugId={bug.id} occurrenceCount={bug.occurrence_count} />}
        />
      )}
    </div>
  );
}

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="field" data-testid={testId}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function BugView({
  bug,
  onChange,
  occurrences,
}: {
  bug: Bug;
  onChange: (bug: Bug) => void;
  /** The 最近发生 panel (it loads on its own), shown before the status history. */
  occurrences?: ReactNode;
}) {
  const ctx = bug.context ?? {};
  const entries = traceEntries(bug.stack_trace);
  const trace = hasFrames(entries) ? '' : stackTraceText(bug.stack_trace);
  const sentry = sentryContext(ctx);
  return (
    <>
      <div className="detail-header">
        <h1>
          <span className="bug-id">#{bug.id}</span> {bug.error_type}
        </h1>
        <div className="badges">
          <SourceBadge source={bug.source} />
          <StatusBadge status={bug.status} />
          <LevelBadge level={bug.level} />
          {bug.is_regression ? <span className="regression">回归</span> : null}
        </div>
      </div>
      <p className="error-message-full">{bug.error_message || '(无错误消息)'}</p>

      <section className="panel">
        <h2>基本信息</h2>
        <dl className="meta">
          <Field label="来源" testId="meta-source">
            {sourceLabel(bug.source)}
          </Field>
          <Field label="项目">{bug.project_id}</Field>
          <Field label="级别">{bug.level}</Field>
          <Field label="状态">{statusLabel(bug.status)}</Field>
          <Field label="环境">{bug.environment || '-'}</Field>
          <Field label="版本">{bug.version || '-'}</Field>
          <Field label="提交">{bug.commit_hash || '-'}</Field>
          <Field label="所属版本" testId="meta-release">
            {bug.release ? (
              <Link to={releasePath(bug.release.project_id, bug.release.version)} className="release-link">
                {releaseName(bug.release)}
              </Link>
            ) : (
              bug.first_version || '-'
            )}
          </Field>
          <Field label="可疑部署" testId="meta-suspect-deploy">
            {bug.suspect_deploy ? <SuspectDeploy deploy={bug.suspect_deploy} /> : '-'}
          </Field>
          <Field label="发生次数">{bug.occurrence_count}</Field>
          <Field label="首次出现">{formatTime(bug.first_seen_at)}</Field>
          <Field label="最后出现">{formatTime(bug.last_seen_at)}</Field>
          {bug.file_path ? (
            <Field label="文件位置" testId="file-location">
              <code>{fileLocation(bug)}</code>
            </Field>
          ) : null}
          <Field label="指纹">
            <code className="fingerprint">{bug.fingerprint}</code>
          </Field>
        </dl>
      </section>

      {bug.source === 'cicd' ? <CicdBlock ctx={ctx} /> : null}
      {bug.source === 'deployment' ? <DeploymentBlock ctx={ctx} /> : null}

      <RepairPanel bug={bug} onChange={onChange} />

      {hasFrames(entries) ? (
        <section className="panel">
          <h2>堆栈</h2>
          <Frames entries={entries} />
        </section>
      ) : trace ? (
        <section className="panel">
          <h2>堆栈</h2>
          <pre className="code stack-trace">{trace}</pre>
        </section>
      ) : null}

      {sentry ? (
        <section className="panel sdk-event">
          <h2>SDK 事件(最近一次)</h2>
          <SdkDetails sentry={sentry} />
        </section>
      ) : null}

      <section className="panel">
        <h2>上下文</h2>
        {Object.keys(ctx).length ? (
          <pre className="code context-json">{JSON.stringify(ctx, null, 2)}</pre>
        ) : (
          <div className="state state-empty">没有上下文。</div>
        )}
      </section>

      {occurrences}

      <section className="panel">
        <h2>状态历史</h2>
        {bug.history?.length ? (
          <table className="table history">
            <thead>
              <tr>
                <th>时间</th>
                <th>变更</th>
                <th>操作者</th>
                <th>备注</th>
              </tr>
            </thead>
            <tbody>
              {bug.history.map((h, i) => (
                <tr key={`${h.created_at}-${i}`}>
                  <td className="time">{formatTime(h.created_at)}</td>
                  <td>
                    {h.from_status ? statusLabel(h.from_status) : '-'} → {statusLabel(h.to_status)}
                  </td>
                  <td>{h.actor || '-'}</td>
                  <td className="note">{h.note || ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <div className="state state-empty">还没有状态变更。</div>
        )}
      </section>
    </>
  );
}

/** The last deploy of the bug's project and environment before it was first seen. */
function SuspectDeploy({ deploy }: { deploy: Deploy }) {
  const runUrl = safeHttpUrl(deploy.url);
  return (
    <span className="suspect-deploy">
      <Link to={releasePath(deploy.project_id, deploy.version)}>{releaseName(deploy)}</Link> 部署到{' '}
      {deploy.environment} · {formatTime(deploy.deployed_at)}
      {runUrl ? (
        <>
          {' · '}
          <a href={runUrl} target="_blank" rel="noopener noreferrer" className="run-link">
            运行记录
          </a>
        </>
      ) : null}
    </span>
  );
}

function LogTail({ value }: { value: unknown }) {
  if (value === undefined || value === null || value === '') return null;
  return (
    <div className="log-tail">
      <h3>日志尾部</h3>
      <pre className="code">{typeof value === 'string' ? value : JSON.stringify(value, null, 2)}</pre>
    </div>
  );
}

export function CicdBlock({ ctx }: { ctx: Record<string, unknown> }) {
  const runUrl = safeHttpUrl(ctx.run_url);
  return (
    <section className="panel source-block cicd-block" data-testid="cicd-block">
      <h2>CI/CD 信息</h2>
      <dl className="meta">
        <Field label="工作流">{contextText(ctx.workflow_name)}</Field>
        <Field label="Job">{contextText(ctx.job_name)}</Field>
        <Field label="Step">{contextText(ctx.step_name)}</Field>
        <Field label="提交">{contextText(ctx.commit_sha)}</Field>
        <Field label="仓库">{contextText(ctx.repository)}</Field>
        <Field label="分支 / 引用">{contextText(ctx.ref)}</Field>
        <Field label="运行编号">{contextText(ctx.run_number ?? ctx.run_id)}</Field>
        <Field label="触发者">{contextText(ctx.actor)}</Field>
        <Field label="CI 运行">
          {runUrl ? (
            <a href={runUrl} target="_blank" rel="noopener noreferrer" className="run-link">
              查看 CI 日志
            </a>
          ) : (
            contextText(ctx.run_url)
          )}
        </Field>
      </dl>
      <LogTail value={ctx.log_tail} />
    </section>
  );
}

export function DeploymentBlock({ ctx }: { ctx: Record<string, unknown> }) {
  const reason = [contextText(ctx.reason), ctx.exit_code !== undefined && ctx.exit_code !== null ? `退出码 ${contextText(ctx.exit_code)}` : '']
    .filter((s) => s && s !== '-')
    .join(' / ');
  return (
    <section className="panel source-block deployment-block" data-testid="deployment-block">
      <h2>部署信息</h2>
      <dl className="meta">
        <Field label="命名空间">{contextText(ctx.namespace)}</Field>
        <Field label="Pod">{contextText(ctx.pod_name)}</Field>
        <Field label="容器">{contextText(ctx.container_name)}</Field>
        <Field label="Deployment">{contextText(ctx.deployment_name)}</Field>
        <Field label="重启次数">{contextText(ctx.restart_count)}</Field>
        <Field label="原因 / 退出码">{reason || '-'}</Field>
        <Field label="节点">{contextText(ctx.node_name)}</Field>
        <Field label="镜像">{contextText(ctx.image)}</Field>
      </dl>
      <LogTail value={ctx.log_tail} />
    </section>
  );
}

export function RepairPanel({ bug, onChange }: { bug: Bug; onChange: (bug: Bug) => void }) {
  const repair = repairState(bug);
  const options = selectableStatuses(bug, STATUSES);
  const [target, setTarget] = useState<BugStatus | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');

  const change = async (status: BugStatus, text: string) => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const next = await updateBugStatus(bug.id, status, text || undefined);
      onChange(next);
      setDone(`状态已更新为「${statusLabel(next.status)}」。`);
      setTarget('');
      setNote('');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (target) void change(target, note.trim());
  };

  return (
    <section className="panel actions">
      <h2>处理</h2>
      <div className="repair">
        <button
          type="button"
          className="primary trigger-repair"
          disabled={!repair.enabled || busy}
          onClick={() => void change('PENDING_FIX', '从仪表盘触发修复')}
          aria-describedby="repair-hint"
        >
          触发修复
        </button>
        <span id="repair-hint" className={`hint${repair.enabled ? '' : ' hint-disabled'}`}>
          {repair.hint}
        </span>
      </div>
      <form className="status-changer" onSubmit={onSubmit}>
        <label>
          修改状态
          <select
            name="status"
            value={target}
            onChange={(e) => setTarget(e.target.value as BugStatus | '')}
            disabled={busy}
          >
            <option value="">选择新状态…</option>
            {options.map((s) => (
              <option key={s} value={s} disabled={s === bug.status}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <input
          type="text"
          name="note"
          placeholder="备注(可选)"
          value={note}
          onChange={(e) => setNote(e.target.value)}
          maxLength={500}
          disabled={busy}
        />
        <button type="submit" disabled={!target || busy}>
          更新状态
        </button>
      </form>
      {done ? (
        <p className="state state-ok" role="status">
          {done}
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </section>
  );
}
