// Senders page: one sender's messages a day as rampartd decided them
// (GET /api/senders "days": [[day, messages, flagged, refused], ...], UTC
// days from rampartd's own bounded history), drawn with uPlot.
import uPlot from 'uplot';

export function senderPlot(box, width, days) {
  box.replaceChildren();
  if (!days || days.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.id = 'sender-plot-none';
    p.textContent = 'No message from this sender in the last 30 days (or since the history began).';
    box.append(p);
    return null;
  }
  const t = days.map((d) => d[0] * 86400);
  const series = [{}, { label: 'messages', stroke: 'hsl(210 60% 40%)', width: 2 },
    { label: 'flagged', stroke: 'hsl(40 80% 45%)', width: 2 }, { label: 'refused', stroke: 'hsl(0 65% 45%)', width: 2 }]
    .map((s, i) => (i ? { ...s, points: { show: true, size: 6 } } : s));
  const now = Date.now() / 1000;
  return new uPlot({ width, height: 220, series, axes: [{}, { label: 'messages/day' }],
    scales: { x: { time: true, range: () => [Math.min(t[0], now - 30 * 86400), now] },
      y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } } },
  [t, days.map((d) => d[1]), days.map((d) => d[2]), days.map((d) => d[3])], box);
}
