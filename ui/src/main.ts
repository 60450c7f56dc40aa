// Tenantry's window. It shows what the engine reports and asks it to act; it never sees a token
// (no command returns one). It updates itself from backend events rather than polling.

import type { ConnectResult } from "./bindings/ConnectResult";
import type { EventView } from "./bindings/EventView";
import type { IpcError } from "./bindings/IpcError";
import type { LoginView } from "./bindings/LoginView";
import type { OrgTest } from "./bindings/OrgTest";
import type { OrgView } from "./bindings/OrgView";
import type { Overview } from "./bindings/Overview";
import type { Settings } from "./bindings/Settings";
import type { SettingsView } from "./bindings/SettingsView";
import type { ConnectView } from "./bindings/ConnectView";
import type { AutostartView } from "./bindings/AutostartView";

interface TauriGlobal {
  core: { invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> };
  event: { listen<T>(event: string, handler: (e: { payload: T }) => void): Promise<() => void> };
}
declare global {
  interface Window {
    __TAURI__: TauriGlobal;
  }
}

const invoke = <T>(cmd: string, args?: Record<string, unknown>) => window.__TAURI__.core.invoke<T>(cmd, args);
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const DAY_MS = 86_400_000;
const EXPIRING_SOON_DAYS = 7;

let overview: Overview | null = null;
let view: "logins" | "activity" | "settings" = "logins";
/** A login with its organisations and their lower-cased search keys, built once per overview. */
type Entry = { login: LoginView; orgs: OrgView[]; key: string; orgKeys: string[] };
/** A login the filter keeps, with the organisations it keeps. */
type Match = { entry: Entry; orgs: OrgView[] };
let entries: Entry[] = [];
let matches: Match[] = [];
let rowCount = 0;

