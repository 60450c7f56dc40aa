// The Clients view: every organisation once, with its own state (derived in the core), the login
// it goes through, when Xero last confirmed it and the action that fixes it; sortable, with a
// "problems only" filter and a text filter. Filtering is done on the data; the table is
// virtualised as the Logins list is (only the rows near the window are in the DOM), because
// showing 900 hidden rows again laid all of them out: 111 ms for one keystroke at 1,000
// organisations (docs/BENCHMARKS.md). A filtered list of up to 50 rows is drawn whole (200
// drawn whole cost 49-58 ms a keystroke; 50 is about two screens).

import type { ClientView } from "../bindings/ClientView";
import type { Overview } from "../bindings/Overview";
import { $, confirmAction, esc, toast, toastError } from "../dom";
import { byText, CLIENT_RANK, CLIENT_STATE, fmtCount, fmtDate, zoneNote } from "../format";
import { invoke } from "../ipc";
import { VirtualList } from "../virtual-list";

/** Up to this many rows, the table is drawn whole (the page's find and screen readers see all). */
const WHOLE_TABLE_ROWS = 50;
/** A row's height before one like it was measured: a state badge alone, or with its reason. */
const ROW_HEIGHT = 41;
const ROW_WITH_REASON = 60;

type SortKey = "name" | "state" | "through" | "checked";
const FIRST_PAINT = "tenantry:first-clients-paint";

const COMPARE: Record<SortKey, (a: ClientView, b: ClientView) => number> = {
  name: (a, b) => byText(a.name, b.name),
  state: (a, b) => CLIENT_RANK[a.state] - CLIENT_RANK[b.state] || byText(a.name, b.name),
  through: (a, b) => byText(a.through_email, b.through_email) || byText(a.name, b.name),
  checked: (a, b) => byText(a.checked_at ?? "", b.checked_at ?? "") || byText(a.name, b.name),
};

function action(c: ClientView): string {
  const login = `data-login="${esc(c.through_id)}"`;
  switch (c.state) {
    case "connected":
      return `<button type="button" class="small" data-action="test" data-tenant="${esc(c.tenant_id)}" data-name="${esc(c.name)}">Test connection</button>`;
    case "needs_reconnect":
      return `<button type="button" class="small primary" data-action="reconnect" ${login}>Reconnect ${esc(c.through_email)}</button>`;
    case "disconnected":
      return `<button type="button" class="small primary" data-action="reconnect" ${login}>Reconnect ${esc(c.through_email)}</button>
        <button type="button" class="small danger-quiet" data-action="client-remove" ${login} data-tenant="${esc(c.tenant_id)}" data-name="${esc(c.name)}">Remove from list</button>`;
    case "error":
      return `<button type="button" class="small" data-action="client-retry" ${login} data-name="${esc(c.name)}">Try again</button>`;
  }
}

function row(c: ClientView, index: number, perDay: number): string {
  const more = c.logins > 1 ? ` <span class="muted">+${c.logins - 1}</span>` : "";
  return `<tr data-index="${index}" data-tenant="${esc(c.tenant_id)}" data-state="${c.state}">
    <th scope="row">${esc(c.name)}</th>
    <td><span class="badge s-${c.state}">${CLIENT_STATE[c.state]}</span>${c.reason ? `<div class="muted reason">${esc(c.reason)}</div>` : ""}</td>
    <td>${esc(c.through_email)}${more}</td>
    <td>${esc(fmtDate(c.checked_at))}${c.calls_left_today === null ? "" : `<div class="muted reason">${c.calls_left_today} of ${fmtCount(perDay)} calls left today</div>`}</td>
    <td class="row-actions">${action(c)}</td></tr>`;
}

export class ClientsView {
  private clients: ClientView[] = [];
  private sort: { key: SortKey; dir: 1 | -1 } = { key: "state", dir: 1 };
  private sorted: ClientView[] = [];
  /** Each organisation's calls a day, as the app's tier (or `daily_limit`) sets them. */
  private perDay = 5000;
  private keys: string[] = [];
  private readonly body = $<HTMLTableSectionElement>("clients");
  private readonly search = $<HTMLInputElement>("clients-search");
  private readonly problemsOnly = $<HTMLInputElement>("clients-problems");
  private readonly list: VirtualList<ClientView>;

