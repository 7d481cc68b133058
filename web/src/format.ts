// Pure rendering rules shared by the pages (and unit-tested on their own).
import type { BugStatus, ErrorLog, Level, Source, StackFrame } from './api';

export const SOURCE_LABELS: Record<Source, string> = {
  runtime: '运行时',
  cicd: 'CI/CD',
  deployment: '部署',
};

export const STATUS_LABELS: Record<BugStatus, string> = {
  NEW: '新建',
  PENDING_FIX: '待修复',
  FIXING: '修复中',
  FIXED: '已修复',
  VERIFIED: '已验证',
  DEPLOYED: '已部署',
  FIX_FAILED: '修复失败',
  CANNOT_REPRODUCE: '无法复现',
  IGNORED: '已忽略',
};

export const LEVEL_LABELS: Record<Level, string> = {
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARNING: 'WARNING',
  ERROR: 'ERROR',
  CRITICAL: 'CRITICAL',
};

export function sourceLabel(source: string): string {
  return (SOURCE_LABELS as Record<string, string>)[source] ?? source;
}

export function statusLabel(status: string): string {
  return (STATUS_LABELS as Record<string, string>)[status] ?? status;
}

/** Class names of a source badge: `source-badge source-<source>` (unknown sources get none). */
export function sourceBadgeClass(source: string): string {
  return (SOURCE_LABELS as Record<string, string>)[source] ? `source-badge source-${source}` : 'source-badge';
}

/** The 文件 column: `file_path:line_number`, `file_path` without a line, or `-`. */
export function fileLocation(bug: Pick<ErrorLog, 'file_path' | 'line_number'>): string {
  if (!bug.file_path) return '-';
  return bug.line_number === null || bug.line_number === undefined
    ? bug.file_path
    : `${bug.file_path}:${bug.line_number}`;
}

/** A label followed by a space when it ends in Latin text ("CI/CD 错误", "部署错误"). */
function spaced(label: string): string {
  return /[A-Za-z0-9]$/.test(label) ? `${label} ` : label;
}

export interface RepairState {
  enabled: boolean;
  hint: string;
}

/** Whether 触发修复 (set PENDING_FIX) is offered for a bug, and why not. */
export function repairState(bug: Pick<ErrorLog, 'source' | 'status'>): RepairState {
  if (bug.source !== 'runtime') {
    return {
      enabled: false,
      hint: `${spaced(sourceLabel(bug.source))}错误无法自动修复(只有运行时错误会交给修复 Agent),请人工处理。`,
    };
  }
  if (bug.status === 'PENDING_FIX') return { enabled: false, hint: '已在修复队列中,等待修复 Agent 领取。' };
  if (bug.status === 'FIXING') return { enabled: false, hint: '修复 Agent 正在修复。' };
  return { enabled: true, hint: '把该缺陷设为「待修复」,交给修复 Agent 处理。' };
}

/** Statuses a person may choose in the status changer (FIXING only comes from a claim). */
export function selectableStatuses(bug: Pick<ErrorLog, 'source'>, all: readonly BugStatus[]): BugStatus[] {
  return all.filter((s) => s !== 'FIXING' && (s !== 'PENDING_FIX' || bug.source === 'runtime'));
}

const timeFormat = new Intl.DateTimeFormat('zh-CN', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** An ISO 8601 time shown in the browser's local time zone; `-` when absent or unparsable. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '-';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : timeFormat.format(date);
}

/** Stack trace as text: strings as they are, frame lists one frame a line. */
export function stackTraceText(trace: string | StackFrame[] | null | undefined): string {
  if (trace === null || trace === undefined || trace === '') return '';
  if (typeof trace === 'string') return trace;
  return trace
    .map((frame) => {
      if (typeof frame === 'string') return frame;
      const f = frame as Record<string, unknown>;
      const file = f.file ?? f.filename ?? f.file_path;
      const line = f.line ?? f.lineno ?? f.line_number;
      const func = f.function ?? f.func ?? f.name;
      if (file !== undefined || func !== undefined) {
        const where = `${file ?? '?'}${line !== undefined ? `:${line}` : ''}`;
        const code = typeof f.code === 'string' ? `\n    ${f.code}` : '';
        return `  ${where}${func !== undefined ? ` in ${func}` : ''}${code}`;
      }
      return JSON.stringify(frame);
    })
    .join('\n');
}

/** A URL safe to put in href: only http(s); anything else (javascript:, data:) is not linked. */
export function safeHttpUrl(value: unknown): string | null {
  if (typeof value !== 'string' || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A context value as display text ('-' for absent). */
export function contextText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const SHA = /^[0-9a-f]{7,64}$/i;

/** A commit sha as people read it: the first 7 characters. */
export function shortSha(sha: string | null | undefined): string {
  if (!sha) return '-';
  return SHA.test(sha) ? sha.slice(0, 7) : sha;
}

/** A release's name: its version, or the short sha when it is named by its commit. */
export function releaseName(release: { version: string }): string {
  return SHA.test(release.version) ? release.version.slice(0, 7) : release.version;
}