function esc(s: string | null | undefined): string {
  return (s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function errorText(e: unknown): string {
  const err = e as IpcError;
  return err && typeof err === "object" && "message" in err ? err.message : String(e);
}

function toast(message: string, kind: "ok" | "error" = "ok") {
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = message;
  $("toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 10_000 : 6_000);
}

function daysLeft(login: LoginView): number {
  return Math.floor((Date.parse(login.refresh_deadline) - Date.now()) / DAY_MS);
}

type Health = "connected" | "refreshing" | "expiring" | "needs_reconnect" | "error";

function health(login: LoginView): Health {
  if (login.refreshing) return "refreshing";
  if (login.state === "needs_reconnect") return "needs_reconnect";
  if (login.state === "error") return "error";
  if (daysLeft(login) < EXPIRING_SOON_DAYS) return "expiring";
  return "connected";
}

const BADGE: Record<Health, string> = {
  connected: "Connected",
  refreshing: "Refreshing…",
  expiring: "Expiring soon",
  needs_reconnect: "Needs reconnect",
  error: "Error",
};
const RANK: Record<Health, number> = { needs_reconnect: 0, error: 1, expiring: 2, refreshing: 3, connected: 4 };

function fmtDate(iso: string | null): string {
  if (!iso) return "never";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function countdown(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return "expired; refreshed when next used";
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return m >= 60 ? `expires in ${Math.floor(m / 60)} h ${m % 60} min` : `expires in ${m}:${String(s).padStart(2, "0")}`;
}

function loginCard(login: LoginView, orgs: OrgView[], index: number): string {
  const h = health(login);
  const days = daysLeft(login);
  const problem = login.state !== "connected" && login.last_error ? `<p class="error">${esc(login.last_error)}</p>` : "";
  const reconnect =
    login.state === "needs_reconnect"
      ? `<button type="button" class="primary" data-action="reconnect" data-login="${esc(login.id)}">Reconnect</button>`
      : "";
  const orgRows = orgs
    .map(
      (o) => `<tr data-key="${esc((o.name + " " + o.tenant_id).toLowerCase())}">
        <th scope="row">${esc(o.name)}${o.shared ? ` <span class="tag" title="Also reachable through another login">also via another login</span>` : ""}</th>
        <td>${esc(o.tenant_type)}</td>
        <td><code>${esc(o.tenant_id)}</code> <button type="button" class="small" data-action="copy" data-value="${esc(o.tenant_id)}" aria-label="Copy the tenant id of ${esc(o.name)}">Copy</button></td>
        <td>${esc(new Date(o.connected_since).toLocaleDateString(undefined, { dateStyle: "medium" }))}</td>
        <td class="row-actions">
          <button type="button" class="small" data-action="test" data-tenant="${esc(o.tenant_id)}" data-name="${esc(o.name)}">Test connection</button>
          <button type="button" class="small danger-quiet" data-action="disconnect" data-login="${esc(login.id)}" data-tenant="${esc(o.tenant_id)}" data-name="${esc(o.name)}" data-email="${esc(login.email)}">Disconnect</button>
        </td></tr>`,
    )
    .join("");
  const focused = login.id === focusedLogin ? " focused" : "";
  return `<article class="login h-${h}${focused}" data-login="${esc(login.id)}" data-index="${index}" aria-labelledby="l-${esc(login.id)}">
    <header>
      <div><h2 id="l-${esc(login.id)}">${esc(login.name || login.email)}</h2><span class="email">${esc(login.email)}</span></div>
      <span class="badge b-${h}" title="${esc(login.last_error ?? "")}">${BADGE[h]}</span>
    </header>
    <dl class="facts">
      <div><dt>Access token</dt><dd data-expires="${esc(login.access_expires_at)}">${esc(countdown(login.access_expires_at))}</dd></div>
      <div><dt>Refresh deadline</dt><dd><meter min="0" max="60" low="7" high="30" optimum="60" value="${Math.max(0, days)}" aria-label="${days} of 60 days left"></meter> ${days} days left <span class="muted">(${esc(fmtDate(login.refresh_deadline))})</span></dd></div>
      <div><dt>Last refresh</dt><dd>${esc(fmtDate(login.last_refresh_at))}</dd></div>
    </dl>
    ${problem}
    <div class="actions">${reconnect}
      <button type="button" data-action="refresh" data-login="${esc(login.id)}" ${login.refreshing ? "disabled" : ""}>Refresh now</button>
      <button type="button" class="danger-quiet" data-action="remove" data-login="${esc(login.id)}" data-email="${esc(login.email)}">Remove login</button>
    </div>
    <table class="orgs grid"><caption class="visually-hidden">Organisations of ${esc(login.email)}</caption>
      <thead><tr><th scope="col">Organisation</th><th scope="col">Type</th><th scope="col">Tenant id</th><th scope="col">Connected since</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${orgRows || `<tr><td colspan="5" class="muted">No organisations connected through this login.</td></tr>`}</tbody>
    </table>
  </article>`;
}

function renderLogins() {
  if (!overview) return;
  const byLogin = new Map<string, OrgView[]>();
  for (const o of overview.organisations) {
    const list = byLogin.get(o.login_id) ?? [];
    list.push(o);
    byLogin.set(o.login_id, list);
  }
  const sorted = [...overview.logins].sort((a, b) => RANK[health(a)] - RANK[health(b)] || a.email.localeCompare(b.email));
  entries = sorted.map((login) => {
    const orgs = byLogin.get(login.id) ?? [];
    return { login, orgs, key: (login.name + " " + login.email).toLowerCase(), orgKeys: orgs.map((o) => (o.name + " " + o.tenant_id).toLowerCase()) };
  });
  rowCount = overview.organisations.length;
  $("empty").hidden = overview.logins.length > 0;
  dirty = true;
  applyFilter();
  // Launch-to-first-paint of the list, for the desktop benchmark (a standard timing mark).
  if (overview.logins.length > 0 && performance.getEntriesByName(FIRST_LIST_PAINT).length === 0) {
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(FIRST_LIST_PAINT)));
  }
}

const FIRST_LIST_PAINT = "tenantry:first-list-paint";

/** Filters the logins and organisations as data, then renders the part of the list in view. */
function applyFilter() {
  const q = ($<HTMLInputElement>("search").value ?? "").trim().toLowerCase();
  let shown = 0;
  matches = [];
  for (const entry of entries) {
    const orgs = q ? entry.orgs.filter((_, i) => entry.orgKeys[i].includes(q)) : entry.orgs;
    if (!q || orgs.length > 0 || entry.key.includes(q)) matches.push({ entry, orgs });
    shown += orgs.length;
  }
  const logins = overview?.logins.length ?? 0;
  $("counts").textContent = q ? `${shown} of ${rowCount} organisations match` : `${rowCount} organisations across ${logins} logins`;
  // Most keystrokes narrow nothing ("c", "cl", … all match): then the DOM is already right.
  const signature = matches.map((m) => m.entry.login.id + ":" + m.orgs.map((o) => o.tenant_id).join(",")).join("|");
  if (signature === rendered && !dirty) return;
  rendered = signature;
  dirty = false;
  renderSlice(true);
}
/** What the list in the DOM shows, and whether the data changed since (a new overview). */
let rendered = "";
let dirty = true;

// ---- the virtualised list ----
// Only the cards within a quarter screen above and one screen below the window are in the DOM; spacers stand for
// the rest. With every card rendered, a keystroke that hid or showed 40 cards cost 35-58 ms in
// building and discarding the render tree of their ~10,000 elements (docs/BENCHMARKS.md).

/** A card's height with its margin, as last measured with that many rows, else estimated. */
const measured = new Map<string, number>();
const CARD_BASE = 230;
/** Up to this many organisations the whole list is rendered. */
const WHOLE_LIST_ROWS = 200;
const ROW_HEIGHT = 36;
let slice = { first: 0, last: -1 };
/** The list's offset from the top of the document, as of the last render. */
let listTop = 0;

function heightOf(m: Match): number {
  return measured.get(`${m.entry.login.id}:${m.orgs.length}`) ?? CARD_BASE + ROW_HEIGHT * Math.max(1, m.orgs.length);
}

/** The index range to render for the current scroll position, and the space above and below. */
function sliceInView(): { first: number; last: number; above: number; below: number } {
  // A list this small costs little to keep whole, and whole it keeps the page's own find and
  // the screen reader's view of every login.
  // Decided on the whole list, not the filtered part: rendering 200 filtered rows at once cost
  // up to 86 ms.
  if (rowCount <= WHOLE_LIST_ROWS) return { first: 0, last: matches.length - 1, above: 0, below: 0 };
  // The list's top is read after a render has laid it out: reading it here, after the counts
  // changed, would force a layout of the outgoing cards first.
  const top = listTop;
  const from = window.scrollY - top - window.innerHeight / 4;
  const to = window.scrollY - top + window.innerHeight;
  let y = 0;
  let first = -1;
  let last = -1;
  let above = 0;
  let inside = 0;
  matches.forEach((m, i) => {
    const h = heightOf(m);
    if (y + h > from && y < to) {
      if (first < 0) {
        first = i;
        above = y;
      }
      last = i;
      inside += h;
    }
    y += h;
  });
  if (first < 0) return { first: 0, last: -1, above: y, below: 0 };
  return { first, last, above, below: y - above - inside };
}

function cardHtml(i: number): string {
  return loginCard(matches[i].entry.login, matches[i].orgs, i);
}

/** Brings the DOM to the slice in view. `rebuild` after the data or the filter changed; on
 * scrolling only the cards entering or leaving are added or removed, so the rest keep their
 * layout (and a focused button keeps its focus). */
function renderSlice(rebuild = false) {
  const container = $("logins");
  const next = sliceInView();
  const overlap = next.first <= slice.last && slice.first <= next.last;
  if (rebuild || !overlap) {
    let html = `<div class="spacer" style="height:${next.above}px"></div>`;
    for (let i = next.first; i <= next.last; i++) html += cardHtml(i);
    container.innerHTML = html + `<div class="spacer" style="height:${next.below}px"></div>`;
  } else if (next.first !== slice.first || next.last !== slice.last) {
    const [top, bottom] = [container.firstElementChild as HTMLElement, container.lastElementChild as HTMLElement];
    for (const card of container.querySelectorAll<HTMLElement>(":scope > article.login")) {
      const i = Number(card.dataset.index);
      if (i < next.first || i > next.last) card.remove();
    }
    let before = "";
    for (let i = next.first; i < Math.min(slice.first, next.last + 1); i++) before += cardHtml(i);
    if (before) top.insertAdjacentHTML("afterend", before);
    let after = "";
    for (let i = Math.max(slice.last + 1, next.first); i <= next.last; i++) after += cardHtml(i);
    if (after) bottom.insertAdjacentHTML("beforebegin", after);
  } else {
    return;
  }
  slice = { first: next.first, last: next.last };
  // Measure what was rendered, so the spacers converge on the real heights.
  for (const card of container.querySelectorAll<HTMLElement>(":scope > article.login")) {
    const m = matches[Number(card.dataset.index)];
    if (m) measured.set(`${m.entry.login.id}:${m.orgs.length}`, card.offsetHeight + 12);
  }
  listTop = container.getBoundingClientRect().top + window.scrollY;
  const settled = sliceInView();
  (container.firstElementChild as HTMLElement).style.height = `${settled.above}px`;
  (container.lastElementChild as HTMLElement).style.height = `${settled.below}px`;
}

let scrollQueued = false;
function onScroll() {
  if (scrollQueued || view !== "logins") return;
  scrollQueued = true;
  requestAnimationFrame(() => {
    scrollQueued = false;
    listTop = $("logins").getBoundingClientRect().top + window.scrollY;
    renderSlice();
  });
}

function tick() {
  for (const el of document.querySelectorAll<HTMLElement>("[data-expires]")) {
    if (!el.closest("[hidden]")) el.textContent = countdown(el.dataset.expires!);
  }
}

function render() {
  if (!overview) return;
  const firstRun = overview.mode === "unconfigured";
  const badge = $("mode-badge");
  badge.hidden = overview.mode !== "demo";
  badge.textContent = "Demo: built-in fake Xero";
  $("connect-btn").hidden = firstRun;
  $("refresh-all-btn").hidden = firstRun || overview.logins.length === 0;
  document.querySelector("nav")!.hidden = firstRun;
  $("view-first-run").hidden = !firstRun;
  for (const name of ["logins", "activity", "settings"] as const) {
    $(`view-${name}`).hidden = firstRun || view !== name;
    document.querySelector(`.tab[data-view="${name}"]`)?.toggleAttribute("aria-current", view === name);
  }
  if (firstRun) void loadFirstRun();
  else if (view === "logins") renderLogins();
  else if (view === "activity") void loadActivity();
}

let pending: ReturnType<typeof setTimeout> | null = null;
/** Coalesces bursts of backend change events into one fetch. */
function scheduleRefresh() {
  if (pending) return;
  pending = setTimeout(async () => {
    pending = null;
    await load();
  }, 80);
}

async function load() {
  try {
    overview = await invoke<Overview>("overview");
    render();
    if (overview.mode === "xero" && !offerChecked) {
      offerChecked = true;
      const a = await invoke<AutostartView>("autostart");
      $("autostart-offer").hidden = !a.offer;
    }
  } catch (e) {
    toast(errorText(e), "error");
  }
}
let offerChecked = false;
let focusedLogin: string | null = null;

/** Opens the logins view on one login (a notification's click, the tray): clears a filter
 * that would hide it, scrolls to it and marks it until the next one is shown. */
async function showLogin(id: string) {
  if (view !== "logins") show("logins");
  focusedLogin = id;
  await load();
  const search = $<HTMLInputElement>("search");
  if (search.value) {
    search.value = "";
    applyFilter();
  }
  const index = matches.findIndex((m) => m.entry.login.id === id);
  if (index < 0) return;
  const container = $("logins");
  const offset = matches.slice(0, index).reduce((y, m) => y + heightOf(m), 0);
  window.scrollTo({ top: container.getBoundingClientRect().top + window.scrollY + offset - 80 });
  renderSlice(true);
  const card = container.querySelector<HTMLElement>(`article.login[data-login="${CSS.escape(id)}"]`);
  card?.scrollIntoView({ block: "center" });
  card?.querySelector<HTMLButtonElement>("button")?.focus();
}

// ---- connect ----

const connectDialog = $<HTMLDialogElement>("connect-dialog");

function showWaiting(c: ConnectView) {
  $("connect-waiting").hidden = false;
  $("connect-done").hidden = true;
  $("connect-who").textContent = c.reconnect_email ? `Sign in as ${c.reconnect_email}.` : "Sign in as the Xero user whose organisations you want to add.";
  if (!connectDialog.open) connectDialog.showModal();
  $("connect-cancel").focus();
}

async function startConnect(reconnect: string | null) {
  try {
    showWaiting(await invoke<ConnectView>("connect", { reconnect }));
  } catch (e) {
    toast(errorText(e), "error");
  }
}

function showResult(r: ConnectResult) {
  if (r.error?.code === "cancelled" && !r.login_email) {
    // The user cancelled (or started another sign-in): nothing to report.
    if (connectDialog.open && !$("connect-waiting").hidden) connectDialog.close();
    return;
  }
  $("connect-waiting").hidden = true;
  $("connect-done").hidden = false;
  const hint = $("connect-hint");
  hint.hidden = true;
  if (r.error && !r.login_email) {
    $("connect-result").textContent = `Could not connect: ${r.error.message}`;
    $("connect-added").innerHTML = "";
  } else {
    $("connect-result").textContent = `Connected ${r.login_name ?? ""} <${r.login_email}>.`;
    $("connect-added").innerHTML = r.added.length
      ? `<li class="muted">This consent added:</li>` + r.added.map((n) => `<li>${esc(n)}</li>`).join("")
      : `<li class="muted">This consent added no new organisations.</li>`;
    if (r.intended_email) {
      hint.hidden = false;
      hint.textContent =
        `Your browser was signed in to Xero as ${r.login_email}, not ${r.intended_email}, so ${r.login_email} was added as its own login ` +
        `and ${r.intended_email} is unchanged. To reconnect ${r.intended_email}, sign out of Xero in your browser (go.xero.com/logout), then choose Reconnect again.`;
    }
    if (r.error) toast(r.error.message, "error");
  }
  if (!connectDialog.open) connectDialog.showModal();
  $("connect-close").focus();
}

// ---- confirm ----

function confirmAction(text: string, yes: string): Promise<boolean> {
  const dialog = $<HTMLDialogElement>("confirm-dialog");
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  dialog.showModal();
  $("confirm-no").focus();
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      dialog.close();
      $("confirm-yes").onclick = null;
      $("confirm-no").onclick = null;
      resolve(answer);
    };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
    dialog.oncancel = () => done(false);
  });
}

