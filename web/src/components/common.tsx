import type { ReactNode } from 'react';
import { ApiError, resetTokenPrompt } from '../api';
import { sourceBadgeClass, sourceLabel, statusLabel } from '../format';

export function SourceBadge({ source }: { source: string }) {
  return <span className={sourceBadgeClass(source)}>{sourceLabel(source)}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status-badge status-${status.toLowerCase()}`} title={status}>
      {statusLabel(status)}
    </span>
  );
}

export function LevelBadge({ level }: { level: string }) {
  return <span className={`level-badge level-${level.toLowerCase()}`}>{level}</span>;
}

export function Loading({ what = '数据' }: { what?: string }) {
  return (
    <div className="state state-loading" role="status">
      正在加载{what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/** A visible error for a failed call; 401 offers to enter the token again. `title` names what
 * failed when it was an action (启用失败, …) rather than a load. */
export function ErrorMessage({ error, onRetry, title: actionTitle }: { error: unknown; onRetry?: () => void; title?: string }) {
  const api = error instanceof ApiError ? error : null;
  let title = actionTitle ?? '加载失败';
  if (api?.status === 0) title = '无法连接到 API 服务器';
  else if (api?.status === 401) title = '需要有效的 API 令牌';
  else if (api?.status === 404) title = '未找到';
  else if (api && api.status >= 500) title = 'API 服务暂时不可用';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <p className="error-text">{message}</p>
      {api?.details.length ? (
        <ul>
          {api.details.map((d, i) => (
            <li key={i}>
              {d.field}: {d.issue}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button
          type="button"
          onClick={() => {
            if (api?.status === 401) resetTokenPrompt();
            onRetry();
          }}
        >
          {api?.status === 401 ? '输入令牌并重试' : '重试'}
        </button>
      ) : null}
    </div>
  );
}
