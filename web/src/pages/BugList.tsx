import { useEffect, useState, type FormEvent } from 'react';
import { buildQuery, getBugs, getProjects, LEVELS, SOURCES, STATUSES, type BugListParams, type BugSummary } from '../api';
import { Empty, ErrorMessage, LevelBadge, Loading, SourceBadge, StatusBadge } from '../components/common';
import { fileLocation, formatTime, sourceLabel, statusLabel } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useAsync } from '../useAsync';

export const PAGE_SIZE = 20;
const FILTER_KEYS = ['project_id', 'source', 'status', 'level', 'q', 'sort', 'page'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Partial<Record<FilterKey, string>>;

const SORTS: { value: string; label: string }[] = [
  { value: '', label: '最近出现' },
  { value: '-occurrence_count', label: '发生次数最多' },
  { value: '-first_seen_at', label: '最新发现' },
  { value: 'first_seen_at', label: '最早发现' },
];

/** The list's filters, read from the URL query string (the only place they live). */
export function filtersFrom(search: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

/** `/bugs?...` with `changes` applied; changing any filter but the page returns to page 1. */
export function listHref(current: Filters, changes: Filters): string {
  const next: Filters = { ...current, ...changes };
  if (!('page' in changes)) delete next.page;
  if (next.page === '1') delete next.page;
  const ordered: Filters = {};
  for (const key of FILTER_KEYS) if (next[key]) ordered[key] = next[key];
  return `/bugs${buildQuery(ordered)}`;
}

export default function BugList() {
  const { search } = useLocation();
  const filters = filtersFrom(search);
  const page = Math.max(1, Number.parseInt(filters.page ?? '1', 10) || 1);
  const params: BugListParams = {
    project_id: filters.project_id,
    source: filters.source,
    status: filters.status,
    level: filters.level,
    q: filters.q,
    sort: filters.sort,
    page,
    page_size: PAGE_SIZE,
  };
  const key = buildQuery(params);
  const [bugs, reloadBugs] = useAsync(() => getBugs(params), key);

  const [query, setQuery] = useState(filters.q ?? '');
  useEffect(() => setQuery(filters.q ?? ''), [filters.q]);

  const go = (changes: Filters) => navigate(listHref(filters, changes));
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    go({ q: query.trim() });
  };

  const activeSource = filters.source ?? '';

  return (
    <div className="page bug-list">
      <div className="page-header">
        <h1>缺陷列表</h1>
      </div>

      <ProjectChips filters={filters} />

      <nav className="source-tabs" aria-label="来源">
        {['', ...SOURCES].map((s) => (
          <Link
            key={s || 'all'}
            to={listHref(filters, { source: s })}
            className={`project-tab source-tab${s === activeSource ? ' active' : ''}`}
            aria-current={s === activeSource ? 'page' : undefined}
            data-source={s || 'all'}
          >
            {s ? sourceLabel(s) : '全部来源'}
          </Link>
        ))}
      </nav>

      <div className="filters">
        <label>
          状态
          <select value={filters.status ?? ''} onChange={(e) => go({ status: e.target.value })} name="status">
            <option value="">全部状态</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          级别
          <select value={filters.level ?? ''} onChange={(e) => go({ level: e.target.value })} name="level">
            <option value="">全部级别</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          排序
          <select value={filters.sort ?? ''} onChange={(e) => go({ sort: e.target.value })} name="sort">
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <form className="search" role="search" onSubmit={onSearch}>
          <input
            type="search"
            name="q"
            placeholder="搜索错误类型或消息"
            maxLength={200}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <button type="submit">搜索</button>
        </form>
      </div>

      {bugs.status === 'error' ? (
        <ErrorMessage error={bugs.error} onRetry={reloadBugs} />
      ) : !bugs.data ? (
        <Loading what="缺陷" />
      ) : bugs.data.items.length === 0 && bugs.data.total > 0 ? (
        <Empty>
          第 {page} 页没有缺陷(共 {bugs.data.total} 条)。<Link to={listHref(filters, { page: '1' })}>回到第一页</Link>
        </Empty>
      ) : bugs.data.items.length === 0 ? (
        <Empty>{Object.keys(filters).length ? '没有符合筛选条件的缺陷。' : '还没有任何缺陷。'}</Empty>
      ) : (
        <div className={bugs.status === 'loading' ? 'stale' : undefined}>
          <BugTable items={bugs.data.items} />
          <Pagination
            page={bugs.data.page}
            pageSize={bugs.data.page_size}
            total={bugs.data.total}
            capped={bugs.data.total_capped === true}
            href={(p) => listHref(filters, { page: String(p) })}
          />
        </div>
      )}
    </div>
  );
}

/** Chips shown without a search: the projects with the most bugs. */
export const PROJECT_CHIPS = 12;
/** Matches shown for a project search. */
export const PROJECT_MATCHES = 20;

/**
 * The project filter: the PROJECT_CHIPS projects with the most bugs as chips and, when there
 * are more, a search box whose matches replace them. One client can create tens of thousands
 * of project ids; the page never renders more than a few dozen chips.
 */
export function ProjectChips({ filters }: { filters: Filters }) {
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  useEffect(() => {
    const timer = window.setTimeout(() => setTerm(search.trim()), 250);
    return () => window.clearTimeout(timer);
  }, [search]);
  const [top] = useAsync(() => getProjects({ sort: '-bug_count', page_size: PROJECT_CHIPS }), 'projects-top');
  const [matches] = useAsync(
    () => (term ? getProjects({ q: term, sort: '-bug_count', page_size: PROJECT_MATCHES }) : Promise.resolve(null)),
    `projects-q:${term}`,
  );
  const activeProject = filters.project_id ?? '';
  const total = top.data?.total ?? 0;
  const searching = term !== '';
  const shown = searching ? (matches.data?.items ?? []) : (top.data?.items ?? []);
  const many = total > PROJECT_CHIPS || search !== '';

  return (
    <nav className="project-tabs" aria-label="项目">
      <Link to={listHref(filters, { project_id: '' })} className={`project-tab${activeProject ? '' : ' active'}`}>
        全部项目
      </Link>
      {shown.map((p) => (
        <Link
          key={p.project_id}
          to={listHref(filters, { project_id: p.project_id })}
          className={`project-tab${p.project_id === activeProject ? ' active' : ''}`}
        >
          {p.project_id} <span className="tab-count">{p.bug_count}</span>
        </Link>
      ))}
      {activeProject && !shown.some((p) => p.project_id === activeProject) ? (
        <span className="project-tab active">{activeProject}</span>
      ) : null}
      {many ? (
        <span className="project-search">
          <input
            type="search"
            name="project-search"
            aria-label="搜索项目"
            placeholder={`搜索项目(共 ${total} 个)`}
            maxLength={64}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          {searching && matches.status === 'ok' && matches.data ? (
            <span className="project-search-info">
              {matches.data.total === 0
                ? '没有匹配的项目'
                : matches.data.total > shown.length
                  ? `匹配 ${matches.data.total} 个,显示缺陷最多的 ${shown.length} 个`
                  : `匹配 ${matches.data.total} 个`}
            </span>
          ) : !searching && total > shown.length ? (
            <span className="project-search-info">显示缺陷最多的 {shown.length} 个</span>
          ) : null}
        </span>
      ) : null}
      {top.status === 'error' || matches.status === 'error' ? <span className="tab-error">项目列表加载失败</span> : null}
    </nav>
  );
}

export function BugTable({ items }: { items: BugSummary[] }) {
  return (
    <table className="table bugs-table">
      <thead>
        <tr>
          <th>ID</th>
          <th>来源</th>
          <th>项目</th>
          <th>级别</th>
          <th>错误</th>
          <th>文件</th>
          <th>状态</th>
          <th className="num">次数</th>
          <th>最后出现</th>
        </tr>
      </thead>
      <tbody>
        {items.map((bug) => (
          <tr key={bug.id} data-bug-id={bug.id} data-source={bug.source}>
            <td>
              <Link to={`/bugs/${bug.id}`}>#{bug.id}</Link>
            </td>
            <td>
              <SourceBadge source={bug.source} />
            </td>
            <td>{bug.project_id}</td>
            <td>
              <LevelBadge level={bug.level} />
            </td>
            <td className="error-cell">
              <Link to={`/bugs/${bug.id}`} className="error-type">
                {bug.error_type}
              </Link>
              {bug.is_regression ? <span className="regression">回归</span> : null}
              <div className="error-message">
                {bug.error_message ?? ''}
                {bug.error_message_truncated ? '…' : ''}
              </div>
            </td>
            <td className="file-cell">{fileLocation(bug)}</td>
            <td>
              <StatusBadge status={bug.status} />
            </td>
            <td className="num">{bug.occurrence_count}</td>
            <td className="time">{formatTime(bug.last_seen_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Pagination({
  page,
  pageSize,
  total,
  capped,
  href,
}: {
  page: number;
  pageSize: number;
  total: number;
  capped: boolean;
  href: (page: number) => string;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const shown = capped ? `${total}+` : String(total);
  return (
    <nav className="pagination" aria-label="分页">
      {page > 1 ? <Link to={href(page - 1)}>上一页</Link> : <span className="disabled">上一页</span>}
      <span className="page-info">
        第 {page} / {pages}{capped ? '+' : ''} 页,共 {shown} 条
      </span>
      {page < pages || capped ? <Link to={href(page + 1)}>下一页</Link> : <span className="disabled">下一页</span>}
    </nav>
  );
}
