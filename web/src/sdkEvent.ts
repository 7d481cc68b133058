// Reading what the Sentry-compatible ingest keeps of an SDK event (DESIGN.md "Sentry-compatible
// ingest"): the frames in `stack_trace` and `context.sentry`. Everything here is tolerant of
// missing or oddly typed fields: the data came from an SDK we do not control.
import type { StackFrame } from './api';

export interface Frame {
  kind: 'frame';
  file: string;
  line: number | null;
  column: number | null;
  func: string | null;
  module: string | null;
  contextLine: string | null;
  pre: string[];
  post: string[];
  /** null when the SDK did not say. */
  inApp: boolean | null;
}

/** A stack_trace entry that is not a frame (a chained exception's heading, a plain line). */
export interface TraceNote {
  kind: 'note';
  text: string;
}

export type TraceEntry = Frame | TraceNote;

export interface Breadcrumb {
  timestamp: string | null;
  category: string | null;
  level: string | null;
  type: string | null;
  message: string | null;
  data: Record<string, unknown> | null;
}

export interface SentryRequest {
  method: string | null;
  url: string | null;
}

function record(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function int(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}

function lines(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : String(v ?? ''))) : [];
}

/** The SDK part of a bug's or an occurrence's context; null for a native report. */
export function sentryContext(context: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  return record(context?.sentry);
}

function toFrame(f: Record<string, unknown>): Frame | null {
  const file = text(f.file) ?? text(f.filename) ?? text(f.abs_path) ?? text(f.file_path);
  const func = text(f.function) ?? text(f.func);
  const module = text(f.module);
  if (file === null && func === null && module === null) return null;
  const inApp = f.in_app;
  return {
    kind: 'frame',
    file: file ?? module ?? '?',
    line: int(f.line ?? f.lineno ?? f.line_number),
    column: int(f.column ?? f.colno),
    func,
    module,
    contextLine: text(f.context_line) ?? text(f.code),
    pre: lines(f.pre_context),
    post: lines(f.post_context),
    inApp: typeof inApp === 'boolean' ? inApp : null,
  };
}

/** A stack trace as entries, innermost last as stored; null when it is text (not a frame list). */
export function traceEntries(trace: string | StackFrame[] | null | undefined): TraceEntry[] | null {
  if (!Array.isArray(trace)) return null;
  return trace.map((item): TraceEntry => {
    if (typeof item === 'string') return { kind: 'note', text: item };
    const f = record(item) ?? {};
    const frame = toFrame(f);
    if (frame) return frame;
    // A chained exception's heading: {"exception": {"type", "value"}} (or flat type/value).
    const exc = record(f.exception) ?? f;
    const type = text(exc.type) ?? text(f.exception);
    const value = text(exc.value) ?? text(exc.message);
    if (type || value) return { kind: 'note', text: [type, value].filter(Boolean).join(': ') };
    return { kind: 'note', text: JSON.stringify(item) };
  });
}

export interface TraceSegment {
  heading: TraceNote | null;
  frames: Frame[];
}

/**
 * The trace for display: one segment per exception (a heading then its frames), the main
 * (last) exception first and each segment's innermost frame first, as Sentry shows them.
 */
export function displayOrder(entries: TraceEntry[]): TraceSegment[] {
  const segments: TraceSegment[] = [];
  let current: TraceSegment = { heading: null, frames: [] };
  for (const e of entries) {
    if (e.kind === 'note') {
      if (current.heading || current.frames.length) segments.push(current);
      current = { heading: e, frames: [] };
    } else current.frames.push(e);
  }
  if (current.heading || current.frames.length) segments.push(current);
  return segments.reverse().map((s) => ({ heading: s.heading, frames: [...s.frames].reverse() }));
}

/** Whether a trace has frames with source lines worth drawing as code (SDK events do). */
export function hasFrames(entries: TraceEntry[] | null): entries is TraceEntry[] {
  return !!entries && entries.some((e) => e.kind === 'frame');
}

/** Tags as sorted [key, value] pairs: Sentry sends an object or a list of pairs. */
export function tagsOf(sentry: Record<string, unknown> | null): [string, string][] {
  const raw = sentry?.tags;
  const pairs: [string, string][] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (Array.isArray(item) && item.length === 2) pairs.push([String(item[0]), text(item[1]) ?? JSON.stringify(item[1])]);
      else {
        const r = record(item);
        if (r && text(r.key) !== null) pairs.push([String(r.key), text(r.value) ?? JSON.stringify(r.value)]);
      }
    }
  } else {
    const r = record(raw);
    if (r) for (const [k, v] of Object.entries(r)) pairs.push([k, text(v) ?? JSON.stringify(v)]);
  }
  return pairs.sort((a, b) => a[0].localeCompare(b[0]));
}

/** The request the event happened in (url and method), or null. */
export function requestOf(sentry: Record<string, unknown> | null): SentryRequest | null {
  if (!sentry) return null;
  const r = record(sentry.request);
  const url = text(r?.url) ?? text(sentry.request_url) ?? text(sentry.url);
  const method = text(r?.method) ?? text(sentry.request_method) ?? text(sentry.method);
  return url || method ? { url, method } : null;
}

/** Breadcrumbs oldest first (as SDKs send them; the ingest keeps the last 20). */
export function breadcrumbsOf(sentry: Record<string, unknown> | null): Breadcrumb[] {
  const raw = sentry?.breadcrumbs;
  const list = Array.isArray(raw) ? raw : Array.isArray(record(raw)?.values) ? (record(raw)!.values as unknown[]) : [];
  return list
    .map((b) => record(b))
    .filter((b): b is Record<string, unknown> => b !== null)
    .map((b) => ({
      timestamp: breadcrumbTime(b.timestamp),
      category: text(b.category),
      level: text(b.level),
      type: text(b.type),
      message: text(b.message),
      data: record(b.data),
    }));
}

/** Breadcrumb timestamps come as ISO text or as seconds since the epoch (browser SDK). */
function breadcrumbTime(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  return text(value);
}

/** `contexts` (os, runtime, browser, device, …) as [name, "Name version"] lines. */
export function contextsOf(sentry: Record<string, unknown> | null): [string, string][] {
  const contexts = record(sentry?.contexts);
  if (!contexts) return [];
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(contexts)) {
    const c = record(value);
    if (!c) continue;
    const summary =
      [text(c.name), text(c.version)].filter(Boolean).join(' ') ||
      text(c.model) ||
      text(c.trace_id) ||
      Object.entries(c)
        .filter(([, v]) => text(v) !== null)
        .map(([k, v]) => `${k}=${text(v)}`)
        .slice(0, 4)
        .join(', ');
    if (summary) out.push([key, summary]);
  }
  return out;
}

/** The few scalar facts of an SDK event worth a line each. */
export function sdkFacts(sentry: Record<string, unknown> | null): [string, string][] {
  if (!sentry) return [];
  const sdk = record(sentry.sdk);
  const user = record(sentry.user);
  const facts: [string, string | null][] = [
    ['事件 ID', text(sentry.event_id)],
    ['平台', text(sentry.platform)],
    ['SDK', sdk ? [text(sdk.name), text(sdk.version)].filter(Boolean).join(' ') || null : text(sentry.sdk)],
    ['事务', text(sentry.transaction)],
    ['服务器', text(sentry.server_name)],
    ['用户', text(user?.id) ?? text(sentry.user_id) ?? text(sentry.user)],
  ];
  return facts.filter((f): f is [string, string] => !!f[1]);
}
