// The Logins view: the cards of every login, the filter over them and their actions. It keeps the
// overview's logins as data and filters that, so a keystroke costs no DOM work it does not need.

import type { LoginView } from "../bindings/LoginView";
import type { OrgView } from "../bindings/OrgView";
import type { Overview } from "../bindings/Overview";
import { $, confirmAction, toast, toastError } from "../dom";
import { byText, health, orgKey, RANK } from "../format";
import { errorText, invoke } from "../ipc";
import { VirtualList } from "../virtual-list";
import { loginCard } from "./login-card";

/** A login with its organisations and their lower-cased search keys, built once per overview. */
type Entry = { login: LoginView; orgs: OrgView[]; key: string; orgKeys: string[] };
/** A login the filter keeps, with the organisations it keeps. */
type Match = { entry: Entry; orgs: OrgView[] };

/** Launch-to-first-paint of the list, for the desktop benchmark (a standard timing mark). */
const FIRST_LIST_PAINT = "tenantry:first-list-paint";
/** A card's estimated height before one like it was measured: its frame and one per row. */
const CARD_BASE = 230;
const ROW_HEIGHT = 36;
/** The margin below each card (`.login` in style.css). */
const CARD_GAP = 12;
/** Up to this many organisations the whole list is rendered. A list this small costs little to
 * keep whole, and whole it keeps the page's own find and the screen reader's view of every login.
 * Decided on the whole list, not the filtered part: rendering 200 filtered rows at once cost up
 * to 86 ms. */
const WHOLE_LIST_ROWS = 200;

/** What the view asks of the window around it. */
export interface LoginsHost {
  /** Makes this the view showing, if another one is. */
  open(): void;
  /** Fetches the overview again and renders it. */
  load(): Promise<void>;
}

export class LoginsView {
  private entries: Entry[] = [];
  private matches: Match[] = [];
  private rowCount = 0;
  private loginCount = 0;
  /** What the list in the DOM shows, and whether the data changed since (a new overview). */
  private rendered = "";
  private dirty = true;
  /** The login last shown on request, marked until the next one is. */
  private focused: string | null = null;
  private readonly container = $("logins");
  private readonly search = $<HTMLInputElement>("search");
  private readonly list: VirtualList<Match>;

  constructor(private readonly host: LoginsHost) {
    this.list = new VirtualList(
      this.container,
      {
        key: (m) => `${m.entry.login.id}:${m.orgs.length}`,
        estimate: (m) => CARD_BASE + ROW_HEIGHT * Math.max(1, m.orgs.length),
        html: (m, i) => loginCard(m.entry.login, m.orgs, i, m.entry.login.id === this.focused),
      },
      "article.login",
      CARD_GAP,
    );
  }

  render(overview: Overview) {
    const c = overview.connections;
    const connections = $("connections");
    connections.textContent =
      c.limit === null
        ? ""
        : c.at_limit
          ? `${c.used} of ${c.limit} connections: cap reached`
          : `${c.used} of ${c.limit} connections`;
    connections.title = c.at_limit
      ? "The Xero app's connection cap (its tier's, or connection_limit) is reached: Xero will connect no other organisation until one is disconnected or the app moves to a higher tier."
      : "";
    connections.classList.toggle("error", c.at_limit);
    const byLogin = new Map<string, OrgView[]>();
    for (const o of overview.organisations) {
      const list = byLogin.get(o.login_id) ?? [];
      list.push(o);
      byLogin.set(o.login_id, list);
    }
    const sorted = [...overview.logins].sort((a, b) => RANK[health(a)] - RANK[health(b)] || byText(a.email, b.email));
    this.entries = sorted.map((login) => {
      const orgs = byLogin.get(login.id) ?? [];
      return { login, orgs, key: (login.name + " " + login.email).toLowerCase(), orgKeys: orgs.map(orgKey) };
    });
    this.rowCount = overview.organisations.length;
    this.loginCount = overview.logins.length;
    $("empty").hidden = overview.logins.length > 0;
    this.dirty = true;
    this.applyFilter();
    if (overview.logins.length > 0 && performance.getEntriesByName(FIRST_LIST_PAINT).length === 0) {
      requestAnimationFrame(() => requestAnimationFrame(() => performance.mark(FIRST_LIST_PAINT)));
    }
  }

