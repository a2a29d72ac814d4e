/** Bar charts drawn on the server as SVG, each with its numbers as a table for screen readers. */
import { html, type Raw } from "./html.js";
import type { Bucket } from "./model.js";

export function barChart(id: string, title: string, buckets: readonly Bucket[], hotUntil = 0): Raw {
  const w = 760;
  const h = 220;
  const left = 36;
  const bottom = 40;
  const top = 16;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const step = (w - left - 10) / buckets.length;
  const bw = Math.max(4, step * 0.7);
  const y = (n: number) => top + (h - top - bottom) * (1 - n / max);
  const ticks = [0, Math.ceil(max / 2), max].filter((v, i, a) => a.indexOf(v) === i);
  return html`<figure aria-labelledby="${id}-cap">
<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-labelledby="${id}-cap" focusable="false">
${ticks.map((t) => html`<line class="axis" x1="${left}" x2="${w - 6}" y1="${y(t)}" y2="${y(t)}" stroke-dasharray="${t ? "3 4" : ""}"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`)}
${buckets.map((b, i) => {
  const x = left + i * step + (step - bw) / 2;
  return html`<rect class="bar${i < hotUntil ? " hot" : ""}" x="${x.toFixed(1)}" y="${y(b.count).toFixed(1)}" width="${bw.toFixed(1)}" height="${(h - bottom - y(b.count)).toFixed(1)}"><title>${b.label}: ${b.count}</title></rect>
${b.count ? html`<text x="${(x + bw / 2).toFixed(1)}" y="${(y(b.count) - 4).toFixed(1)}" text-anchor="middle">${b.count}</text>` : ""}<text x="${(x + bw / 2).toFixed(1)}" y="${h - bottom + 16}" text-anchor="middle">${b.label}</text>`;
})}
</svg>
<figcaption id="${id}-cap">${title}</figcaption>
</figure>`;
}
