// The connect dialog: waiting while the user signs in to Xero in the browser, then what the
// consent added. The sign-in itself is the engine's; this shows its two ends.

import type { ConnectResult } from "../bindings/ConnectResult";
import type { ConnectView } from "../bindings/ConnectView";
import { $, esc, toast, toastError } from "../dom";
import { errorText, invoke } from "../ipc";

export class ConnectDialog {
  private readonly dialog = $<HTMLDialogElement>("connect-dialog");

  /** Starts a sign-in: a new login (`null`), or the login `reconnect` again. */
  async start(reconnect: string | null) {
    try {
      this.showWaiting(await invoke("connect", { reconnect }));
    } catch (e) {
      toastError(e);
    }
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
    if (r.error && !r.login_email) {
      $("connect-result").textContent = `Could not connect: ${errorText(r.error)}`;
      $("connect-added").innerHTML = "";
    } else {
      $("connect-result").textContent = `Connected ${r.login_name ?? ""} <${r.login_email}>.`;
      $("connect-added").innerHTML = r.added.length
        ? `<li class="muted">This consent added:</li>` + r.added.map((n) => `<li>${esc(n)}</li>`).join("")
        : `<li class="muted">This consent added no new organisations.</li>`;
      if (r.intended_email) {
        // Xero signs in whoever the browser is signed in as; only signing out there changes that.
        hint.hidden = false;
        hint.textContent =
          `Your browser was signed in to Xero as ${r.login_email}, not ${r.intended_email}, so ${r.login_email} was added as its own login ` +
          `and ${r.intended_email} is unchanged. To reconnect ${r.intended_email}, sign out of Xero in your browser (go.xero.com/logout), then choose Reconnect again.`;
      }
      // Connected, but something after the sign-in failed: the login is there, so say it aside.
      if (r.error) toast(errorText(r.error), "error");
    }
    if (!this.dialog.open) this.dialog.showModal();
    $("connect-close").focus();
  }

  private showWaiting(c: ConnectView) {
    $("connect-waiting").hidden = false;
    $("connect-done").hidden = true;
    $("connect-who").textContent = c.reconnect_email ? `Sign in as ${c.reconnect_email}.` : "Sign in as the Xero user whose organisations you want to add.";
    if (!this.dialog.open) this.dialog.showModal();
    $("connect-cancel").focus();
  }
}
