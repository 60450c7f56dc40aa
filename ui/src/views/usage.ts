// The Usage view: this month's egress (what Xero's APIs sent back through the gateway), as the
// core reports it: a summary against the tier's allowance, a chart of the month day by day, and a
// bar per client. The chart is SVG drawn here (a few dozen shapes need no charting library), in
// the page's colours, so it reads in light and dark alike. It fetches each time it is shown.

import type { UsageView as Usage } from "../bindings/UsageView";
import { $, esc, toastError } from "../dom";
import { fmtBytes, fmtCount } from "../format";
import { invoke } from "../ipc";

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 64, right: 12, top: 12, bottom: 24 };

/** The summary above the chart, in a sentence or two. */
function summary(u: Usage): string {
  const tier = u.tier ? `${u.tier[0].toUpperCase()}${u.tier.slice(1)}'s` : "the";
  let allowance: string;
  if (u.allowance !== null) {
    const share = u.allowance > 0 ? (100 * u.wire) / u.allowance : 0;
    allowance = `<strong>${share.toFixed(1)} %</strong> of ${esc(tier)} ${fmtBytes(u.allowance)} allowance.`;
  } else if (u.tier) {
    allowance = `The ${esc(u.tier)} tier has no egress allowance.`;
  } else {
    allowance = "No allowance is known: set your app's tier in the configuration (<code>tenantry config set tier TIER</code>).";
  }
  const overage =
    u.projected_overage_aud > 0 ? `, <span class="error">about A$${u.projected_overage_aud.toFixed(2)} past the allowance</span>` : "";
  return `<strong>${fmtBytes(u.wire)}</strong> downloaded in ${u.month} (${fmtBytes(u.decoded)} decoded) in ${fmtCount(u.calls)} calls. ${allowance}
    At this month's rate so far, ${fmtBytes(u.projected_wire)} by its end${overage}.`;
}

/** The month day by day: a bar per day for the total so far, the allowance, and the projection. */
function chart(u: Usage): string {
  const w = WIDTH - PAD.left - PAD.right;
  const h = HEIGHT - PAD.top - PAD.bottom;
  const top = Math.max(u.projected_wire, u.allowance ?? 0, u.wire, 1) * 1.05;
  const x = (day: number) => PAD.left + (w * (day - 1)) / u.month_days;
  const y = (bytes: number) => PAD.top + h - (h * bytes) / top;
  const slot = w / u.month_days;
  const bars = u.days
    .map((d, i) => {
      const yy = y(d.to_date);
      return `<rect class="bar" x="${(x(i + 1) + slot * 0.15).toFixed(1)}" y="${yy.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${(PAD.top + h - yy).toFixed(1)}"><title>${esc(d.day)}: ${fmtBytes(d.wire)} that day, ${fmtBytes(d.to_date)} so far</title></rect>`;
    })
    .join("");
  const last = u.days.length;
  const projection =
    last > 0 && last < u.month_days
      ? `<line class="projection" x1="${(x(last) + slot / 2).toFixed(1)}" y1="${y(u.wire).toFixed(1)}" x2="${(PAD.left + w).toFixed(1)}" y2="${y(u.projected_wire).toFixed(1)}"><title>${fmtBytes(u.projected_wire)} by the month's end at its rate so far</title></line>`
      : "";
  const allowance =
    u.allowance !== null
      ? `<line class="allowance" x1="${PAD.left}" x2="${PAD.left + w}" y1="${y(u.allowance).toFixed(1)}" y2="${y(u.allowance).toFixed(1)}" />
         <text class="allowance-label" x="${PAD.left + w - 4}" y="${(y(u.allowance) - 4).toFixed(1)}" text-anchor="end">allowance ${fmtBytes(u.allowance)}</text>`
      : "";
  const ticks = [0, top / 2, top]
    .map((v) => `<text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmtBytes(Math.round(v))}</text>`)
    .join("");
  const days = [1, Math.ceil(u.month_days / 2), u.month_days]
    .map((d) => `<text class="axis" x="${(x(d) + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${d}</text>`)
    .join("");
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Downloads so far this month, day by day, against the allowance">
    <line class="axis-line" x1="${PAD.left}" x2="${PAD.left + w}" y1="${PAD.top + h}" y2="${PAD.top + h}" />
    ${ticks}${days}${bars}${projection}${allowance}</svg>`;
}

/** A bar per client, its length against the largest. */
function bars(u: Usage): string {
  if (u.organisations.length === 0) return `<p class="muted">No calls through the gateway this month.</p>`;
  const most = Math.max(...u.organisations.map((o) => o.wire), 1);
  return u.organisations
    .map(
      (o) => `<div class="usage-row" data-tenant="${esc(o.tenant_id)}">
        <span class="usage-name">${esc(o.name ?? o.tenant_id)}</span>
        <span class="usage-track"><span class="usage-fill" style="width:${((100 * o.wire) / most).toFixed(1)}%"></span></span>
        <span class="usage-figure">${fmtBytes(o.wire)} <span class="muted">· ${fmtCount(o.calls)} calls</span></span></div>`,
    )
    .join("");
}

export class UsageView {
  async load() {
    try {
      const u = await invoke("usage");
      $("usage-summary").innerHTML = summary(u);
      $("usage-days").innerHTML = chart(u);
      $("usage-orgs").innerHTML = bars(u);
    } catch (e) {
      toastError(e);
    }
  }
}