async function copy(text: string) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast(`Copied ${text}`);
}

async function onAction(button: HTMLButtonElement) {
  const d = button.dataset;
  switch (d.action) {
    case "copy":
      return copy(d.value!);
    case "reconnect":
      return startConnect(d.login!);
    case "refresh":
      try {
        await invoke("refresh_login", { login: d.login });
        toast("Refreshed.");
      } catch (e) {
        toast(errorText(e), "error");
      }
      return;
    case "test":
      button.disabled = true;
      try {
        const t = await invoke<OrgTest>("test_organisation", { tenant: d.tenant });
        toast(`${d.name}: connection works (${[t.legal_name ?? t.name, t.organisation_type, t.country_code].filter(Boolean).join(", ")}).`);
      } catch (e) {
        toast(`${d.name}: ${errorText(e)}`, "error");
      } finally {
        button.disabled = false;
      }
      return;
    case "disconnect":
      if (await confirmAction(`Disconnect ${d.name} from ${d.email} at Xero? Tools using this login will lose access to it.`, "Disconnect")) {
        try {
          await invoke("disconnect", { login: d.login, tenant: d.tenant });
          toast(`Disconnected ${d.name}.`);
        } catch (e) {
          toast(errorText(e), "error");
        }
      }
      return;
    case "remove":
      if (await confirmAction(`Remove ${d.email}? This revokes it at Xero, which disconnects all of its organisations.`, "Remove login")) {
        try {
          await invoke("remove_login", { login: d.login });
          toast(`Removed ${d.email}.`);
        } catch (e) {
          toast(errorText(e), "error");
        }
      }
      return;
  }
}

