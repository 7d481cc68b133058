import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetentionStatus } from '../api';
import { json } from '../testing';
import Settings, { ruleText } from './Settings';

const status: RetentionStatus = {
  settings: [
    { rule: 'resolved_bugs', description: '', setting: 'LOGCENTER_RESOLVED_RETENTION_DAYS', value: 180 },
    { rule: 'occurrences_over_cap', description: '', setting: 'LOGCENTER_OCCURRENCES_PER_BUG', value: 50 },
    { rule: 'old_occurrences', description: '', setting: 'LOGCENTER_RETENTION_DAYS', value: 90 },
    { rule: 'day_counters', description: '', setting: null, value: 400 },
    { rule: 'event_ids', description: '', setting: null, value: 24 },
  ],
  last_runs: [
    {
      dry_run: false,
      trigger: 'cron-connector',
      started_at: '2026-12-01T03:17:00Z',
      finished_at: '2026-12-01T03:17:02Z',
      removed: { resolved_bugs: 1200, occurrences_over_cap: 0, old_occurrences: 35000, day_counters: 2, event_ids: 9 },
      total_removed: 36211,
      batches: 12,
      status: 'ok',
      seconds: 2.4,
    },
  ],
};

const fetchMock = vi.fn<typeof fetch>();
beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('Settings', () => {
  it('shows each rule with the value in force and its setting, and the last run', async () => {
    fetchMock.mockResolvedValueOnce(json(status));
    render(<Settings />);
    await screen.findByText('LOGCENTER_RESOLVED_RETENTION_DAYS');
    expect(screen.getByText(/超过 180 天未再出现即删除/)).toBeTruthy();
    expect(screen.getByText(/只保留最近 50 次发生记录/)).toBeTruthy();
    expect(screen.getByText(/超过 90 天的发生记录删除/)).toBeTruthy();
    const runs = document.querySelector('table.retention-runs') as HTMLElement;
    const row = within(runs).getAllByRole('row')[1];
    expect(row.textContent).toContain('cron-connector');
    expect(row.textContent).toContain('完成');
    expect(row.textContent).toContain('35,000');
    expect(row.textContent).toContain('36,211');
  });

  it('a dry run asks the server to count and shows what it would remove', async () => {
    fetchMock.mockResolvedValueOnce(json({ ...status, last_runs: [] }));
    render(<Settings />);
    await screen.findByText('保留任务还没有运行过。');
    fetchMock.mockResolvedValueOnce(json({ ...status.last_runs[0], dry_run: true }));
    fireEvent.click(screen.getByRole('button', { name: '试算(不删除)' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('已解决缺陷:1,200 行'));
    const [url, init] = fetchMock.mock.calls[1];
    expect(String(url)).toBe('/api/v1/retention/run?dry_run=true');
    expect(init?.method).toBe('POST');
  });

  it('an unknown rule falls back to the server description', () => {
    expect(ruleText({ rule: 'future', description: 'something new', setting: null, value: 1 })).toBe('something new');
  });
});
