// 版本: per project a timeline of releases (DESIGN.md "Releases") — each with its CI failures,
// deployment errors, new runtime bugs and regressions and its deploys — and a release's page.
import { useState, type FormEvent } from 'react';
import {
  getProjects,
  getRelease,
  getReleases,
  releasePath,
  type Deploy,
  type Release,
  type ReleaseBug,
  type ReleaseCounts,
  type ReleaseDetail,
} from '../api';
import { Empty, ErrorMessage, LevelBadge, Loading, SourceBadge, StatusBadge } from '../components/common';
import { formatTime, releaseName, safeHttpUrl, shortSha } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useAsync } from '../useAsync';

const PAGE_SIZE = 20;

/** The four marks of a release, in the order of its story: build, deploy, runtime. */
export const MARKS: { key: keyof ReleaseCounts; label: string; className: string }[] = [
  { key: 'cicd_failures', label: '✗ CI', className: 'mark-ci' },
  { key: 'deployment_errors', label: '✗ 部署', className: 'mark-deploy' },
  { key: 'new_runtime_bugs', label: '新缺陷', className: 'mark-new' },
  { key: 'regressions', label: '回归', className: 'mark-regression' },
];

export function ReleaseMarks({ counts }: { counts: ReleaseCounts }) {
  return (
    <span className="release-marks">
      {MARKS.map((m) => (
        <span
          key={m.key}
          className={`release-mark ${m.className}${counts[m.key] ? '' : ' zero'}`}
          data-mark={m.key}
          title={m.label}
        >
          {m.label} {counts[m.key]}
        </span>
      ))}
    </span>
  );
}

function RunLink({ url }: { url: string | null }) {
  const href = safeHttpUrl(url);
  return href ? (
    <a href={href} target="_blank" rel="noopener noreferrer" className="run-link">
      运行记录
    </a>
  ) : null;
}

export function DeployLine({ deploy }: { deploy: Deploy }) {
  return (
    <span className="deploy-line" data-environment={deploy.environment}>
      <span className="env-badge">{deploy.environment}</span> <span className="time">{formatTime(deploy.deployed_at)}</span>
      {deploy.actor ? <span className="muted"> · {deploy.actor}</span> : null} <RunLink url={deploy.url} />
    </span>
  );
}

function query(project: string, environment: string, page: number): string {
  const search = new URLSearchParams();
  if (project) search.set('project', project);
  if (environment) search.set('environment', environment);
  if (page > 1) search.set('page', String(page));
  const text = search.toString();
  return `/releases${text ? `?${text}` : ''}`;
}

