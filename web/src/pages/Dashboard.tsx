import { getStats, SOURCES, STATUSES, type DashboardStats } from '../api';
import { Empty, ErrorMessage, Loading } from '../components/common';
import { sourceLabel, statusLabel } from '../format';
import { Link, useLocation } from '../router';
import { useAsync } from '../useAsync';
import { TrendChart } from '../components/TrendChart';
import { buildQuery } from '../api';

function percent(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '0%';
}

export default function Dashboard() {
  const { search } = useLocation();
  const source = search.get('source') ?? '';
  const [state, reload] = useAsync(() => getStats({ source }), source);

  return (
    <div className="page dashboard">
      <div className="page-header">
        <h1>仪表盘</h1>
        <nav className="source-tabs" aria-label="来源">
          {['', ...SOURCES].map((s) => (
            <Link
              key={s || 'all'}
              to={`/${buildQuery({ source: s })}`}
              className={`project-tab${s === source ? ' active' : ''}`}
              aria-current={s === source ? 'page' : undefined}
            >
              {s ? sourceLabel(s) : '全部来源'}
            </Link>
          ))}
        </nav>
      </div>
      {state.status === 'error' ? (
        <ErrorMessage error={state.error} onRetry={reload} />
      ) : !state.data ? (
        <Loading what="统计" />
      ) : (
        <StatsView stats={state.data} source={source} />
      )}
    </div>
  );
}

function StatsView({ stats, source }: { stats: DashboardStats; source: string }) {
  // The server names the projects with the most bugs and sums the rest (one client can make
  // tens of thousands of project ids).
  const projects = Object.entries(stats.project_distribution).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const others = stats.project_distribution_others;
  const sourceTotal = SOURCES.reduce((n, s) => n + (stats.source_distribution[s] ?? 0), 0);
  const open = (stats.status_distribution.NEW ?? 0) + (stats.status_distribution.PENDING_FIX ?? 0);
  return (
    <>
      <section className="cards" aria-label="概览">
        <div className="card" data-testid="total-bugs">
          <div className="card-label">缺陷总数</div>
          <div className="card-value">{stats.total_bugs}</div>
        </div>
        <div className="card" data-testid="today-bugs">
          <div className="card-label">今日新增</div>
          <div className="card-value">{stats.today_bugs}</div>
        </div>
        <div className="card" data-testid="total-occurrences">
          <div className="card-label">累计发生次数</div>
          <div className="card-value">{stats.total_occurrences}</div>
        </div>
        <div className="card" data-testid="open-bugs">
          <div className="card-label">待处理(新建 + 待修复)</div>
          <div className="card-value">{open}</div>
        </div>
      </section>

      <div className="grid">
        <section className="panel">
          <h2>来源分布</h2>
          <table className="table source-distribution">
            <thead>
              <tr>
                <th>来源</th>
                <th className="num">缺陷数</th>
                <th className="num">占比</th>
              </tr>
            </thead>
            <tbody>
              {SOURCES.map((s) => (
                <tr key={s} data-source={s}>
                  <td>
                    <Link to={`/bugs${buildQuery({ source: s })}`} className={`source-badge source-${s}`}>
                      {sourceLabel(s)}
                    </Link>
                  </td>
                  <td className="num" data-testid={`source-count-${s}`}>
                    {stats.source_distribution[s] ?? 0}
                  </td>
                  <td className="num">{percent(stats.source_distribution[s] ?? 0, sourceTotal)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section className="panel">
          <h2>状态分布</h2>
          <table className="table status-distribution">
            <thead>
              <tr>
                <th>状态</th>
                <th className="num">缺陷数</th>
              </tr>
            </thead>
            <tbody>
              {STATUSES.map((s) => (
                <tr key={s}>
                  <td>
                    <Link to={`/bugs${buildQuery({ status: s, source })}`}>{statusLabel(s)}</Link>
                  </td>
                  <td className="num">{stats.status_distribution[s] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section className="panel">
          <h2>项目分布{stats.project_count && stats.project_count > projects.length ? `(共 ${stats.project_count} 个项目)` : ''}</h2>
          {projects.length === 0 ? (
            <Empty>还没有任何缺陷。</Empty>
          ) : (
            <table className="table project-distribution">
              <thead>
                <tr>
                  <th>项目</th>
                  <th className="num">缺陷数</th>
                </tr>
              </thead>
              <tbody>
                {projects.map(([project, count]) => (
                  <tr key={project}>
                    <td>
                      <Link to={`/bugs${buildQuery({ project_id: project, source })}`}>{project}</Link>
                    </td>
                    <td className="num">{count}</td>
                  </tr>
                ))}
                {others && others.projects > 0 ? (
                  <tr className="others" data-testid="project-others">
                    <td>
                      <Link to={`/bugs${buildQuery({ source })}`}>其他 {others.projects} 个项目</Link>
                    </td>
                    <td className="num">{others.bugs}</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="panel">
        <h2>最近 14 天趋势(每日发生次数{stats.timezone ? `,时区 ${stats.timezone}` : ''})</h2>
        <TrendChart points={stats.trend} />
      </section>
    </>
  );
}