// ---- activity ----

async function loadActivity() {
  const select = $<HTMLSelectElement>("activity-login");
  const chosen = select.value;
  select.innerHTML =
    `<option value="">All logins</option>` +
    (overview?.logins ?? []).map((l) => `<option value="${esc(l.id)}" ${l.id === chosen ? "selected" : ""}>${esc(l.email)}</option>`).join("");
  try {
    const events = await invoke<EventView[]>("events", { login: chosen || null });
    $("activity").innerHTML = events.length
      ? events
          .map(
            (e) =>
              `<tr><td>${esc(fmtDate(e.at))}</td><td><span class="kind k-${esc(e.kind)}">${esc(e.kind.replace(/_/g, " "))}</span></td><td>${esc(e.login_email ?? e.login_id ?? "")}</td><td>${esc(e.detail)}</td></tr>`,
          )
          .join("")
      : `<tr><td colspan="4" class="muted">Nothing has happened yet.</td></tr>`;
  } catch (e) {
    toast(errorText(e), "error");
  }
}

// ---- settings and first run ----

function uriList(el: HTMLElement, uris: string[]) {
  el.innerHTML = uris
    .map((u) => `<li><code>${esc(u)}</code> <button type="button" class="small" data-action="copy" data-value="${esc(u)}" aria-label="Copy ${esc(u)}">Copy</button></li>`)
    .join("");
}

