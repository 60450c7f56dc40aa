// The Activity view: the engine's event log, for one login or all ("why did this org drop?").
// It fetches the log each time it is shown; the log is the engine's, not kept here.

import type { LoginView } from "../bindings/LoginView";
import { $, esc, toastError } from "../dom";
import { fmtDate } from "../format";
import { invoke } from "../ipc";

export class ActivityView {
  private readonly select = $<HTMLSelectElement>("activity-login");

  /** `logins` gives the logins to choose from, as of the latest overview. */
  constructor(private readonly logins: () => readonly LoginView[]) {}

  async load() {
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
}
