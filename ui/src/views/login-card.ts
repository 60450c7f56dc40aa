// One login's card as HTML, apart from the list and the filter: its classes, ids and data-*
// attributes are what the stylesheet, the action buttons' handler and the WebDriver tests find.

import type { LoginView } from "../bindings/LoginView";
import type { OrgView } from "../bindings/OrgView";
import { esc } from "../dom";
import { BADGE, countdown, daysLeft, fmtDate, fmtDay, health, needsHuman, orgKey } from "../format";

function orgRow(login: LoginView, o: OrgView): string {
  return `<tr data-key="${esc(orgKey(o))}">
        <th scope="row">${esc(o.name)}${o.shared ? ` <span class="tag" title="Also reachable through another login">also via another login</span>` : ""}${o.disconnected_at ? ` <span class="tag bad" title="Xero no longer lists it for this login">disconnected at Xero ${esc(fmtDay(o.disconnected_at))}</span>` : ""}</th>
        <td>${esc(o.tenant_type)}</td>
        <td><code>${esc(o.tenant_id)}</code> <button type="button" class="small" data-action="copy" data-value="${esc(o.tenant_id)}" aria-label="Copy the tenant id of ${esc(o.name)}">Copy</button></td>
        <td>${esc(fmtDay(o.connected_since))}</td>
        <td class="row-actions">
          <button type="button" class="small" data-action="test" data-tenant="${esc(o.tenant_id)}" data-name="${esc(o.name)}">Test connection</button>
          <button type="button" class="small danger-quiet" data-action="disconnect" data-login="${esc(login.id)}" data-tenant="${esc(o.tenant_id)}" data-name="${esc(o.name)}" data-email="${esc(login.email)}">Disconnect</button>
        </td></tr>`;
}

/** The card of `login` with the organisations the filter keeps; `index` is its place in the list. */
export function loginCard(login: LoginView, orgs: OrgView[], index: number, focused: boolean): string {
  const h = health(login);
  const days = daysLeft(login);
  const human = needsHuman(login);
  const problem = login.reason ? `<p class="error">${esc(login.reason)}</p>` : "";
  const missing = login.missing_scopes.length
    ? `<p class="error">Not granted: ${esc(login.missing_scopes.join(" "))} (the configuration asks for it). Reconnect and allow it.</p>`
    : "";
  const scopes = `<p class="muted scopes">Scopes: ${esc(login.scopes.join(" "))}</p>`;
  // A custom connection is connected again with its new secret, from the command line.
  const reconnect =
    human && login.custom
      ? `<p class="muted">Run <code>tenantry connect --custom-connection</code> with the app's current secret.</p>`
      : human
        ? `<button type="button" class="primary" data-action="reconnect" data-login="${esc(login.id)}">Reconnect</button>`
        : "";
  const orgRows = orgs.map((o) => orgRow(login, o)).join("");
  return `<article class="login h-${h}${focused ? " focused" : ""}" data-login="${esc(login.id)}" data-index="${index}" aria-labelledby="l-${esc(login.id)}">
    <header>
      <div><h2 id="l-${esc(login.id)}">${esc(login.name || login.email)}</h2><span class="email">${esc(login.email)}</span></div>
      <span class="badge b-${h}" title="${esc(login.last_error ?? "")}">${BADGE[h]}</span>
    </header>
    <dl class="facts">
      ${
        human
          ? `<div><dt>Access token</dt><dd class="access-none">—</dd></div>
      <div><dt>Refresh deadline</dt><dd class="deadline-none">— <span class="muted">${esc(BADGE[h].toLowerCase())}</span></dd></div>`
          : login.custom
            ? `<div><dt>Access token</dt><dd data-expires="${esc(login.access_expires_at)}">${esc(countdown(login.access_expires_at))}</dd></div>
      <div><dt>Refresh deadline</dt><dd class="deadline-none">— <span class="muted">custom connection: no 60-day limit</span></dd></div>`
            : `<div><dt>Access token</dt><dd data-expires="${esc(login.access_expires_at)}">${esc(countdown(login.access_expires_at))}</dd></div>
      <div><dt>Refresh deadline</dt><dd><meter min="0" max="60" low="7" high="30" optimum="60" value="${Math.max(0, days)}" aria-label="${days} of 60 days left"></meter> ${days} days left <span class="muted">(${esc(fmtDate(login.refresh_deadline))})</span></dd></div>`
      }
      <div><dt>Last refresh</dt><dd>${esc(fmtDate(login.last_refresh_at))}</dd></div>
    </dl>
    ${problem}${scopes}${missing}
    <div class="actions">${reconnect || (login.missing_scopes.length ? `<button type="button" data-action="reconnect" data-login="${esc(login.id)}">Reconnect</button>` : "")}
      <button type="button" data-action="refresh" data-login="${esc(login.id)}" ${login.refreshing ? "disabled" : ""}>Refresh now</button>
      <button type="button" data-action="handover" data-login="${esc(login.id)}" title="Someone is leaving: move the organisations only this login reaches to another login, then remove it">Hand over…</button>
      <button type="button" class="danger-quiet" data-action="remove" data-login="${esc(login.id)}" data-email="${esc(login.email)}">Remove login</button>
    </div>
    <table class="orgs grid"><caption class="visually-hidden">Organisations of ${esc(login.email)}</caption>
      <thead><tr><th scope="col">Organisation</th><th scope="col">Type</th><th scope="col">Tenant id</th><th scope="col">Connected since</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${orgRows || `<tr><td colspan="5" class="muted">No organisations connected through this login.</td></tr>`}</tbody>
    </table>
  </article>`;
}