  /** Filters the logins and organisations as data, then renders the part of the list in view. */
  applyFilter() {
    const q = (this.search.value ?? "").trim().toLowerCase();
    let shown = 0;
    this.matches = [];
    for (const entry of this.entries) {
      const orgs = q ? entry.orgs.filter((_, i) => entry.orgKeys[i].includes(q)) : entry.orgs;
      if (!q || orgs.length > 0 || entry.key.includes(q)) this.matches.push({ entry, orgs });
      shown += orgs.length;
    }
    $("counts").textContent = q
      ? `${shown} of ${this.rowCount} organisations match`
      : `${this.rowCount} organisations across ${this.loginCount} logins`;
    // Most keystrokes narrow nothing ("c", "cl", … all match): then the DOM is already right.
    const signature = this.matches.map((m) => m.entry.login.id + ":" + m.orgs.map((o) => o.tenant_id).join(",")).join("|");
    if (signature === this.rendered && !this.dirty) return;
    this.rendered = signature;
    this.dirty = false;
    this.list.show(this.matches, this.rowCount <= WHOLE_LIST_ROWS);
  }

  onScroll() {
    this.list.onScroll();
  }

  focusSearch() {
    this.search.focus();
  }

  /** Opens this view on one login (a notification's click, the tray): clears a filter that would
   * hide it, scrolls to it and marks it until the next one is shown. */
  async showLogin(id: string) {
    this.host.open();
    this.focused = id;
    await this.host.load();
    if (this.search.value) {
      this.search.value = "";
      this.applyFilter();
    }
    const index = this.matches.findIndex((m) => m.entry.login.id === id);
    if (index < 0) return;
    this.list.scrollToItem(index);
    const card = this.container.querySelector<HTMLElement>(`article.login[data-login="${CSS.escape(id)}"]`);
    card?.scrollIntoView({ block: "center" });
    card?.querySelector<HTMLButtonElement>("button")?.focus();
  }

  /** The buttons on a card (other than Copy and Reconnect, which are not this view's). The
   * engine's change event re-renders the list afterwards, so none of them renders it here. */
  async act(button: HTMLButtonElement) {
    const d = button.dataset;
    switch (d.action) {
      case "refresh":
        return tell(() => invoke("refresh_login", { login: d.login! }), "Refreshed.");
      case "test":
        return whileDisabled(button, async () => {
          try {
            const t = await invoke("test_organisation", { tenant: d.tenant! });
            toast(`${d.name}: connection works (${[t.legal_name ?? t.name, t.organisation_type, t.country_code].filter(Boolean).join(", ")}).`);
          } catch (e) {
            toast(`${d.name}: ${errorText(e)}`, "error");
          }
        });
      case "disconnect":
        if (await confirmAction(`Disconnect ${d.name} from ${d.email} at Xero? Tools using this login will lose access to it.`, "Disconnect")) {
          await tell(() => invoke("disconnect", { login: d.login!, tenant: d.tenant! }), `Disconnected ${d.name}.`);
        }
        return;
      case "remove":
        if (await confirmAction(`Remove ${d.email}? This revokes it at Xero, which disconnects all of its organisations.`, "Remove login")) {
          await tell(() => invoke("remove_login", { login: d.login! }), `Removed ${d.email}.`);
        }
        return;
    }
  }

  refreshAll(button: HTMLButtonElement) {
    return whileDisabled(button, () => tell(() => invoke("refresh_all"), "Refreshed every login that does not need reconnecting."));
  }
}

/** Runs an engine call and says how it went, in a toast either way. */
async function tell(work: () => Promise<void>, done: string) {
  try {
    await work();
    toast(done);
  } catch (e) {
    toastError(e);
  }
}

/** Runs `work` with `button` disabled, so a slow call is not started twice. */
async function whileDisabled(button: HTMLButtonElement, work: () => Promise<void>) {
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}