async function loadSettings() {
  const s = await invoke<SettingsView>("settings");
  $<HTMLInputElement>("set-client").value = s.settings.client_id;
  $<HTMLInputElement>("set-ports").value = s.settings.redirect_ports.join(", ");
  $<HTMLInputElement>("set-scopes").value = s.settings.scopes.join(" ");
  $<HTMLInputElement>("set-keepalive").value = String(s.settings.keepalive_days);
  $<HTMLInputElement>("set-notify").value = String(s.settings.notify_days);
  $<HTMLInputElement>("set-tray").checked = s.settings.close_to_tray;
  void invoke<AutostartView>("autostart")
    .then((a) => ($<HTMLInputElement>("set-autostart").checked = a.enabled))
    .catch(() => ($<HTMLInputElement>("set-autostart").disabled = true));
  $<HTMLInputElement>("set-bounce").value = s.settings.bounce_url ?? "";
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) radio.checked = radio.value === s.settings.redirect_mode;
  uriList($("set-uris"), s.redirect_uris);
  $("set-config-file").textContent = s.config_file;
  $("set-data-dir").textContent = s.data_dir;
  return s;
}

async function loadFirstRun() {
  const s = await invoke<SettingsView>("settings");
  uriList($("first-run-uris"), s.redirect_uris);
}

