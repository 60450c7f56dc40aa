// The connect dialog: waiting while the user signs in to Xero in the browser, then what the
// consent added. The sign-in itself is the engine's; this shows its two ends.

import type { ConnectResult } from "../bindings/ConnectResult";
import type { ConnectView } from "../bindings/ConnectView";
import { $, esc, toast, toastError } from "../dom";
import { errorText, invoke } from "../ipc";

export class ConnectDialog {
  private readonly dialog = $<HTMLDialogElement>("connect-dialog");

  /** Who a reconnect that came back as someone else meant, for "Sign in in a private window". */
  private intended: string | null = null;

  /** Starts a sign-in: a new login (`null`), or the login `reconnect` again. `incognito`: open no
   * browser, and offer the address to copy into a private window instead. */
  async start(reconnect: string | null, incognito = false) {
    try {
      this.showWaiting(await invoke("connect", { reconnect, incognito }), incognito);
    } catch (e) {
      toastError(e);
    }
  }

  /** After a reconnect signed in as someone else: the intended login again, in a private window. */
  startPrivate() {
    if (this.intended) void this.start(this.intended, true);
  }

  openPageAgain() {
    invoke("open_connect_page_again").catch(toastError);
  }

  async cancel() {
    await invoke("cancel_connect");
    this.dialog.close();
  }

  close() {
    this.dialog.close();
  }

  /** The sign-in finished (the backend's event), however it ended. */
  showResult(r: ConnectResult) {
    if (r.error?.code === "cancelled" && !r.login_email) {
      // The user cancelled (or started another sign-in): nothing to report.
      if (this.dialog.open && !$("connect-waiting").hidden) this.dialog.close();
      return;
    }
    $("connect-waiting").hidden = true;
    $("connect-done").hidden = false;
    const hint = $("connect-hint");
    hint.hidden = true;
    this.intended = r.intended_email;
    $("connect-private").hidden = !r.intended_email;
    if (r.error && !r.login_email) {
      $("connect-result").textContent = `Could not connect: ${errorText(r.error)}`;
      $("connect-added").innerHTML = "";
    } else {
      $("connect-result").textContent = `Connected ${r.login_name ?? ""} <${r.login_email}>.`;
      $("connect-added").innerHTML = r.added.length
        ? `<li class="muted">This consent added:</li>` + r.added.map((n) => `<li>${esc(n)}</li>`).join("")
        : `<li class="muted">This consent added no new organisations.</li>`;
      if (r.intended_email) {
        // Xero signs in whoever the browser is signed in as: lead with the failure, then the two
        // fixes (a private window shares no Xero session; or sign out there).
        $("connect-result").textContent = `${r.intended_email} was not reconnected.`;
        hint.hidden = false;
        hint.textContent =
          `Your browser was signed in to Xero as ${r.login_email}, not ${r.intended_email}, so ${r.login_email} was saved as a login of its own ` +
          `(already connected: ${r.already}, new: ${r.added.length}) and ${r.intended_email} is unchanged. To reconnect ${r.intended_email}, sign in ` +
          `in a private (incognito) browser window with the link below, or sign out of Xero in your browser (go.xero.com/logout), then choose Reconnect again.`;
        $("connect-private").textContent = `Sign in as ${r.intended_email} in a private window`;
      }
      // Connected, but something after the sign-in failed: the login is there, so say it aside.
      if (r.error) toast(errorText(r.error), "error");
    }
    if (!this.dialog.open) this.dialog.showModal();
    $("connect-close").focus();
  }

  private showWaiting(c: ConnectView, incognito = false) {
    $("connect-waiting").hidden = false;
    $("connect-done").hidden = true;
    $("connect-copy").dataset.value = c.authorize_url;
    const who = c.reconnect_email ?? "the Xero user whose organisations you want to add";
    $("connect-who").textContent = incognito
      ? `Copy the link into a private (incognito) browser window and sign in there as ${who}.`
      : `Sign in as ${who}. If your browser is signed in to Xero as someone else, copy the link into a private window instead.`;
    if (!this.dialog.open) this.dialog.showModal();
    $("connect-cancel").focus();
  }
}
