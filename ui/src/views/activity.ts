// The Activity view: the engine's event log, for one login or all ("why did this org drop?"), and
// the call log, every call programs made through the gateway, filtered by client, program and how
// far back. Each is fetched when shown; the logs are the engine's, not kept here.

import type { CallView } from "../bindings/CallView";
import type { LoginView } from "../bindings/LoginView";
import type { OrgView } from "../bindings/OrgView";
import { $, esc, toastError } from "../dom";
import { byText, fmtBytes, fmtCount, fmtDate } from "../format";
import { invoke } from "../ipc";

type Tab = "events" | "calls";

export class ActivityView {
  private readonly select = $<HTMLSelectElement>("activity-login");
  private readonly orgSelect = $<HTMLSelectElement>("calls-org");
  private tab: Tab = "events";
  /** Each load's number: a slower, older answer must not overwrite a newer one. */
  private loads = 0;

  /** `logins` and `organisations` give what to choose from, as of the latest overview. */
  constructor(
    private readonly logins: () => readonly LoginView[],
    private readonly organisations: () => readonly OrgView[],
  ) {}

  show(tab: Tab) {
    this.tab = tab;
    for (const name of ["events", "calls"] as const) {
      $(`activity-tab-${name}`).setAttribute("aria-selected", String(name === tab));
      $(`activity-${name}`).hidden = name !== tab;
    }
    void this.load();
  }

  async load() {
    if (this.tab === "calls") return this.loadCalls();
    const chosen = this.select.value;
    // Rebuilt each time, since logins come and go; the chosen one stays chosen.
    this.select.innerHTML =
      `<option value="">All logins</option>` +
      this.logins().map((l) => `<option value="${esc(l.id)}" ${l.id === chosen ? "selected" : ""}>${esc(l.email)}</option>`).join("");
    try {
      const events = await invoke("events", { login: chosen || null });
      $("activity").innerHTML = events.length
        ? events
            .map(
              (e) =>
                `<tr><td>${esc(fmtDate(e.at))}</td><td><span class="kind k-${esc(e.kind)}">${esc(e.kind.replace(/_/g, " "))}</span></td><td>${esc(e.login_email ?? e.login_id ?? "")}</td><td>${esc(e.detail)}${e.by ? ` <span class="by">by ${esc(e.by)}</span>` : ""}</td></tr>`,
            )
            .join("")
        : `<tr><td colspan="4" class="muted">Nothing has happened yet.</td></tr>`;
    } catch (e) {
      toastError(e);
    }
  }

  private async loadCalls() {
    const chosen = this.orgSelect.value;
    // One option per client (a client two logins reach is listed once), by name.
    const clients = new Map<string, string>();
    for (const o of this.organisations()) clients.set(o.tenant_id, o.name);
    this.orgSelect.innerHTML =
      `<option value="">All clients</option>` +
      [...clients.entries()]
        .sort((a, b) => byText(a[1], b[1]))
        .map(([id, name]) => `<option value="${esc(id)}" ${id === chosen ? "selected" : ""}>${esc(name)}</option>`)
        .join("");
    const program = $<HTMLInputElement>("calls-program").value.trim();
    const since = $<HTMLSelectElement>("calls-since").value;
    const load = ++this.loads;
    try {
      const calls = await invoke("calls", { org: chosen || null, program: program || null, hours: since ? Number(since) : null });
      if (load !== this.loads) return;
      $("calls").innerHTML = calls.length
        ? calls.map(row).join("")
        : `<tr><td colspan="7" class="muted">No calls${program || chosen ? " match" : " yet"}.</td></tr>`;
      $("calls-count").textContent = calls.length ? `${fmtCount(calls.length)} calls, newest first` : "";
    } catch (e) {
      toastError(e);
    }
  }
}

function row(c: CallView): string {
  const program = c.tool ? `${esc(c.program)} <span class="muted">(${esc(c.tool)})</span>` : esc(c.program);
  const bad = c.status >= 400 ? ` class="status-bad"` : "";
  const by = c.by ? ` <span class="by">by ${esc(c.by)}</span>` : "";
  return (
    `<tr><td>${esc(fmtDate(c.at))}</td><td>${program}${by}</td><td>${esc(c.organisation)}</td>` +
    `<td class="path">${esc(c.method)} ${esc(c.path)}</td><td${bad}>${c.status}</td>` +
    `<td class="num">${esc(fmtBytes(c.bytes))}</td><td class="num">${fmtCount(c.duration_ms)} ms</td></tr>`
  );
}