async function saveSettings(settings: Settings, errorEl: HTMLElement) {
  errorEl.hidden = true;
  try {
    await invoke<SettingsView>("save_settings", { settings });
    return true;
  } catch (e) {
    errorEl.textContent = errorText(e);
    errorEl.hidden = false;
    return false;
  }
}

function settingsFromForm(): Settings {
  const mode = document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? "loopback";
  return {
    client_id: $<HTMLInputElement>("set-client").value.trim(),
    redirect_ports: $<HTMLInputElement>("set-ports").value.split(/[\s,]+/).filter(Boolean).map(Number),
    scopes: $<HTMLInputElement>("set-scopes").value.split(/[\s,]+/).filter(Boolean),
    keepalive_days: Number($<HTMLInputElement>("set-keepalive").value),
    notify_days: Number($<HTMLInputElement>("set-notify").value),
    close_to_tray: $<HTMLInputElement>("set-tray").checked,
    redirect_mode: mode,
    bounce_url: $<HTMLInputElement>("set-bounce").value.trim() || null,
  };
}

function show(next: typeof view) {
  view = next;
  render();
  if (next === "settings") void loadSettings().catch((e) => toast(errorText(e), "error"));
}

// ---- wiring ----

function wire() {
  for (const tab of document.querySelectorAll<HTMLButtonElement>(".tab")) tab.onclick = () => show(tab.dataset.view as typeof view);
  $("connect-btn").onclick = () => startConnect(null);
  $("refresh-all-btn").onclick = async () => {
    const button = $<HTMLButtonElement>("refresh-all-btn");
    button.disabled = true;
    try {
      await invoke("refresh_all");
      toast("Refreshed every login that does not need reconnecting.");
    } catch (e) {
      toast(errorText(e), "error");
    } finally {
      button.disabled = false;
    }
  };
  const answerOffer = async (enabled: boolean) => {
    try {
      await invoke<AutostartView>("set_autostart", { enabled });
      $("autostart-offer").hidden = true;
      if (enabled) toast("Tenantry will start in the tray when you log in. Change this in Settings.");
    } catch (e) {
      toast(errorText(e), "error");
    }
  };
  $("autostart-yes").onclick = () => answerOffer(true);
  $("autostart-no").onclick = () => answerOffer(false);
  $<HTMLInputElement>("set-autostart").onchange = async () => {
    const box = $<HTMLInputElement>("set-autostart");
    try {
      box.checked = (await invoke<AutostartView>("set_autostart", { enabled: box.checked })).enabled;
    } catch (e) {
      box.checked = !box.checked;
      toast(errorText(e), "error");
    }
  };
  $("connect-again").onclick = () => invoke("open_connect_page_again").catch((e) => toast(errorText(e), "error"));
  $("connect-cancel").onclick = async () => {
    await invoke("cancel_connect");
    connectDialog.close();
  };
  $("connect-close").onclick = () => connectDialog.close();
  $<HTMLInputElement>("search").oninput = applyFilter;
  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll);
  document.body.addEventListener("click", (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
    if (button) void onAction(button);
  });
  $("activity-login").onchange = () => void loadActivity();
  $("try-demo").onclick = async () => {
    $<HTMLButtonElement>("try-demo").disabled = true;
    $("try-demo").textContent = "Starting the demo…";
    try {
      await invoke("start_demo");
      await load();
    } catch (e) {
      toast(errorText(e), "error");
    }
  };
  $("first-run-save").onclick = async () => {
    const s = await invoke<SettingsView>("settings");
    const settings = { ...s.settings, client_id: $<HTMLInputElement>("first-run-client").value.trim() };
    if (await saveSettings(settings, $("first-run-error"))) {
      await load();
      await startConnect(null);
    }
  };
  $("settings-form").onsubmit = async (e) => {
    e.preventDefault();
    if (await saveSettings(settingsFromForm(), $("settings-error"))) {
      toast("Settings saved.");
      await load();
    }
  };
  // Ctrl/Cmd+F focuses the filter.
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "f" && view === "logins") {
      e.preventDefault();
      $("search").focus();
    }
  });
}

async function main() {
  wire();
  const { listen } = window.__TAURI__.event;
  await listen("tenantry:changed", scheduleRefresh);
  await listen<ConnectResult>("tenantry:connect-finished", (e) => {
    showResult(e.payload);
    scheduleRefresh();
  });
  await listen("tenantry:deep-link-ignored", () => toast("Ignored a tenantry:// link: it matches no sign-in in progress and no login here.", "error"));
  await listen<string>("tenantry:show-login", (e) => void showLogin(e.payload));
  setInterval(tick, 1000);
  await load();
}

void main();
