// An SDK event's frames (with their source lines) and its tags, request, breadcrumbs.
import { useState } from 'react';
import { formatTime, safeHttpUrl } from '../format';
import {
  breadcrumbsOf,
  contextsOf,
  requestOf,
  sdkFacts,
  tagsOf,
  displayOrder,
  type Frame,
  type TraceEntry,
} from '../sdkEvent';

function FrameView({ frame }: { frame: Frame }) {
  const first = frame.line !== null ? frame.line - frame.pre.length : null;
  const code = [...frame.pre, ...(frame.contextLine !== null ? [frame.contextLine] : []), ...frame.post];
  return (
    <li className={`frame${frame.inApp ? ' frame-in-app' : ''}`} data-in-app={frame.inApp === null ? undefined : String(frame.inApp)}>
      <div className="frame-head">
        <code className="frame-file">{frame.file}</code>
        {frame.func ? (
          <>
            {' '}
            中的 <code className="frame-func">{frame.func}</code>
          </>
        ) : null}
        {frame.line !== null ? (
          <span className="frame-line">
            {' '}
            第 {frame.line} 行{frame.column !== null ? ` 第 ${frame.column} 列` : ''}
          </span>
        ) : null}
        {frame.inApp ? <span className="in-app-badge">应用代码</span> : null}
      </div>
      {code.length ? (
        <div className="frame-code">
          {code.map((src, i) => (
            <div key={i} className={`code-row${i === frame.pre.length && frame.contextLine !== null ? ' context-line' : ''}`}>
              <span className="lineno">{first !== null ? first + i : ''}</span>
              <code>{src || ' '}</code>
            </div>
          ))}
        </div>
      ) : null}
    </li>
  );
}

/**
 * Frames innermost first (as Sentry shows them). When some are marked in_app, library frames
 * are folded away behind a button.
 */
export function Frames({ entries }: { entries: TraceEntry[] }) {
  const [all, setAll] = useState(false);
  const frames = entries.filter((e): e is Frame => e.kind === 'frame');
  const anyInApp = frames.some((f) => f.inApp);
  const hidden = all || !anyInApp ? 0 : frames.filter((f) => !f.inApp).length;
  return (
    <div className="frames">
      <p className="hint">最内层的调用在最上面{entries.length > frames.length ? ',主异常在前' : ''}。</p>
      <ol className="frame-list">
        {displayOrder(entries).flatMap((segment, s) => [
          ...(segment.heading
            ? [
                <li key={`h${s}`} className="frame-note">
                  {segment.heading.text}
                </li>,
              ]
            : []),
          ...segment.frames
            .filter((f) => all || !anyInApp || f.inApp)
            .map((f, i) => <FrameView key={`f${s}-${i}`} frame={f} />),
        ])}
      </ol>
      {anyInApp && (hidden > 0 || all) ? (
        <button type="button" className="link-button" onClick={() => setAll(!all)}>
          {all ? '只看应用代码帧' : `显示全部帧(另有 ${hidden} 个库帧)`}
        </button>
      ) : null}
    </div>
  );
}

function Pairs({ pairs, className }: { pairs: [string, string][]; className: string }) {
  return (
    <dl className={`pairs ${className}`}>
      {pairs.map(([k, v]) => (
        <div key={k} className="pair">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Tags, request, runtime contexts and breadcrumbs of an SDK event (`context.sentry`). */
export function SdkDetails({ sentry }: { sentry: Record<string, unknown> }) {
  const facts = sdkFacts(sentry);
  const tags = tagsOf(sentry);
  const request = requestOf(sentry);
  const contexts = contextsOf(sentry);
  const crumbs = breadcrumbsOf(sentry);
  const href = safeHttpUrl(request?.url);
  const extra = sentry.extra && typeof sentry.extra === 'object' && Object.keys(sentry.extra).length ? sentry.extra : null;
  return (
    <div className="sdk-details" data-testid="sdk-details">
      {facts.length ? <Pairs pairs={facts} className="sdk-facts" /> : null}
      {request ? (
        <div className="sdk-request">
          <h3>请求</h3>
          <code>
            {request.method ? `${request.method} ` : ''}
            {href ? (
              <a href={href} target="_blank" rel="noopener noreferrer">
                {request.url}
              </a>
            ) : (
              request.url
            )}
          </code>
        </div>
      ) : null}
      {tags.length ? (
        <div className="sdk-tags">
          <h3>标签</h3>
          <ul className="tag-list">
            {tags.map(([k, v]) => (
              <li key={k} className="tag">
                <span className="tag-key">{k}</span>
                <span className="tag-value">{v}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {contexts.length ? (
        <div className="sdk-contexts">
          <h3>运行环境</h3>
          <Pairs pairs={contexts} className="contexts" />
        </div>
      ) : null}
      {extra ? (
        <div className="sdk-extra">
          <h3>附加数据(extra)</h3>
          <pre className="code">{JSON.stringify(extra, null, 2)}</pre>
        </div>
      ) : null}
      {crumbs.length ? (
        <div className="sdk-breadcrumbs">
          <h3>面包屑({crumbs.length})</h3>
          <table className="table breadcrumbs">
            <thead>
              <tr>
                <th>时间</th>
                <th>类别</th>
                <th>级别</th>
                <th>内容</th>
              </tr>
            </thead>
            <tbody>
              {crumbs.map((b, i) => (
                <tr key={i}>
                  <td className="time">{b.timestamp ? formatTime(b.timestamp) : '-'}</td>
                  <td>{b.category || b.type || '-'}</td>
                  <td>{b.level || '-'}</td>
                  <td className="note">
                    {b.message || ''}
                    {b.data ? <code className="crumb-data">{JSON.stringify(b.data)}</code> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
