// 项目: every project seen, and for each its Sentry DSN with SDK snippets (DESIGN.md
// "Projects and DSNs"). The selected project lives in the URL (/projects?project=<id>).
import { useEffect, useState, type FormEvent } from 'react';
import {
  ApiError,
  buildQuery,
  getProject,
  getProjects,
  registerProject,
  rotateProjectKey,
  type ProjectList,
  type ProjectSummary,
  type RegisteredProject,
} from '../api';
import { Empty, ErrorMessage, Loading } from '../components/common';
import { CopyButton } from '../components/CopyButton';
import { formatTime } from '../format';
import { Link, navigate, useLocation } from '../router';
import { PROJECT_ID_PATTERN, SNIPPET_KINDS, SNIPPET_LABELS, snippet, type SnippetKind } from '../snippets';
import { useAsync } from '../useAsync';

export const PROJECTS_PAGE_SIZE = 50;

type PageState = { q: string; page: number; project: string };

/** `/projects?…` with the list's search, page and the selected project (empty ones left out). */
export function projectsHref(state: Partial<PageState>): string {
  const query = buildQuery({ q: state.q, page: state.page && state.page > 1 ? state.page : undefined, project: state.project });
  return `/projects${query}`;
}

export function projectHref(projectId: string): string {
  return projectsHref({ project: projectId });
}

export default function Projects() {
  const { search } = useLocation();
  const state: PageState = {
    q: search.get('q') ?? '',
    page: Math.max(1, Number.parseInt(search.get('page') ?? '1', 10) || 1),
    project: search.get('project') ?? '',
  };
  const params = { q: state.q || undefined, page: state.page, page_size: PROJECTS_PAGE_SIZE };
  const [list, reloadList] = useAsync(() => getProjects(params), buildQuery(params));
  const [query, setQuery] = useState(state.q);
  useEffect(() => setQuery(state.q), [state.q]);

  const shown = list.data ? pageOf(list.data, state) : null;
  const pages = shown ? Math.max(1, Math.ceil(shown.total / PROJECTS_PAGE_SIZE)) : 1;
  const go = (changes: Partial<PageState>) => navigate(projectsHref({ ...state, ...changes }));
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    go({ q: query.trim(), page: 1 });
  };

  return (
    <div className="page projects">
      <div className="page-header">
        <h1>项目</h1>
      </div>

      <RegisterForm onRegistered={(p) => { reloadList(); navigate(projectsHref({ ...state, project: p.project_id })); }} />

      {state.project ? <ProjectPanel key={state.project} projectId={state.project} onChange={reloadList} /> : null}

      <section className="panel" aria-labelledby="project-list-title">
        <div className="page-header">
          <h2 id="project-list-title">已出现的项目</h2>
          <form className="search" role="search" onSubmit={onSearch}>
            <input
              type="search"
              aria-label="搜索项目"
              placeholder="项目 ID 包含…"
              value={query}
              maxLength={64}
              onChange={(e) => setQuery(e.target.value)}
            />
            <button type="submit">搜索</button>
          </form>
        </div>
        {list.status === 'error' ? (
          <ErrorMessage error={list.error} onRetry={reloadList} />
        ) : !shown ? (
          <Loading what="项目列表" />
        ) : shown.items.length === 0 ? (
          <Empty>
            {state.q
              ? `没有 ID 包含「${state.q}」的项目。`
              : state.page > 1
                ? `第 ${state.page} 页没有项目。`
                : '还没有项目上报过错误。可以先在上方为新项目启用 SDK 接入。'}
          </Empty>
        ) : (
          <div className={list.status === 'loading' ? 'stale' : undefined}>
            <ProjectTable items={shown.items} selected={state.project} linkTo={(id) => projectsHref({ ...state, project: id })} />
            <nav className="pagination" aria-label="分页">
              {state.page > 1 ? <Link to={projectsHref({ ...state, page: state.page - 1 })}>上一页</Link> : <span className="disabled">上一页</span>}
              <span>
                第 {state.page} / {pages} 页,共 {shown.total.toLocaleString('zh-CN')} 个项目
              </span>
              {state.page < pages ? <Link to={projectsHref({ ...state, page: state.page + 1 })}>下一页</Link> : <span className="disabled">下一页</span>}
            </nav>
          </div>
        )}
      </section>
    </div>
  );
}

/**
 * The page to show. A server that pages the list (answers with page_size) did the search and
 * the slicing; an older one sent every project, so both are done here.
 */
export function pageOf(list: ProjectList, state: Pick<PageState, 'q' | 'page'>): { items: ProjectSummary[]; total: number } {
  if (list.page_size) return { items: list.items, total: list.total };
  const needle = state.q.toLowerCase();
  const matching = needle ? list.items.filter((p) => p.project_id.toLowerCase().includes(needle)) : list.items;
  const start = (state.page - 1) * PROJECTS_PAGE_SIZE;
  return { items: matching.slice(start, start + PROJECTS_PAGE_SIZE), total: matching.length };
}

