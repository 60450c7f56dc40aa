// How dates and deadlines read, and the rules that turn a login's state into its health, badge and
// place in the list: pure functions, so the views agree and nothing here touches the DOM.

import type { LoginHealth } from "./bindings/LoginHealth";
import type { LoginView } from "./bindings/LoginView";
import type { OrgState } from "./bindings/OrgState";
import type { OrgView } from "./bindings/OrgView";

const DAY_MS = 86_400_000;

/* The formatters and the collator are made once. `toLocaleString` with options builds an ICU
 * formatter of its own on every call: about 16 KB of native memory the page's garbage collector
 * does not see, so each redraw of a full window (a hundred dates) left 1-2 MB behind and the web
 * process grew by some 3 MiB a minute while the window stood open (docs/BENCHMARKS.md, "The
 * window's memory"; tests/e2e/desktop/memory.rs measures both ways). */
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const DAY = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const COLLATOR = new Intl.Collator();

/** Orders text as people read it, in the user's language. */
export function byText(a: string, b: string): number {
  return COLLATOR.compare(a, b);
}

export function daysLeft(login: LoginView): number {
  return Math.trunc((Date.parse(login.refresh_deadline) - Date.now()) / DAY_MS);
}

/** The login's health as the core derives it (against the 60-day deadline and notify_days), or
 * "refreshing" while this window's refresh of it runs. */
export type Health = LoginHealth | "refreshing";

export function health(login: LoginView): Health {
  return login.refreshing ? "refreshing" : login.health;
}

/** Only signing in again helps: no token to count down, no deadline to trust. */
export function needsHuman(login: LoginView): boolean {
  return login.health === "needs_reconnect" || login.health === "lapsed";
}

export const BADGE: Record<Health, string> = {
  connected: "Connected",
  refreshing: "Refreshing…",
  expiring: "Expiring soon",
  lapsed: "Lapsed",
  needs_reconnect: "Needs reconnect",
  error: "Error",
};
/** The order of the list: what needs the user comes first. */
export const RANK: Record<Health, number> = { needs_reconnect: 0, lapsed: 0, error: 1, expiring: 2, refreshing: 3, connected: 4 };

export const CLIENT_STATE: Record<OrgState, string> = {
  connected: "Connected",
  needs_reconnect: "Needs reconnect",
  disconnected: "Disconnected at Xero",
  error: "Error",
};
/** The Clients view's order by state: what needs the user comes first. */
export const CLIENT_RANK: Record<OrgState, number> = { needs_reconnect: 0, disconnected: 0, error: 1, connected: 2 };

/** A count with its thousands grouped, as the window's English writes them: `5,000`. (No
 * formatter per call: see above.) */
export function fmtCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Bytes in decimal units, as Xero's allowances are written (a GB is 10⁹ bytes). */
export function fmtBytes(n: number): string {
  for (const [size, unit] of [[1e9, "GB"], [1e6, "MB"], [1e3, "kB"]] as const) {
    if (n >= size) return `${(n / size).toFixed(2)} ${unit}`;
  }
  return `${n} B`;
}

/** Names the zone the window's times are in, once per view. */
export function zoneNote(): string {
  return `Times are local: ${Intl.DateTimeFormat().resolvedOptions().timeZone}.`;
}

export function fmtDate(iso: string | null): string {
  if (!iso) return "never";
  return DATE_TIME.format(new Date(iso));
}

export function fmtDay(iso: string): string {
  return DAY.format(new Date(iso));
}

/** An access token's remaining life, as the 1 s tick rewrites it. */
export function countdown(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return "expired; refreshed when next used";
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return m >= 60 ? `expires in ${Math.floor(m / 60)} h ${m % 60} min` : `expires in ${m}:${String(s).padStart(2, "0")}`;
}

/** What the filter matches an organisation on (lower-cased), and its row's `data-key`. */
export function orgKey(o: OrgView): string {
  return (o.name + " " + o.tenant_id).toLowerCase();
}
