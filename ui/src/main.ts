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
let rows: { el: HTMLElement; key: string; card: HTMLElement }[] = [];
let cards: { el: HTMLElement; key: string }[] = [];

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

function loginCard(login: LoginView, orgs: OrgView[]): string {
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
  return `<article class="login h-${h}" data-login="${esc(login.id)}" data-key="${esc((login.name + " " + login.email).toLowerCase())}" aria-labelledby="l-${esc(login.id)}">
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
  const container = $("logins");
  container.innerHTML = sorted.map((l) => loginCard(l, byLogin.get(l.id) ?? [])).join("");
  $("empty").hidden = overview.logins.length > 0;
  cards = [...container.querySelectorAll<HTMLElement>("article.login")].map((el) => ({ el, key: el.dataset.key ?? "" }));
  rows = [...container.querySelectorAll<HTMLElement>("tr[data-key]")].map((el) => ({ el, key: el.dataset.key ?? "", card: el.closest("article")! }));
  // The login opened from a notification or the tray stays marked across re-renders.
  if (focusedLogin) container.querySelector(`article.login[data-login="${CSS.escape(focusedLogin)}"]`)?.classList.add("focused");
  applyFilter();
  // Launch-to-first-paint of the full list, for the desktop benchmark (a standard timing mark).
  if (overview.logins.length > 0 && performance.getEntriesByName(FIRST_LIST_PAINT).length === 0) {
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(FIRST_LIST_PAINT)));
  }
}

const FIRST_LIST_PAINT = "tenantry:first-list-paint";

/** Filters the already-rendered rows in place: no re-render per keystroke. */
function applyFilter() {
  const q = ($<HTMLInputElement>("search").value ?? "").trim().toLowerCase();
  const visibleInCard = new Map<HTMLElement, number>();
  let shown = 0;
  for (const r of rows) {
    const hit = !q || r.key.includes(q);
    r.el.hidden = !hit;
    if (hit) {
      shown++;
      visibleInCard.set(r.card, (visibleInCard.get(r.card) ?? 0) + 1);
    }
  }
  for (const c of cards) c.el.hidden = !!q && !visibleInCard.get(c.el) && !c.key.includes(q);
  const total = rows.length;
  const logins = overview?.logins.length ?? 0;
  $("counts").textContent = q ? `${shown} of ${total} organisations match` : `${total} organisations across ${logins} logins`;
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
  await load();
  const search = $<HTMLInputElement>("search");
  if (search.value) {
    search.value = "";
    applyFilter();
  }
  for (const el of document.querySelectorAll(".login.focused")) el.classList.remove("focused");
  focusedLogin = id;
  const card = document.querySelector<HTMLElement>(`article.login[data-login="${CSS.escape(id)}"]`);
  if (!card) return;
  card.classList.add("focused");
  card.scrollIntoView({ block: "center" });
  card.querySelector<HTMLButtonElement>("button")?.focus();
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
