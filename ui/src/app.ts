// The window around the views: the overview they all draw from, which view is showing, the header
// bar that follows the mode, and when to fetch again. The window updates itself from backend
// events rather than polling, and this is where those events turn into fetches.

import type { LoginView } from "./bindings/LoginView";
import type { OrgView } from "./bindings/OrgView";
import type { Overview } from "./bindings/Overview";
import { $, toastError } from "./dom";
import { invoke } from "./ipc";
import type { ActivityView } from "./views/activity";
import type { ClientsView } from "./views/clients";
import type { LoginsView } from "./views/logins";
import type { ProblemView } from "./views/problem";
import type { SettingsView } from "./views/settings";
import type { UsageView } from "./views/usage";
import type { AccessView } from "./views/access";

export type ViewName = "logins" | "clients" | "usage" | "access" | "activity" | "settings";
const VIEW_NAMES: readonly ViewName[] = ["logins", "clients", "usage", "access", "activity", "settings"];

export interface Views {
  logins: LoginsView;
  clients: ClientsView;
  activity: ActivityView;
  settings: SettingsView;
  problem: ProblemView;
  usage: UsageView;
  access: AccessView;
}

export class App {
  private overview: Overview | null = null;
  private current: ViewName = "logins";
  private pending: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly views: Views) {}

  get view(): ViewName {
    return this.current;
  }

  /** The organisations of the latest overview. */
  get organisations(): readonly OrgView[] {
    return this.overview?.organisations ?? [];
  }

  /** The logins of the latest overview. */
  get logins(): readonly LoginView[] {
    return this.overview?.logins ?? [];
  }

  show(next: ViewName) {
    this.current = next;
    this.render();
    if (next === "settings") this.views.settings.open();
  }

  async load() {
    try {
      const overview = await invoke("overview");
      this.overview = overview;
      this.render();
      if (overview.mode === "xero") await this.views.settings.offerAutostart();
    } catch (e) {
      toastError(e);
    }
  }

  /** Coalesces bursts of backend change events into one fetch. */
  scheduleRefresh() {
    if (this.pending) return;
    this.pending = setTimeout(async () => {
      this.pending = null;
      await this.load();
    }, 80);
  }

  private render() {
    const overview = this.overview;
    if (!overview) return;
    // A problem (no keychain, a broken configuration) replaces every other screen: nothing else
    // would work until it is fixed.
    const problem = overview.problem;
    const firstRun = !problem && overview.mode === "unconfigured";
    const bare = firstRun || problem !== null;
    const badge = $("mode-badge");
    // A practice's window says so in its header: its logins are the whole practice's.
    badge.hidden = overview.mode !== "demo" && overview.practice === null;
    badge.textContent = overview.practice ? `Practice: ${overview.practice.server}` : "Demo: built-in fake Xero";
    $("connect-btn").hidden = bare;
    $("refresh-all-btn").hidden = bare || overview.logins.length === 0;
    document.querySelector("nav")!.hidden = bare;
    $("view-problem").hidden = problem === null;
    $("view-first-run").hidden = !firstRun;
    for (const name of VIEW_NAMES) {
      $(`view-${name}`).hidden = bare || this.current !== name;
      document.querySelector(`.tab[data-view="${name}"]`)?.toggleAttribute("aria-current", this.current === name);
    }
    if (problem) this.views.problem.render(problem, overview.new_vault);
    else if (firstRun) void this.views.settings.loadFirstRun();
    else if (this.current === "logins") this.views.logins.render(overview);
    else if (this.current === "clients") this.views.clients.render(overview);
    else if (this.current === "usage") void this.views.usage.load();
    else if (this.current === "access") void this.views.access.load();
    else if (this.current === "activity") void this.views.activity.load();
    else if (this.current === "settings") void this.views.settings.showPractice(overview.practice);
  }
}