  constructor(private readonly host: { load(): Promise<void> }) {
    $("clients-zone").textContent = zoneNote();
    this.list = new VirtualList(
      this.body,
      {
        key: (c) => (c.reason ? `${c.state}:reason` : c.state),
        estimate: (c) => (c.reason ? ROW_WITH_REASON : ROW_HEIGHT),
        html: (c, i) => row(c, i, this.perDay),
      },
      "tr[data-index]",
      0,
      (h) => `<tr class="spacer" aria-hidden="true"><td colspan="5" style="height:${h}px"></td></tr>`,
    );
  }

  /** For scroll and resize events while this view shows. */
  onScroll() {
    this.list.onScroll();
  }

  render(overview: Overview) {
    this.clients = overview.clients;
    this.perDay = overview.calls_per_day;
    this.draw();
  }

  sortBy(key: SortKey) {
    this.sort = { key, dir: this.sort.key === key ? (-this.sort.dir as 1 | -1) : 1 };
    this.draw();
  }

  private draw() {
    const { key, dir } = this.sort;
    this.sorted = [...this.clients].sort((a, b) => dir * COMPARE[key](a, b));
    this.keys = this.sorted.map((c) => `${c.name} ${c.tenant_id} ${c.through_email}`.toLowerCase());
    for (const th of document.querySelectorAll<HTMLElement>("#clients-table th[data-sort]")) {
      if (th.dataset.sort === key) th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    this.applyFilter();
    if (this.clients.length > 0 && performance.getEntriesByName(FIRST_PAINT).length === 0) {
      requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(FIRST_PAINT)));
    }
  }

  /** Shows the rows the filters keep, as far as they are in view. */
  applyFilter() {
    const q = this.search.value.trim().toLowerCase();
    const problems = this.problemsOnly.checked;
    const shown = this.sorted.filter(
      (c, i) => (!problems || c.state !== "connected") && (!q || this.keys[i].includes(q)),
    );
    if (shown.length) {
      this.list.show(shown, shown.length <= WHOLE_TABLE_ROWS);
    } else {
      const why = this.clients.length ? "No organisations match the filter." : "No organisations yet.";
      this.list.show([], true);
      this.body.innerHTML = `<tr><td colspan="5" class="muted">${why}</td></tr>`;
    }
    const needing = this.clients.filter((c) => c.state !== "connected").length;
    $("clients-counts").textContent = `${shown.length} of ${this.clients.length} organisations shown; ${needing} need attention`;
  }

  async act(button: HTMLButtonElement) {
    const d = button.dataset;
    if (d.action === "client-remove") {
      if (await confirmAction(`Remove ${d.name} from the list? Xero no longer lists it; reconnecting its login and ticking it at Xero brings it back.`, "Remove from list")) {
        await tellThen(() => invoke("disconnect", { login: d.login!, tenant: d.tenant! }), `Removed ${d.name} from the list.`);
      }
    } else if (d.action === "client-retry") {
      await tellThen(() => invoke("refresh_login", { login: d.login! }), `Tried ${d.name}'s login again.`);
    }
  }

  /** "Check with Xero": every login's token and its /connections, now. */
  async check(button: HTMLButtonElement) {
    button.disabled = true;
    try {
      const r = await invoke("check_with_xero");
      const parts = [`Checked ${r.logins} logins at Xero (${r.calls} calls)`];
      if (r.disconnected.length) parts.push(`disconnected: ${r.disconnected.join(", ")}`);
      if (r.added.length) parts.push(`new: ${r.added.join(", ")}`);
      if (r.need_reconnecting) parts.push(`${r.need_reconnecting} need reconnecting`);
      if (r.failed) parts.push(`${r.failed} could not be checked`);
      toast(parts.join("; ") + ".", r.disconnected.length || r.need_reconnecting || r.failed ? "error" : "ok");
      await this.host.load();
    } catch (e) {
      toastError(e);
    } finally {
      button.disabled = false;
    }
  }
}

async function tellThen(work: () => Promise<void>, done: string) {
  try {
    await work();
    toast(done);
  } catch (e) {
    toastError(e);
  }
}
