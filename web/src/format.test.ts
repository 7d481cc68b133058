import { describe, expect, it } from 'vitest';
import { STATUSES } from './api';
import {
  contextText,
  fileLocation,
  formatTime,
  repairState,
  safeHttpUrl,
  selectableStatuses,
  sourceBadgeClass,
  sourceLabel,
  stackTraceText,
} from './format';
import { niceMax } from './components/TrendChart';

describe('fileLocation (the 文件 column)', () => {
  it('is "-" without a file path', () => {
    expect(fileLocation({ file_path: null, line_number: null })).toBe('-');
    expect(fileLocation({ file_path: undefined, line_number: 3 })).toBe('-');
    expect(fileLocation({ file_path: '', line_number: 3 })).toBe('-');
  });
  it('is path:line, or the path alone without a line', () => {
    expect(fileLocation({ file_path: 'app/x.py', line_number: 42 })).toBe('app/x.py:42');
    expect(fileLocation({ file_path: 'app/x.py', line_number: 0 })).toBe('app/x.py:0');
    expect(fileLocation({ file_path: 'app/x.py', line_number: null })).toBe('app/x.py');
  });
});

describe('source badges', () => {
  it('labels and classes per source', () => {
    expect(sourceLabel('runtime')).toBe('运行时');
    expect(sourceLabel('cicd')).toBe('CI/CD');
    expect(sourceLabel('deployment')).toBe('部署');
    expect(sourceBadgeClass('runtime')).toBe('source-badge source-runtime');
    expect(sourceBadgeClass('cicd')).toBe('source-badge source-cicd');
    expect(sourceBadgeClass('deployment')).toBe('source-badge source-deployment');
    expect(sourceBadgeClass('x onmouseover')).toBe('source-badge');
  });
});

describe('触发修复 rule', () => {
  it('is only for runtime bugs', () => {
    expect(repairState({ source: 'runtime', status: 'NEW' }).enabled).toBe(true);
    expect(repairState({ source: 'runtime', status: 'FIX_FAILED' }).enabled).toBe(true);
    for (const source of ['cicd', 'deployment'] as const) {
      const state = repairState({ source, status: 'NEW' });
      expect(state.enabled).toBe(false);
      expect(state.hint).toContain('无法自动修复');
    }
    expect(repairState({ source: 'cicd', status: 'NEW' }).hint).toMatch(/^CI\/CD 错误/);
    expect(repairState({ source: 'deployment', status: 'NEW' }).hint).toMatch(/^部署错误/);
  });
  it('is off while the bug is already queued or being fixed', () => {
    expect(repairState({ source: 'runtime', status: 'PENDING_FIX' }).enabled).toBe(false);
    expect(repairState({ source: 'runtime', status: 'FIXING' }).enabled).toBe(false);
  });
  it('the status changer never offers FIXING, nor PENDING_FIX for non-runtime bugs', () => {
    expect(selectableStatuses({ source: 'runtime' }, STATUSES)).not.toContain('FIXING');
    expect(selectableStatuses({ source: 'runtime' }, STATUSES)).toContain('PENDING_FIX');
    expect(selectableStatuses({ source: 'cicd' }, STATUSES)).not.toContain('PENDING_FIX');
    expect(selectableStatuses({ source: 'deployment' }, STATUSES)).toHaveLength(STATUSES.length - 2);
  });
});

describe('text helpers', () => {
  it('only http(s) URLs become links', () => {
    expect(safeHttpUrl('https://ci.example/run/1')).toBe('https://ci.example/run/1');
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,<script>')).toBeNull();
    expect(safeHttpUrl('not a url')).toBeNull();
    expect(safeHttpUrl(5)).toBeNull();
  });
  it('stack traces: strings as they are, frame lists one a line', () => {
    expect(stackTraceText(null)).toBe('');
    expect(stackTraceText('Traceback\n  x')).toBe('Traceback\n  x');
    expect(stackTraceText(['a', { file: 'app/x.py', line: 3, function: 'f' }, { other: 1 }])).toBe(
      'a\n  app/x.py:3 in f\n{"other":1}',
    );
  });
  it('context values', () => {
    expect(contextText(undefined)).toBe('-');
    expect(contextText(0)).toBe('0');
    expect(contextText({ a: 1 })).toBe('{"a":1}');
  });
  it('times: local rendering of ISO strings, "-" when absent', () => {
    expect(formatTime(null)).toBe('-');
    expect(formatTime('garbage')).toBe('garbage');
    expect(formatTime('2026-11-27T10:00:00Z')).toMatch(/2026/);
  });
  it('trend axis maximum is a nice number', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(120)).toBe(200);
  });
});
