// Typed client for the Log Center API (DESIGN.md "Routes" and "Response shapes").
//
// The base URL comes from the runtime config file `config.js` served next to index.html
// (window.LOGCENTER_CONFIG.apiBaseUrl); empty or absent means the page's own origin.
// A 401 asks the user for the API token once, keeps it in localStorage and retries.

export const SOURCES = ['runtime', 'cicd', 'deployment'] as const;
export type Source = (typeof SOURCES)[number];

export const STATUSES = [
  'NEW',
  'PENDING_FIX',
  'FIXING',
  'FIXED',
  'VERIFIED',
  'DEPLOYED',
  'FIX_FAILED',
  'CANNOT_REPRODUCE',
  'IGNORED',
] as const;
export type BugStatus = (typeof STATUSES)[number];

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type Level = (typeof LEVELS)[number];

export type StackFrame = string | Record<string, unknown>;

export interface ErrorLog {
  id: number;
  project_id: string;
  source: Source;
  level: Level;
  environment?: string | null;
  version?: string | null;
  commit_hash?: string | null;
  error_type: string;
  error_message?: string | null;
  file_path?: string | null;
  line_number?: number | null;
  stack_trace?: string | StackFrame[] | null;
  context: Record<string, unknown>;
  fingerprint: string;
  status: BugStatus;
  occurrence_count: number;
  is_regression: boolean;
  first_seen_at: string;
  last_seen_at: string;
  reported_at?: string | null;
}

export interface StatusChange {
  from_status: BugStatus | null;
  to_status: BugStatus;
  note?: string | null;
  actor?: string | null;
  created_at: string;
}

/**
 * A bug as lists carry it (bugs, tasks/pending): no stack trace, the message cut to 300
 * characters (`error_message_truncated`), of the context only the short CI/CD and deployment
 * keys. `getBug` gives the whole bug.
 */
export interface BugSummary extends Omit<ErrorLog, 'stack_trace'> {
  error_message_truncated?: boolean;
}

export interface BugDetail extends ErrorLog {
  history: StatusChange[];
  first_version?: string | null;
  /** The release the bug was first counted in; null without a version or commit. */
  release?: ReleaseRef | null;
  /** The last deploy of its project and environment before it was first seen. */
  suspect_deploy?: Deploy | null;
}

export interface BugPage {
  items: BugSummary[];
  total: number;
  page: number;
  page_size: number;
  /** Set when a text search matched more than the server counts (1000): `total` is that cap. */
  total_capped?: boolean;
}

export interface ProjectSummary {
  project_id: string;
  bug_count: number;
  open_count: number;
  occurrence_count: number;
  last_seen_at: string | null;
  /** Set once the project is registered for Sentry SDKs. */
  sentry_id?: number | null;
  dsn?: string | null;
}

/** One page of projects; `total` counts every project (a client can make tens of thousands). */
export interface ProjectList {
  items: ProjectSummary[];
  total: number;
  page?: number;
  page_size?: number;
}

export interface ProjectListParams {
  /** A substring of the project id (case-insensitive). */
  q?: string;
  source?: Source | string;
  page?: number;
  page_size?: number;
  /** project_id (default), or -bug_count, -last_seen_at, … */
  sort?: string;
}

export interface DashboardStats {
  total_bugs: number;
  today_bugs: number;
  total_occurrences: number;
  status_distribution: Record<string, number>;
  level_distribution: Record<string, number>;
  /** The projects with the most bugs (at most 20); the rest are summed in project_distribution_others. */
  project_distribution: Record<string, number>;
  project_count?: number;
  project_distribution_others?: { projects: number; bugs: number };
  source_distribution: Record<Source, number>;
  trend: { date: string; count: number }[];
  timezone?: string;
}

export interface BugListParams {
  project_id?: string;
  source?: Source | string;
  status?: BugStatus | string;
  level?: Level | string;
  q?: string;
  page?: number;
  page_size?: number;
  sort?: string;
}

export interface StatsParams {
  source?: Source | string;
  project_id?: string;
}

export interface ErrorDetail {
  field?: string;
  issue?: string;
}

