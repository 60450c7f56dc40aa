// The guided handover, from a login's "Hand over…": which organisations only the leaving login
// reaches, which the login taking over reaches already, a sign-in for the rest, and the removal,
// offered only as the engine allows (it judges again when asked). Stopped anywhere, it continues
// when opened again: where it stands is read afresh from the engine each time.

import type { HandoverStep } from "../bindings/HandoverStep";
import type { HandoverView } from "../bindings/HandoverView";
import type { LoginView } from "../bindings/LoginView";
import { $, confirmAction, esc, toast, toastError } from "../dom";
import { invoke } from "../ipc";

export interface HandoverHost {
  logins(): readonly LoginView[];
  /** Signs `login` in again (the connect dialog). */
  signIn(login: string): Promise<void>;
  load(): Promise<void>;
}

export class HandoverDialog {
  private readonly dialog = $<HTMLDialogElement>("handover-dialog");
  private from = "";
  private to = "";
  /** A sign-in this dialog started is in progress: its end is a step to note. */
  private signingIn = false;
  private shown: HandoverView | null = null;

  constructor(private readonly host: HandoverHost) {}

  async open(from: string) {
    const others = this.host.logins().filter((l) => l.id !== from);
    if (!others.length) {
      toast("A handover needs the login taking over: connect it first, then choose Hand over… again.", "error");
      return;
    }
    this.from = from;
    if (!others.some((l) => l.id === this.to)) this.to = others[0].id;
    const select = $<HTMLSelectElement>("handover-to");
    select.innerHTML = others.map((l) => `<option value="${esc(l.id)}">${esc(l.email)}</option>`).join("");
    select.value = this.to;
    select.onchange = () => {
      this.to = select.value;
      void this.refresh();
    };
    await this.refresh();
    if (!this.dialog.open) this.dialog.showModal();
  }

  close() {
    this.dialog.close();
  }

  async signIn() {
    this.signingIn = true;
    await this.refresh("signing_in");
    await this.host.signIn(this.to);
  }

  /** A sign-in ended (the connect dialog's event): if this dialog started it, see what arrived. */
  signInFinished() {
    if (!this.signingIn) return;
    this.signingIn = false;
    void this.refresh("checked");
  }

  async remove() {
    const v = this.shown;
    if (!v) return;
    const force = [...document.querySelectorAll<HTMLInputElement>("#handover-force-list input:checked")].map((i) => i.value);
    const lost = v.complete ? "" : ` ${names(v.state.missing)} will be lost.`;
    if (!(await confirmAction(`Remove ${v.from_email}? This revokes it at Xero.${lost}`, `Remove ${v.from_email}`))) return;
    try {
      const done = await invoke("finish_handover", { from: this.from, to: this.to, force });
      this.dialog.close();
      toast(
        `Removed ${done.from_email}: revoked at Xero. ${done.to_email} reaches every organisation it alone reached` +
          (done.complete ? "." : `, but ${names(done.state.missing)}.`),
      );
      await this.host.load();
    } catch (e) {
      toastError(e);
      await this.refresh();
    }
  }

  private async refresh(step?: HandoverStep) {
    if (!this.from || !this.to) return;
    try {
      const args = { from: this.from, to: this.to };
      this.render(step ? await invoke("note_handover", { ...args, step }) : await invoke("handover", args));
    } catch (e) {
      toastError(e);
    }
  }

  private render(v: HandoverView) {
    this.shown = v;
    const s = v.state;
    const handed = s.covered.length + s.missing.length;
    $("handover-title").textContent = `Hand over ${v.from_email}`;
    $("handover-summary").textContent = handed
      ? `${v.from_email} alone reaches ${handed} organisation${handed === 1 ? "" : "s"}; ${v.to_email} reaches ${s.covered.length} of them.`
      : `No organisation is reached through ${v.from_email} alone: removing it loses none.`;
    $("handover-list").innerHTML =
      s.covered.map((c) => `<li class="done" data-tenant="${esc(c.tenant_id)}"><span class="tag">handed over</span> ${esc(c.name)}</li>`).join("") +
      s.missing.map((c) => `<li class="missing" data-tenant="${esc(c.tenant_id)}"><span class="tag bad">missing</span> ${esc(c.name)}</li>`).join("");
    const shared = $("handover-shared");
    shared.hidden = !s.shared.length;
    shared.textContent = `${s.shared.length} more reached through other logins too: ${names(s.shared)}.`;
    const next = $("handover-next");
    next.hidden = v.complete;
    next.textContent = `Sign in as ${v.to_email} and, on Xero's consent page, tick ${names(s.missing)}. One sign-in can add several; open this again to continue later.`;
    const signIn = $<HTMLButtonElement>("handover-sign-in");
    signIn.hidden = v.complete;
    signIn.textContent = `Sign in as ${v.to_email}…`;
    $("handover-force").hidden = v.complete;
    $("handover-force-list").innerHTML = s.missing
      .map((c) => `<li><label><input type="checkbox" value="${esc(c.tenant_id)}" /> ${esc(c.name)}</label></li>`)
      .join("");
    const remove = $<HTMLButtonElement>("handover-remove");
    remove.textContent = `Remove ${v.from_email}`;
    const update = () => {
      const boxes = [...document.querySelectorAll<HTMLInputElement>("#handover-force-list input")];
      remove.disabled = !v.complete && !boxes.every((b) => b.checked);
    };
    for (const box of document.querySelectorAll<HTMLInputElement>("#handover-force-list input")) box.onchange = update;
    update();
  }
}

function names(clients: { name: string }[]): string {
  return clients.map((c) => c.name).join(", ");
}
