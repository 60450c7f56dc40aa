// The Access view: who can reach which client, as the core's access report has it (a row per
// login and client), the clients one login alone reaches marked, sortable by any column and
// filtered as you type; the logins still on the scopes Xero is retiring; and Export CSV…, which
// the app saves where the system's save dialog says. It fetches each time it is shown.

import type { AccessRow } from "../bindings/AccessRow";
import type { AccessView as Access } from "../bindings/AccessView";
import { $, esc, toast, toastError } from "../dom";
import { fmtDate } from "../format";
import { invoke } from "../ipc";

type Column = "login_email" | "organisation" | "state" | "only_route" | "connected_at" | "last_confirmed";

const STATE_WORDS: Record<string, string> = {
  connected: "Connected",
  needs_reconnect: "Needs reconnect",
  disconnected: "Disconnected",
  error: "Error",
};

export class AccessView {
  private data: Access | null = null;
  private sort: { column: Column; ascending: boolean } = { column: "login_email", ascending: true };
  private wired = false;

  async load() {
    this.wire();
    try {
      this.data = await invoke("access");
      this.render();
    } catch (e) {
      toastError(e);
    }
  }

  private wire() {
    if (this.wired) return;
    this.wired = true;
    $("access-filter").addEventListener("input", () => this.render());
    $("access-only").addEventListener("change", () => this.render());
    for (const th of document.querySelectorAll<HTMLElement>("#access-table th[data-sort]")) {
      th.addEventListener("click", () => {
        const column = th.dataset.sort as Column;
        this.sort = { column, ascending: this.sort.column === column ? !this.sort.ascending : true };
        this.render();
      });
    }
    $("access-export").addEventListener("click", () => void this.export());
  }

  private async export() {
    try {
      const path = await invoke("export_access_csv");
      if (path) toast(`Saved ${path}`);
    } catch (e) {
      toastError(e);
    }
  }

  private shown(rows: AccessRow[]): AccessRow[] {
    const needle = $<HTMLInputElement>("access-filter").value.trim().toLowerCase();
    const only = $<HTMLInputElement>("access-only").checked;
    const kept = rows.filter(
      (r) =>
        (!only || r.only_route) &&
        (needle === "" ||
          r.login_email.toLowerCase().includes(needle) ||
          r.organisation.toLowerCase().includes(needle) ||
          r.tenant_id.toLowerCase().startsWith(needle)),
    );
    const { column, ascending } = this.sort;
    const key = (r: AccessRow) => String(r[column] ?? "").toLowerCase();
    kept.sort((a, b) => (ascending ? 1 : -1) * key(a).localeCompare(key(b)));
    return kept;
  }

  private render() {
    const a = this.data;
    if (!a) return;
    $("access-summary").innerHTML = `<strong>${a.logins}</strong> login${a.logins === 1 ? "" : "s"}, <strong>${a.organisations}</strong> client${
      a.organisations === 1 ? "" : "s"
    }; <strong>${a.single_route}</strong> reachable through one login only.`;
    for (const th of document.querySelectorAll<HTMLElement>("#access-table th[data-sort]")) {
      if (th.dataset.sort === this.sort.column) th.setAttribute("aria-sort", this.sort.ascending ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    $("access-rows").innerHTML = this.shown(a.rows)
      .map(
        (r) => `<tr class="${r.only_route ? "only-route" : ""}" data-tenant="${esc(r.tenant_id)}" data-login="${esc(r.login_id)}">
          <td>${esc(r.login_email)}</td>
          <td>${esc(r.organisation)}<br /><span class="muted">${esc(r.tenant_type.toLowerCase())}</span></td>
          <td><span class="badge s-${esc(r.state)}">${esc(STATE_WORDS[r.state] ?? r.state)}</span></td>
          <td>${r.only_route ? `<span class="badge b-error only-route-mark">Only route</span>` : `<span class="muted">Shared</span>`}</td>
          <td>${esc(fmtDate(r.connected_at))}${r.connected_by ? `<br /><span class="muted">by ${esc(r.connected_by)}</span>` : ""}</td>
          <td>${esc(fmtDate(r.last_confirmed))}</td></tr>`,
      )
      .join("");
    $("access-scopes").innerHTML =
      a.retiring_scopes.length === 0
        ? ""
        : `<h3>Scopes Xero is retiring</h3><p class="muted">These logins must consent again for the granular scopes by September 2027: <code>tenantry connect --reconnect LOGIN --migrate-scopes</code>.</p><ul>${a.retiring_scopes
            .map((l) => `<li class="retiring">${esc(l.login_email)}: ${l.scopes.map((s) => `<code>${esc(s)}</code>`).join(", ")}</li>`)
            .join("")}</ul>`;
  }
}