export function ReleaseList() {
  const { search } = useLocation();
  const project = search.get('project') ?? '';
  const environment = search.get('environment') ?? '';
  const page = Math.max(1, Number(search.get('page')) || 1);
  const [projects] = useAsync(() => getProjects({ page_size: 200 }), 'projects');
  const [state, reload] = useAsync(
    () => getReleases({ project_id: project || undefined, environment: environment || undefined, page, page_size: PAGE_SIZE }),
    `${project}|${environment}|${page}`,
  );
  const [envInput, setEnvInput] = useState(environment);
  const pages = state.status === 'ok' ? Math.max(1, Math.ceil(state.data.total / PAGE_SIZE)) : 1;

  const applyEnvironment = (event: FormEvent) => {
    event.preventDefault();
    navigate(query(project, envInput.trim(), 1));
  };

  return (
    <div className="page releases">
      <div className="page-header">
        <h1>版本</h1>
        <div className="filters">
          <label>
            项目{' '}
            <select name="project" value={project} onChange={(e) => navigate(query(e.target.value, environment, 1))}>
              <option value="">全部项目</option>
              {project && !(projects.data?.items ?? []).some((p) => p.project_id === project) ? (
                <option value={project}>{project}</option>
              ) : null}
              {(projects.data?.items ?? []).map((p) => (
                <option key={p.project_id} value={p.project_id}>
                  {p.project_id}
                </option>
              ))}
            </select>
          </label>
          <form className="env-filter" onSubmit={applyEnvironment}>
            <label>
              环境{' '}
              <input
                name="environment"
                placeholder="全部环境"
                value={envInput}
                maxLength={64}
                onChange={(e) => setEnvInput(e.target.value)}
              />
            </label>
            <button type="submit">筛选</button>
          </form>
        </div>
      </div>
      <p className="muted">
        每个版本从构建到部署到运行:CI 失败(✗ CI)、部署错误(✗ 部署)、该版本新出现的缺陷与回归,以及它的部署记录。
      </p>
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} onRetry={reload} />
      ) : !state.data ? (
        <Loading what="版本" />
      ) : state.data.items.length === 0 ? (
        <Empty>
          {environment ? `环境「${environment}」还没有版本。` : '还没有版本。'}
          部署时运行 <code>report-cicd-error.sh --deploy</code>,或在上报中带上 version / commit_hash。
        </Empty>
      ) : (
        <>
          <ol className="release-timeline">
            {state.data.items.map((r) => (
              <ReleaseRow key={`${r.project_id}/${r.version}`} release={r} showProject={!project} />
            ))}
          </ol>
          <div className="pager">
            <button type="button" disabled={page <= 1} onClick={() => navigate(query(project, environment, page - 1))}>
              上一页
            </button>
            <span>
              第 {page} / {pages} 页,共 {state.data.total} 个版本
            </span>
            <button
              type="button"
              disabled={page >= pages}
              onClick={() => navigate(query(project, environment, page + 1))}
            >
              下一页
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function ReleaseRow({ release, showProject }: { release: Release; showProject: boolean }) {
  return (
    <li className="release-row panel" data-version={release.version} data-project={release.project_id}>
      <div className="release-head">
        <Link to={releasePath(release.project_id, release.version)} className="release-version">
          {releaseName(release)}
        </Link>
        {showProject ? <span className="release-project">{release.project_id}</span> : null}
        <code className="commit" title={release.commit_sha ?? ''}>
          {shortSha(release.commit_sha)}
        </code>
        <span className="time muted" title="首次出现">
          {formatTime(release.first_seen_at)}
        </span>
        <ReleaseMarks counts={release.counts} />
      </div>
      {release.deploys.length ? (
        <ul className="release-deploys">
          {release.deploys.map((d) => (
            <li key={d.id}>
              <DeployLine deploy={d} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted no-deploys">未部署</p>
      )}
    </li>
  );
}

const LISTS: { key: 'cicd_failures' | 'deployment_errors' | 'new_runtime_bugs' | 'regressions'; title: string; empty: string }[] = [
  { key: 'cicd_failures', title: 'CI 失败', empty: '没有 CI 失败。' },
  { key: 'deployment_errors', title: '部署错误', empty: '没有部署错误。' },
  { key: 'new_runtime_bugs', title: '新缺陷', empty: '这个版本没有带来新缺陷。' },
  { key: 'regressions', title: '回归', empty: '没有回归。' },
];

function BugTable({ bugs }: { bugs: ReleaseBug[] }) {
  return (
    <table className="table release-bugs">
      <thead>
        <tr>
          <th>缺陷</th>
          <th>来源</th>
          <th>状态</th>
          <th>级别</th>
          <th>环境</th>
          <th className="num">次数</th>
          <th>首次出现</th>
        </tr>
      </thead>
      <tbody>
        {bugs.map((b) => (
          <tr key={b.id} data-bug={b.id}>
            <td>
              <Link to={`/bugs/${b.id}`} className="bug-link">
                #{b.id} {b.error_type}
              </Link>
              {b.error_message ? <div className="muted message">{b.error_message}</div> : null}
            </td>
            <td>
              <SourceBadge source={b.source} />
            </td>
            <td>
              <StatusBadge status={b.status} />
            </td>
            <td>
              <LevelBadge level={b.level} />
            </td>
            <td>{b.environment || '-'}</td>
            <td className="num">{b.occurrence_count}</td>
            <td className="time">{formatTime(b.first_seen_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReleasePage({ projectId, version }: { projectId: string; version: string }) {
  const { search } = useLocation();
  const environment = search.get('environment') ?? '';
  const [state, reload] = useAsync(() => getRelease(projectId, version, environment || undefined), environment);
  const here = releasePath(projectId, version);
  return (
    <div className="page release-detail">
      <p className="breadcrumb">
        <Link to={`/releases?project=${encodeURIComponent(projectId)}`}>← {projectId} 的版本</Link>
      </p>
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} onRetry={reload} />
      ) : !state.data ? (
        <Loading what="版本详情" />
      ) : (
        <ReleaseView release={state.data} environment={environment} here={here} />
      )}
    </div>
  );
}

function ReleaseView({ release, environment, here }: { release: ReleaseDetail; environment: string; here: string }) {
  return (
    <>
      <div className="detail-header">
        <h1>
          版本 <span className="release-version">{releaseName(release)}</span>
        </h1>
        <ReleaseMarks counts={release.counts} />
      </div>
      <section className="panel">
        <dl className="meta">
          <div className="field">
            <dt>项目</dt>
            <dd>{release.project_id}</dd>
          </div>
          <div className="field">
            <dt>版本</dt>
            <dd>{release.version}</dd>
          </div>
          <div className="field">
            <dt>提交</dt>
            <dd>
              <code>{release.commit_sha || '-'}</code>
            </dd>
          </div>
          <div className="field">
            <dt>首次出现</dt>
            <dd>{formatTime(release.first_seen_at)}</dd>
          </div>
          <div className="field">
            <dt>部署次数</dt>
            <dd>{release.deploy_count}</dd>
          </div>
        </dl>
        {release.environments.length ? (
          <p className="env-switch">
            环境:{' '}
            <Link to={here} className={environment ? undefined : 'active'}>
              全部
            </Link>
            {release.environments.map((e) =>
              e.environment ? (
                <Link
                  key={e.environment}
                  to={`${here}?environment=${encodeURIComponent(e.environment)}`}
                  className={environment === e.environment ? 'active' : undefined}
                >
                  {e.environment}
                </Link>
              ) : null,
            )}
          </p>
        ) : null}
      </section>
      <section className="panel">
        <h2>部署记录</h2>
        {release.deploys.length ? (
          <table className="table release-deploys-table">
            <thead>
              <tr>
                <th>环境</th>
                <th>时间</th>
                <th>提交</th>
                <th>触发者</th>
                <th>CI 运行</th>
              </tr>
            </thead>
            <tbody>
              {release.deploys.map((d) => (
                <tr key={d.id} data-deploy={d.id}>
                  <td>{d.environment}</td>
                  <td className="time">{formatTime(d.deployed_at)}</td>
                  <td>
                    <code>{shortSha(d.commit_sha)}</code>
                  </td>
                  <td>{d.actor || '-'}</td>
                  <td>
                    <RunLink url={d.url} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>{environment ? `没有部署到「${environment}」。` : '这个版本还没有部署记录。'}</Empty>
        )}
      </section>
      {LISTS.map((list) => (
        <section className="panel" key={list.key} data-list={list.key}>
          <h2>
            {list.title} <span className="count">{release.counts[list.key]}</span>
          </h2>
          {release[list.key].length ? <BugTable bugs={release[list.key]} /> : <Empty>{list.empty}</Empty>}
        </section>
      ))}
    </>
  );
}
