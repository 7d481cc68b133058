// Ready-to-paste SDK set-up for a project's DSN (the 项目 page). `release` is what Log Center
// shows as the version; `environment` as the environment.

export const SNIPPET_KINDS = ['python', 'node', 'browser'] as const;
export type SnippetKind = (typeof SNIPPET_KINDS)[number];

export const SNIPPET_LABELS: Record<SnippetKind, string> = {
  python: 'Python',
  node: 'Node.js',
  browser: '浏览器',
};

/** A string literal safe in Python and JavaScript source alike (a DSN never needs escaping, a project id neither, but be exact). */
function literal(value: string): string {
  return JSON.stringify(value);
}

export function snippet(kind: SnippetKind, dsn: string, projectId: string): string {
  const release = literal(`${projectId}@1.0.0`);
  switch (kind) {
    case 'python':
      return [
        '# pip install sentry-sdk',
        'import sentry_sdk',
        '',
        'sentry_sdk.init(',
        `    dsn=${literal(dsn)},`,
        '    environment="production",',
        `    release=${release},`,
        ')',
        '',
      ].join('\n');
    case 'node':
      return [
        '// npm install @sentry/node',
        'const Sentry = require("@sentry/node");',
        '',
        'Sentry.init({',
        `  dsn: ${literal(dsn)},`,
        '  environment: "production",',
        `  release: ${release},`,
        '});',
        '',
      ].join('\n');
    case 'browser':
      return [
        '// npm install @sentry/browser',
        'import * as Sentry from "@sentry/browser";',
        '',
        'Sentry.init({',
        `  dsn: ${literal(dsn)},`,
        '  environment: "production",',
        `  release: ${release},`,
        '});',
        '',
      ].join('\n');
  }
}

/** Log Center's rule for a project_id (DESIGN.md "Report payload"). */
export const PROJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
