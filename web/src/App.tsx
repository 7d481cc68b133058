import { getConfig } from './api';
import Alerts from './pages/Alerts';
import BugDetailPage from './pages/BugDetail';
import BugList from './pages/BugList';
import Dashboard from './pages/Dashboard';
import Projects from './pages/Projects';
import { ReleaseList, ReleasePage } from './pages/Releases';
import Settings from './pages/Settings';
import { Link, matchRoute, useLocation } from './router';

export default function App() {
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  const base = getConfig().apiBaseUrl;
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          Log Center
        </Link>
        <nav className="main-nav">
          <Link to="/" className={route.name === 'dashboard' ? 'active' : undefined}>
            仪表盘
          </Link>
          <Link to="/bugs" className={route.name === 'bugs' || route.name === 'bug' ? 'active' : undefined}>
            缺陷列表
          </Link>
          <Link to="/projects" className={route.name === 'projects' ? 'active' : undefined}>
            项目
          </Link>
          <Link to="/releases" className={route.name === 'releases' || route.name === 'release' ? 'active' : undefined}>
            版本
          </Link>
          <Link to="/alerts" className={route.name === 'alerts' ? 'active' : undefined}>
            告警
          </Link>
          <Link to="/settings" className={route.name === 'settings' ? 'active' : undefined}>
            设置
          </Link>
        </nav>
        {base ? <span className="api-base" title="API 地址(config.js)">{base}</span> : null}
      </header>
      <main>
        {route.name === 'dashboard' ? <Dashboard /> : null}
        {route.name === 'bugs' ? <BugList /> : null}
        {route.name === 'bug' ? <BugDetailPage key={route.id} id={route.id} /> : null}
        {route.name === 'settings' ? <Settings /> : null}
        {route.name === 'projects' ? <Projects /> : null}
        {route.name === 'alerts' ? <Alerts /> : null}
        {route.name === 'releases' ? <ReleaseList /> : null}
        {route.name === 'release' ? (
          <ReleasePage key={`${route.projectId}/${route.version}`} projectId={route.projectId} version={route.version} />
        ) : null}
        {route.name === 'not-found' ? (
          <div className="page">
            <div className="state state-error" role="alert">
              <strong>页面不存在</strong>
              <p>
                <Link to="/">返回仪表盘</Link>
              </p>
            </div>
          </div>
        ) : null}
      </main>
    </div>
  );
}
