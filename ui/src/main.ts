// Tenantry's window, wired together: it shows what the engine reports and asks it to act, and
// never sees a token (no command returns one). Each view holds its own state; this file only
// creates them and connects the page's buttons and the backend's events to them.

import { App, type ViewName } from "./app";
import { $, copy, toast } from "./dom";
import { countdown, zoneNote } from "./format";
import { listen } from "./ipc";
import { ActivityView } from "./views/activity";
import { ClientsView } from "./views/clients";
import { ConnectDialog } from "./views/connect";
import { LoginsView } from "./views/logins";
import { ProblemView } from "./views/problem";
import { SettingsView } from "./views/settings";
import { UsageView } from "./views/usage";
import { AccessView } from "./views/access";
import { HandoverDialog } from "./views/handover";

const connect = new ConnectDialog();
// The views reach the app only through these callbacks, which run after `app` exists.
const logins = new LoginsView({
  open: () => {
    if (app.view !== "logins") app.show("logins");
  },
  load: () => app.load(),
});
const clients = new ClientsView({ load: () => app.load() });
const activity = new ActivityView(
  () => app.logins,
  () => app.organisations,
);
const settings = new SettingsView({ load: () => app.load(), connect: () => connect.start(null) });
const problem = new ProblemView(() => app.load());
const usage = new UsageView();
const access = new AccessView();
const handover = new HandoverDialog({
  logins: () => app.logins,
  signIn: (login) => connect.start(login),
  load: () => app.load(),
});
const app: App = new App({ logins, clients, activity, settings, problem, usage, access });

/** Keeps the access tokens' countdowns current without re-rendering the cards. */
function tick() {
  for (const el of document.querySelectorAll<HTMLElement>("[data-expires]")) {
    if (!el.closest("[hidden]")) el.textContent = countdown(el.dataset.expires!);
  }
}

/** One handler for every `data-action` button, so the cards the list renders need none of their own. */
function onAction(button: HTMLButtonElement) {
  const d = button.dataset;
  if (d.action === "copy") return copy(d.value!);
  if (d.action === "reconnect") return connect.start(d.login!);
  if (d.action === "handover") return handover.open(d.login!);
  if (d.action?.startsWith("client-")) return clients.act(button);
  return logins.act(button);
}

function wire() {
  for (const note of document.querySelectorAll<HTMLElement>(".zone-note")) note.textContent = zoneNote();
  for (const tab of document.querySelectorAll<HTMLButtonElement>(".tab")) tab.onclick = () => app.show(tab.dataset.view as ViewName);
  $("connect-btn").onclick = () => connect.start(null);
  $("refresh-all-btn").onclick = () => logins.refreshAll($<HTMLButtonElement>("refresh-all-btn"));
  $("autostart-yes").onclick = () => settings.answerOffer(true);
  $("autostart-no").onclick = () => settings.answerOffer(false);
  $<HTMLInputElement>("set-autostart").onchange = () => settings.toggleAutostart($<HTMLInputElement>("set-autostart"));
  $("connect-again").onclick = () => connect.openPageAgain();
  $("connect-private").onclick = () => connect.startPrivate();
  $("connect-cancel").onclick = () => connect.cancel();
  $("connect-close").onclick = () => connect.close();
  $("handover-sign-in").onclick = () => void handover.signIn();
  $("handover-remove").onclick = () => void handover.remove();
  $("handover-close").onclick = () => handover.close();
  $<HTMLInputElement>("search").oninput = () => logins.applyFilter();
  $<HTMLInputElement>("clients-search").oninput = () => clients.applyFilter();
  $<HTMLInputElement>("clients-problems").onchange = () => clients.applyFilter();
  $("check-btn").onclick = () => clients.check($<HTMLButtonElement>("check-btn"));
  for (const th of document.querySelectorAll<HTMLElement>("#clients-table th[data-sort]")) {
    th.onclick = () => clients.sortBy(th.dataset.sort as "name" | "state" | "through" | "checked");
  }
  const onScroll = () => {
    if (app.view === "logins") logins.onScroll();
    else if (app.view === "clients") clients.onScroll();
  };
  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll);
  document.body.addEventListener("click", (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
    if (button) void onAction(button);
  });
  $("activity-login").onchange = () => void activity.load();
  $("activity-tab-events").onclick = () => activity.show("events");
  $("activity-tab-calls").onclick = () => activity.show("calls");
  $("calls-org").onchange = () => void activity.load();
  $("calls-since").onchange = () => void activity.load();
  $<HTMLInputElement>("calls-program").oninput = () => void activity.load();
  $("try-demo").onclick = () => settings.tryDemo($<HTMLButtonElement>("try-demo"));
  $("first-run-save").onclick = () => settings.saveFirstRun();
  $("settings-form").onsubmit = (e) => settings.submit(e);
  // Ctrl/Cmd+F goes to the filter: the page's own find misses the cards the list leaves out.
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "f" && app.view === "logins") {
      e.preventDefault();
      logins.focusSearch();
    }
  });
}

async function main() {
  wire();
  await listen("tenantry:changed", () => app.scheduleRefresh());
  await listen("tenantry:connect-finished", (result) => {
    connect.showResult(result);
    handover.signInFinished();
    app.scheduleRefresh();
  });
  await listen("tenantry:deep-link-ignored", () => toast("Ignored a tenantry:// link: it matches no sign-in in progress and no login here.", "error"));
  await listen("tenantry:show-login", (id) => void logins.showLogin(id));
  setInterval(tick, 1000);
  await app.load();
}

void main();