/** Every failure of a call: HTTP errors (with the API's error body) and network errors (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// ------------------------------------------------------------------ configuration

export interface RuntimeConfig {
  apiBaseUrl: string;
}

declare global {
  interface Window {
    LOGCENTER_CONFIG?: Partial<RuntimeConfig>;
  }
}

/** The runtime configuration, read on every call so tests (and a late config.js) take effect. */
export function getConfig(): RuntimeConfig {
  const raw = typeof window !== 'undefined' ? window.LOGCENTER_CONFIG : undefined;
  const base = raw && typeof raw.apiBaseUrl === 'string' ? raw.apiBaseUrl.trim() : '';
  return { apiBaseUrl: base.replace(/\/+$/, '') };
}

/** A query string ("?a=1&b=2") from the set parameters; empty values are left out. */
export function buildQuery(params: object = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function apiUrl(path: string, params?: object): string {
  return `${getConfig().apiBaseUrl}${path}${buildQuery(params)}`;
}

// ------------------------------------------------------------------ token

export const TOKEN_KEY = 'logcenter.apiToken';

export type TokenPrompt = () => string | null | Promise<string | null>;

const defaultPrompt: TokenPrompt = () =>
  window.prompt('Log Center API 需要访问令牌,请输入 API Token:');

let promptForToken: TokenPrompt = defaultPrompt;
let pendingPrompt: Promise<string | null> | null = null;
let promptDeclined = false;

/** Replace how the token is asked for (tests); `null` restores window.prompt. */
export function setTokenPrompt(prompt: TokenPrompt | null): void {
  promptForToken = prompt ?? defaultPrompt;
}

export function getToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) window.localStorage.setItem(TOKEN_KEY, token);
    else window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives only for this call
  }
}

/** Allow asking again after the user declined (the "输入令牌" button calls this). */
export function resetTokenPrompt(): void {
  promptDeclined = false;
  pendingPrompt = null;
}

/**
 * Ask for a token. Concurrent 401s share one prompt; once declined, we do not ask again
 * until resetTokenPrompt().
 */
async function askForToken(): Promise<string | null> {
  if (promptDeclined) return null;
  if (!pendingPrompt) {
    pendingPrompt = Promise.resolve()
      .then(() => promptForToken())
      .then((value) => {
        const token = (value ?? '').trim();
        if (!token) {
          promptDeclined = true;
          return null;
        }
        setToken(token);
        return token;
      })
      .finally(() => {
        pendingPrompt = null;
      });
  }
  return pendingPrompt;
}

