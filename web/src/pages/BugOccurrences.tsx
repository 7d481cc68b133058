// 最近发生: a bug's kept occurrences, newest first, each expandable (DESIGN.md "Occurrences").
import { useEffect, useState } from 'react';
import { getOccurrences, type Occurrence } from '../api';
import { ErrorMessage, LevelBadge, Loading } from '../components/common';
import { Frames, SdkDetails } from '../components/SdkEvent';
import { formatTime, stackTraceText } from '../format';
import { hasFrames, sentryContext, traceEntries } from '../sdkEvent';

export const OCCURRENCE_PAGE_SIZE = 10;

interface Loaded {
  items: Occurrence[];
  total: number;
  page: number;
}

export default function BugOccurrences({ bugId, occurrenceCount }: { bugId: number; occurrenceCount: number }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);

  // Reload from the first page when the bug changes or gets a new occurrence count.
  useEffect(() => {
    let live = true;
    setBusy(true);
    setError(null);
    getOccurrences(bugId, 1, OCCURRENCE_PAGE_SIZE).then(
      (page) => live && (setLoaded({ items: page.items, total: page.total, page: 1 }), setBusy(false)),
      (e: unknown) => live && (setError(e), setBusy(false)),
    );
    return () => {
      live = false;
    };
  }, [bugId, occurrenceCount, attempt]);

  const more = () => {
    if (!loaded) return;
    setBusy(true);
    setError(null);
    getOccurrences(bugId, loaded.page + 1, OCCURRENCE_PAGE_SIZE).then(
      (page) => {
        const seen = new Set(loaded.items.map((o) => o.id));
        setLoaded({ items: [...loaded.items, ...page.items.filter((o) => !seen.has(o.id))], total: page.total, page: loaded.page + 1 });
        setBusy(false);
      },
      (e: unknown) => {
        setError(e);
        setBusy(false);
      },
    );
  };

  return (
    <section className="panel occurrences" aria-labelledby="occurrences-title">
      <h2 id="occurrences-title">最近发生</h2>
      {loaded ? (
        <p className="hint" data-testid="occurrence-summary">
          共发生 {occurrenceCount.toLocaleString('zh-CN')} 次,保留最近 {loaded.total.toLocaleString('zh-CN')} 条记录。
        </p>
      ) : null}
      {!loaded && busy ? <Loading what="发生记录" /> : null}
      {loaded && loaded.items.length === 0 ? <div className="state state-empty">没有保留的发生记录。</div> : null}
      {loaded && loaded.items.length ? (
        <ul className="occurrence-list">
          {loaded.items.map((o) => (
            <OccurrenceItem key={o.id} occurrence={o} />
          ))}
        </ul>
      ) : null}
      {error ? <ErrorMessage error={error} onRetry={loaded ? more : () => setAttempt((n) => n + 1)} /> : null}
      {loaded && loaded.items.length < loaded.total && !error ? (
        <button type="button" onClick={more} disabled={busy}>
          {busy ? '加载中…' : `加载更多(还有 ${loaded.total - loaded.items.length} 条)`}
        </button>
      ) : null}
    </section>
  );
}

function Fact({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd>{value || '-'}</dd>
    </div>
  );
}

export function OccurrenceItem({ occurrence: o }: { occurrence: Occurrence }) {
  const [open, setOpen] = useState(false);
  const sentry = sentryContext(o.context);
  const bodyId = `occurrence-${o.id}`;
  return (
    <li className={`occurrence${open ? ' open' : ''}`} data-occurrence-id={o.id}>
      <button
        type="button"
        className="occurrence-toggle"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen(!open)}
      >
        <span className="chevron" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
        <span className="time">{formatTime(o.created_at)}</span>
        {o.level ? <LevelBadge level={o.level} /> : null}
        {sentry ? <span className="sdk-badge">SDK</span> : null}
        <span className="occurrence-message">{o.message || '(无错误消息)'}</span>
        <span className="occurrence-tags">
          {[o.environment, o.version].filter(Boolean).join(' · ')}
        </span>
      </button>
      {open ? <OccurrenceBody id={bodyId} occurrence={o} sentry={sentry} /> : null}
    </li>
  );
}

function OccurrenceBody({ id, occurrence: o, sentry }: { id: string; occurrence: Occurrence; sentry: Record<string, unknown> | null }) {
  const entries = traceEntries(o.stack_trace);
  const trace = hasFrames(entries) ? null : stackTraceText(o.stack_trace);
  const rest = Object.fromEntries(Object.entries(o.context ?? {}).filter(([k]) => k !== 'sentry'));
  return (
    <div className="occurrence-body" id={id}>
      <dl className="meta">
        <Fact label="时间" value={formatTime(o.created_at)} />
        <Fact label="上报时间" value={o.reported_at ? formatTime(o.reported_at) : null} />
        <Fact label="环境" value={o.environment} />
        <Fact label="版本" value={o.version} />
        <Fact label="提交" value={o.commit_hash} />
        <Fact label="事件 ID" value={o.event_id} />
      </dl>
      <h3>消息</h3>
      <p className="occurrence-full-message">{o.message || '(无错误消息)'}</p>
      {hasFrames(entries) ? (
        <>
          <h3>堆栈帧</h3>
          <Frames entries={entries} />
        </>
      ) : trace ? (
        <>
          <h3>堆栈</h3>
          <pre className="code stack-trace">{trace}</pre>
        </>
      ) : null}
      {sentry ? <SdkDetails sentry={sentry} /> : null}
      <h3>上下文</h3>
      {Object.keys(rest).length ? (
        <pre className="code context-json">{JSON.stringify(rest, null, 2)}</pre>
      ) : (
        <p className="hint">{sentry ? '除 SDK 事件外没有其他上下文。' : '没有上下文。'}</p>
      )}
    </div>
  );
}
