// The 14-day trend as a hand-rolled SVG bar chart (no charting library: bundle size).

interface Point {
  date: string;
  count: number;
}

const WIDTH = 1100;
const HEIGHT = 220;
const PAD = { top: 16, right: 12, bottom: 36, left: 40 };

/** Round the axis maximum up to a "nice" number (1, 2, 5 × 10^n). */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

export function TrendChart({ points }: { points: Point[] }) {
  if (!points.length) return <div className="state state-empty">暂无趋势数据。</div>;
  const max = niceMax(Math.max(...points.map((p) => p.count)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / points.length;
  const barW = Math.max(4, slot * 0.6);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const total = points.reduce((n, p) => n + p.count, 0);

  return (
    <figure className="trend">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`最近 ${points.length} 天共 ${total} 次`}
        className="trend-chart"
      >
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} className="trend-grid" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="trend-axis">
              {Number.isInteger(t) ? t : t.toFixed(1)}
            </text>
          </g>
        ))}
        {points.map((p, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2;
          const h = PAD.top + plotH - y(p.count);
          return (
            <g key={p.date} data-date={p.date} data-count={p.count}>
              <rect x={x} y={y(p.count)} width={barW} height={Math.max(h, 0)} className="trend-bar" rx={2}>
                <title>{`${p.date}: ${p.count} 次`}</title>
              </rect>
              {p.count > 0 ? (
                <text x={x + barW / 2} y={y(p.count) - 4} textAnchor="middle" className="trend-value">
                  {p.count}
                </text>
              ) : null}
              <text x={x + barW / 2} y={HEIGHT - PAD.bottom + 16} textAnchor="middle" className="trend-axis">
                {p.date.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