// ------------------------------------------------------------------ requests

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error === 'object') {
    const details = Array.isArray(error.details) ? (error.details as ErrorDetail[]) : [];
    return new ApiError(
      response.status,
      typeof error.code === 'string' ? error.code : 'http_error',
      typeof error.message === 'string' ? error.message : `HTTP ${response.status}`,
      details,
    );
  }
  return new ApiError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText}`.trim());
}

async function send(url: string, init: RequestInit, token: string | null): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Accept', 'application/json');
  if (token) headers.set('Authorization', `Bearer ${token}`);
  try {
    return await fetch(url, { ...init, headers });
  } catch (cause) {
    throw new ApiError(0, 'network_error', `请求 ${url} 失败(${String(cause)}),请检查 API 服务是否在运行。`);
  }
}

export async function request<T>(path: string, init: RequestInit = {}, params?: object): Promise<T> {
  const url = apiUrl(path, params);
  let token = getToken();
  let response = await send(url, init, token);
  if (response.status === 401) {
    const stored = getToken();
    if (stored && stored !== token) {
      // Another call got a token while this one was in flight: use it, do not ask again.
      token = stored;
    } else {
      if (token) setToken(null); // the stored token is wrong or revoked
      token = await askForToken();
    }
    if (token) response = await send(url, init, token);
    if (response.status === 401 && getToken() === token) setToken(null);
  }
  if (!response.ok) throw await errorFrom(response);
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, 'bad_response', 'API 返回了无法解析的响应');
  }
}

export function getBugs(params: BugListParams = {}): Promise<BugPage> {
  return request<BugPage>('/api/v1/bugs', {}, params);
}

export function getBug(id: number | string): Promise<BugDetail> {
  return request<BugDetail>(`/api/v1/bugs/${encodeURIComponent(String(id))}`);
}

export function getProjects(params: ProjectListParams = {}): Promise<ProjectList> {
  return request<ProjectList>('/api/v1/projects', {}, params);
}

export function getStats(params: StatsParams = {}): Promise<DashboardStats> {
  return request<DashboardStats>('/api/v1/dashboard/stats', {}, params);
}

export function updateBugStatus(id: number | string, status: BugStatus, note?: string): Promise<BugDetail> {
  return request<BugDetail>(`/api/v1/bugs/${encodeURIComponent(String(id))}/status`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(note ? { status, note } : { status }),
  });
}

// ------------------------------------------------------------------ retention

export interface RetentionSetting {
  rule: string;
  description: string;
  /** The environment variable that sets it; null for a fixed limit. */
  setting: string | null;
  value: number;
}

export interface RetentionRun {
  dry_run: boolean;
  trigger: string;
  started_at: string;
  finished_at: string;
  removed: Record<string, number>;
  total_removed: number;
  batches: number;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  error?: string;
  seconds: number;
}

export interface RetentionStatus {
  settings: RetentionSetting[];
  last_runs: RetentionRun[];
}

export function getRetention(): Promise<RetentionStatus> {
  return request<RetentionStatus>('/api/v1/retention');
}

/** Count what a retention run would remove now (changes nothing). */
export function dryRunRetention(): Promise<RetentionRun> {
  return request<RetentionRun>('/api/v1/retention/run', { method: 'POST' }, { dry_run: 'true' });
}

// ------------------------------------------------------------------ occurrences

/** One counted report of a bug, as it was sent (DESIGN.md "Occurrences"). */
export interface Occurrence {
  id: number;
  seq: number;
  created_at: string;
  level?: Level | string | null;
  message?: string | null;
  environment?: string | null;
  version?: string | null;
  commit_hash?: string | null;
  reported_at?: string | null;
  event_id?: string | null;
  context: Record<string, unknown>;
  stack_trace?: string | StackFrame[] | null;
}

export interface OccurrencePage {
  items: Occurrence[];
  total: number;
  page: number;
  page_size: number;
}

export function getOccurrences(bugId: number | string, page = 1, pageSize = 10): Promise<OccurrencePage> {
  return request<OccurrencePage>(
    `/api/v1/bugs/${encodeURIComponent(String(bugId))}/occurrences`,
    {},
    { page, page_size: pageSize },
  );
}

// ------------------------------------------------------------------ projects (Sentry DSNs)

/** A project registered for Sentry SDKs (DESIGN.md "Projects and DSNs"). */
export interface RegisteredProject {
  project_id: string;
  sentry_id: number;
  public_key: string;
  dsn: string;
  repository?: string | null;
  created_at?: string | null;
  key_rotated_at?: string | null;
  bug_count?: number;
  open_count?: number;
  occurrence_count?: number;
  last_seen_at?: string | null;
}

export function getProject(projectId: string): Promise<RegisteredProject> {
  return request<RegisteredProject>(`/api/v1/projects/${encodeURIComponent(projectId)}`);
}

/** Register a project for SDKs (201 new, 200 when it already exists: unchanged). */
export function registerProject(projectId: string, repository?: string): Promise<RegisteredProject> {
  const body: Record<string, string> = { project_id: projectId };
  if (repository) body.repository = repository;
  return request<RegisteredProject>('/api/v1/projects', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** A new public key; the old DSN is refused from then on. */
export function rotateProjectKey(projectId: string): Promise<RegisteredProject> {
  return request<RegisteredProject>(`/api/v1/projects/${encodeURIComponent(projectId)}/rotate-key`, {
    method: 'POST',
  });
}

// ------------------------------------------------------------------ alerts

export const CHANNEL_TYPES = ['webhook', 'feishu', 'dingtalk', 'wecom', 'slack'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface AlertTriggers {
  new_bug: boolean;
  regression: boolean;
  spike: { count: number; minutes: number } | null;
}

/** An alert rule (DESIGN.md "Alerts"); the server never returns a secret, only "***". */
export interface AlertRule {
  id: number;
  name: string;
  enabled: boolean;
  project_id: string | null;
  sources: Source[];
  min_level: Level;
  triggers: AlertTriggers;
  channel: { type: ChannelType; url: string; secret: string | null };
  throttle_minutes: number;
  created_at: string;
  updated_at: string;
}

export type AlertRuleInput = Partial<Omit<AlertRule, 'id' | 'created_at' | 'updated_at' | 'channel'>> & {
  channel?: { type?: ChannelType; url?: string; secret?: string | null };
};

export interface AlertDelivery {
  id: number;
  rule_id: number;
  rule_name?: string | null;
  channel_type?: ChannelType | null;
  bug_id: number | null;
  project_id?: string | null;
  error_type?: string | null;
  event: 'new_bug' | 'regression' | 'spike' | 'digest' | 'test';
  status: 'pending' | 'sent' | 'failed';
  tries: number;
  last_error: string | null;
  response?: string | null;
  created_at: string;
  attempted_at: string | null;
  sent_at: string | null;
  next_attempt_at: string | null;
  digest_id: number | null;
}

export interface AlertTestResult {
  delivered: boolean;
  status: 'sent' | 'failed';
  delivery_id: number;
  answer: string;
  error: string | null;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export function getAlertRules(): Promise<{ items: AlertRule[]; total: number }> {
  return request('/api/v1/alerts');
}

export function createAlertRule(rule: AlertRuleInput): Promise<AlertRule> {
  return request('/api/v1/alerts', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(rule) });
}

export function updateAlertRule(id: number, change: AlertRuleInput): Promise<AlertRule> {
  return request(`/api/v1/alerts/${id}`, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify(change) });
}

export function deleteAlertRule(id: number): Promise<{ deleted: true }> {
  return request(`/api/v1/alerts/${id}`, { method: 'DELETE' });
}

/** Send a test message now; answers what the channel said. */
export function testAlertRule(id: number): Promise<AlertTestResult> {
  return request(`/api/v1/alerts/${id}/test`, { method: 'POST' });
}

export function getAlertDeliveries(
  params: { rule_id?: number; status?: string; limit?: number } = {},
): Promise<{ items: AlertDelivery[]; total: number }> {
  return request('/api/v1/alerts/deliveries', {}, params);
}

// ------------------------------------------------------------------- releases

export interface ReleaseCounts {
  cicd_failures: number;
  deployment_errors: number;
  new_runtime_bugs: number;
  regressions: number;
}

export interface Deploy {
  id: number;
  project_id: string;
  environment: string;
  /** The release's version. */
  version: string;
  commit_sha: string | null;
  url: string | null;
  actor: string | null;
  started_at: string | null;
  finished_at: string | null;
  deployed_at: string;
  created_at: string;
}

export interface ReleaseRef {
  project_id: string;
  version: string;
  commit_sha: string | null;
  first_seen_at: string;
}

export interface Release extends ReleaseRef {
  last_seen_at: string;
  deploy_count: number;
  counts: ReleaseCounts;
  /** The environment the list was asked for (its counts and deploys), else null. */
  environment: string | null;
  /** The newest deploys (10 in the list, 100 on a release's page). */
  deploys: Deploy[];
}

export interface ReleasePage {
  items: Release[];
  total: number;
  page: number;
  page_size: number;
}

/** A bug as a release lists it. */
export interface ReleaseBug {
  id: number;
  project_id: string;
  source: Source;
  level: Level;
  environment: string | null;
  error_type: string;
  error_message: string | null;
  status: BugStatus;
  occurrence_count: number;
  is_regression: boolean;
  first_seen_at: string;
  last_seen_at: string;
}

export interface ReleaseEnvironment {
  environment: string | null;
  first_seen_at: string;
  last_seen_at: string;
  deploy_count: number;
  counts: ReleaseCounts;
}

export interface ReleaseDetail extends Release {
  environments: ReleaseEnvironment[];
  cicd_failures: ReleaseBug[];
  deployment_errors: ReleaseBug[];
  new_runtime_bugs: ReleaseBug[];
  regressions: ReleaseBug[];
}

export interface ReleaseListParams {
  project_id?: string;
  environment?: string;
  page?: number;
  page_size?: number;
}

export function getReleases(params: ReleaseListParams = {}): Promise<ReleasePage> {
  return request<ReleasePage>('/api/v1/releases', {}, params);
}

export function getRelease(projectId: string, version: string, environment?: string): Promise<ReleaseDetail> {
  const path = `/api/v1/releases/${encodeURIComponent(projectId)}/${encodeURIComponent(version)}`;
  return request<ReleaseDetail>(path, {}, environment ? { environment } : {});
}

/** The dashboard's path of a release's page. */
export function releasePath(projectId: string, version: string): string {
  return `/releases/${encodeURIComponent(projectId)}/${encodeURIComponent(version)}`;
}