export function ProjectTable({
  items,
  selected,
  linkTo = projectHref,
}: {
  items: ProjectSummary[];
  selected: string;
  linkTo?: (projectId: string) => string;
}) {
  return (
    <table className="table projects-table">
      <thead>
        <tr>
          <th>项目</th>
          <th className="num">缺陷</th>
          <th className="num">未解决</th>
          <th className="num">发生次数</th>
          <th>最后出现</th>
          <th>SDK 接入</th>
        </tr>
      </thead>
      <tbody>
        {items.map((p) => (
          <tr key={p.project_id} data-project={p.project_id} className={p.project_id === selected ? 'selected' : undefined}>
            <td>
              <Link to={linkTo(p.project_id)}>{p.project_id}</Link>
            </td>
            <td className="num">{p.bug_count}</td>
            <td className="num">{p.open_count}</td>
            <td className="num">{p.occurrence_count}</td>
            <td className="time">{formatTime(p.last_seen_at)}</td>
            <td>
              {p.sentry_id ? (
                <span className="sdk-state-on">已启用(#{p.sentry_id})</span>
              ) : (
                <Link to={linkTo(p.project_id)} className="sdk-state-off">
                  未启用
                </Link>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Register any project id for SDKs, seen or not (a Sentry user creates the project first). */
function RegisterForm({ onRegistered }: { onRegistered: (p: RegisteredProject) => void }) {
  const [projectId, setProjectId] = useState('');
  const [repository, setRepository] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = projectId.trim();
    if (!PROJECT_ID_PATTERN.test(id)) {
      setError(new Error('项目 ID 只能包含字母、数字、下划线、点和连字符,以字母或数字开头,最多 64 个字符。'));
      return;
    }
    setBusy(true);
    setError(null);
    registerProject(id, repository.trim() || undefined).then(
      (p) => {
        setBusy(false);
        setProjectId('');
        setRepository('');
        onRegistered(p);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };

  return (
    <section className="panel" aria-labelledby="register-title">
      <h2 id="register-title">为新项目启用 SDK 接入</h2>
      <form className="register-form" onSubmit={submit}>
        <input
          type="text"
          name="project_id"
          aria-label="项目 ID"
          placeholder="项目 ID,如 shop_api"
          value={projectId}
          maxLength={64}
          onChange={(e) => setProjectId(e.target.value)}
          disabled={busy}
        />
        <input
          type="text"
          name="repository"
          aria-label="代码仓库(可选)"
          placeholder="代码仓库(可选),如 team/shop"
          value={repository}
          maxLength={200}
          onChange={(e) => setRepository(e.target.value)}
          disabled={busy}
        />
        <button type="submit" className="primary" disabled={busy || !projectId.trim()}>
          启用 SDK 接入
        </button>
      </form>
      {error ? <ErrorMessage error={error} title="启用失败" /> : null}
    </section>
  );
}

type Detail = { status: 'loading' } | { status: 'registered'; project: RegisteredProject } | { status: 'unregistered' } | { status: 'error'; error: unknown };

/** One project: its DSN and snippets when registered, 启用 SDK 接入 when not. */
export function ProjectPanel({ projectId, onChange }: { projectId: string; onChange?: () => void }) {
  const [detail, setDetail] = useState<Detail>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setDetail({ status: 'loading' });
    getProject(projectId).then(
      (project) => live && setDetail(project.sentry_id && project.dsn ? { status: 'registered', project } : { status: 'unregistered' }),
      (error: unknown) =>
        live && setDetail(error instanceof ApiError && error.status === 404 ? { status: 'unregistered' } : { status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [projectId, attempt]);

  const changed = (project: RegisteredProject) => {
    setDetail({ status: 'registered', project });
    onChange?.();
  };

  return (
    <section className="panel project-panel" aria-labelledby="project-panel-title" data-testid="project-panel">
      <div className="page-header">
        <h2 id="project-panel-title">{projectId}</h2>
        <Link to={`/bugs?project_id=${encodeURIComponent(projectId)}`}>查看缺陷 →</Link>
      </div>
      {detail.status === 'loading' ? <Loading what="项目" /> : null}
      {detail.status === 'error' ? <ErrorMessage error={detail.error} onRetry={() => setAttempt((n) => n + 1)} /> : null}
      {detail.status === 'unregistered' ? <EnableSdk projectId={projectId} onRegistered={changed} /> : null}
      {detail.status === 'registered' ? <SdkSetup project={detail.project} onRotated={changed} /> : null}
    </section>
  );
}

function EnableSdk({ projectId, onRegistered }: { projectId: string; onRegistered: (p: RegisteredProject) => void }) {
  const [repository, setRepository] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const enable = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    registerProject(projectId, repository.trim() || undefined).then(
      (p) => {
        setBusy(false);
        onRegistered(p);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <div className="enable-sdk">
      <p>该项目还没有启用 SDK 接入。启用后会生成 DSN,Python、Node.js、浏览器等 Sentry SDK 即可直接上报到 Log Center。</p>
      <form className="register-form" onSubmit={enable}>
        <input
          type="text"
          name="repository"
          aria-label="代码仓库(可选)"
          placeholder="代码仓库(可选),如 team/shop"
          value={repository}
          maxLength={200}
          onChange={(e) => setRepository(e.target.value)}
          disabled={busy}
        />
        <button type="submit" className="primary" disabled={busy}>
          启用 SDK 接入
        </button>
      </form>
      {error ? <ErrorMessage error={error} title="启用失败" /> : null}
    </div>
  );
}

function SdkSetup({ project, onRotated }: { project: RegisteredProject; onRotated: (p: RegisteredProject) => void }) {
  const [kind, setKind] = useState<SnippetKind>('python');
  const code = snippet(kind, project.dsn, project.project_id);
  return (
    <div className="sdk-setup">
      <dl className="meta">
        <div className="field">
          <dt>Sentry 项目编号</dt>
          <dd>{project.sentry_id}</dd>
        </div>
        <div className="field">
          <dt>代码仓库</dt>
          <dd>{project.repository || '-'}</dd>
        </div>
        {project.created_at ? (
          <div className="field">
            <dt>启用时间</dt>
            <dd>{formatTime(project.created_at)}</dd>
          </div>
        ) : null}
        {project.key_rotated_at ? (
          <div className="field">
            <dt>上次轮换密钥</dt>
            <dd>{formatTime(project.key_rotated_at)}</dd>
          </div>
        ) : null}
        {project.bug_count !== undefined ? (
          <div className="field" data-testid="project-counts">
            <dt>缺陷 / 未解决 / 发生次数</dt>
            <dd>
              {project.bug_count} / {project.open_count ?? 0} / {project.occurrence_count ?? 0}
            </dd>
          </div>
        ) : null}
      </dl>
      <h3>DSN</h3>
      <div className="dsn-row">
        <code className="dsn" data-testid="dsn">
          {project.dsn}
        </code>
        <CopyButton text={project.dsn} label="复制 DSN" />
      </div>
      <p className="hint">
        也可以把它设为环境变量 <code>SENTRY_DSN</code>(Python 与 Node.js SDK 会自动读取)。DSN 中的密钥是公开的,浏览器端代码也可以使用。
      </p>

      <nav className="snippet-tabs" aria-label="SDK">
        {SNIPPET_KINDS.map((k) => (
          <button
            key={k}
            type="button"
            className={`project-tab${k === kind ? ' active' : ''}`}
            aria-pressed={k === kind}
            onClick={() => setKind(k)}
          >
            {SNIPPET_LABELS[k]}
          </button>
        ))}
      </nav>
      <div className="snippet" data-snippet={kind}>
        <pre className="code" data-testid="snippet">
          {code}
        </pre>
        <CopyButton text={code} label="复制代码" />
      </div>

      <RotateKey project={project} onRotated={onRotated} />
    </div>
  );
}

function RotateKey({ project, onRotated }: { project: RegisteredProject; onRotated: (p: RegisteredProject) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const rotate = () => {
    setBusy(true);
    setError(null);
    rotateProjectKey(project.project_id).then(
      (p) => {
        setBusy(false);
        setConfirming(false);
        setDone(true);
        onRotated(p);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e);
      },
    );
  };
  return (
    <div className="rotate-key">
      <h3>密钥</h3>
      {!confirming ? (
        <button type="button" onClick={() => (setConfirming(true), setDone(false))}>
          轮换密钥
        </button>
      ) : (
        <div className="confirm-box" role="alertdialog" aria-labelledby="rotate-confirm-text">
          <p id="rotate-confirm-text">
            轮换后旧的 DSN 立即失效,仍使用旧 DSN 的应用上报会被拒绝(403),需要换成新的 DSN。确定要轮换 {project.project_id} 的密钥吗?
          </p>
          <div className="buttons">
            <button type="button" className="danger" onClick={rotate} disabled={busy}>
              {busy ? '轮换中…' : '确认轮换'}
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
              取消
            </button>
          </div>
        </div>
      )}
      {done ? (
        <p className="state state-ok" role="status">
          密钥已轮换,请把应用中的 DSN 换成上面的新 DSN。
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} title="轮换失败" /> : null}
    </div>
  );
}
