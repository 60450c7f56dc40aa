// How dates and deadlines read, and the rules that turn a login's state into its health, badge and
// place in the list: pure functions, so the views agree and nothing here touches the DOM.

import type { LoginView } from "./bindings/LoginView";
import type { OrgView } from "./bindings/OrgView";

const DAY_MS = 86_400_000;
/** Xero drops a refresh token unused for 60 days; a week before that is worth a warning. */
const EXPIRING_SOON_DAYS = 7;

export function daysLeft(login: LoginView): number {
  return Math.floor((Date.parse(login.refresh_deadline) - Date.now()) / DAY_MS);
}

export type Health = "connected" | "refreshing" | "expiring" | "needs_reconnect" | "error";

export function health(login: LoginView): Health {
  if (login.refreshing) return "refreshing";
  if (login.state === "needs_reconnect") return "needs_reconnect";
  if (login.state === "error") return "error";
  if (daysLeft(login) < EXPIRING_SOON_DAYS) return "expiring";
  return "connected";
}

export const BADGE: Record<Health, string> = {
  connected: "Connected",
  refreshing: "Refreshing…",
  expiring: "Expiring soon",
  needs_reconnect: "Needs reconnect",
  error: "Error",
};
/** The order of the list: what needs the user comes first. */
export const RANK: Record<Health, number> = { needs_reconnect: 0, error: 1, expiring: 2, refreshing: 3, connected: 4 };

export function fmtDate(iso: string | null): string {
  if (!iso) return "never";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function fmtDay(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });
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
