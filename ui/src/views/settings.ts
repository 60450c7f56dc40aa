// The Settings view, the first-run page and start-at-login (its checkbox and the one-time offer):
// together because they all set up how Tenantry runs, and the two pages share saving and the
// list of redirect URIs to register at Xero.

import type { PracticeView } from "../bindings/PracticeView";
import type { RedirectMode } from "../bindings/RedirectMode";
import type { Settings } from "../bindings/Settings";
import { $, esc, toast, toastError } from "../dom";
import { fmtDate, fmtDay } from "../format";
import { errorText, invoke } from "../ipc";

/** What the view asks of the window around it. */
export interface SettingsHost {
  /** Fetches the overview again and renders it (the mode may have changed). */
  load(): Promise<void>;
  /** Starts signing in a new login. */
  connect(): Promise<void>;
}

const REDIRECT_MODES: readonly RedirectMode[] = ["loopback", "deep_link"];

/** The checked radio button's value as a mode; loopback, the one Xero supports, if it is none. */
function redirectMode(value: string | undefined): RedirectMode {
  return REDIRECT_MODES.find((m) => m === value) ?? "loopback";
}

const input = (id: string) => $<HTMLInputElement>(id);

function uriList(el: HTMLElement, uris: string[]) {
  el.innerHTML = uris
    .map((u) => `<li><code>${esc(u)}</code> <button type="button" class="small" data-action="copy" data-value="${esc(u)}" aria-label="Copy ${esc(u)}">Copy</button></li>`)
    .join("");
}

function settingsFromForm(): Settings {
  return {
    client_id: input("set-client").value.trim(),
    redirect_ports: input("set-ports").value.split(/[\s,]+/).filter(Boolean).map(Number),
    scopes: input("set-scopes").value.split(/[\s,]+/).filter(Boolean),
    keepalive_days: Number(input("set-keepalive").value),
    notify_days: Number(input("set-notify").value),
    close_to_tray: input("set-tray").checked,
    serve_gateway: input("set-gateway").checked,
    redirect_mode: redirectMode(document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value),
    bounce_url: input("set-bounce").value.trim() || null,
  };
}

/** Saves, or shows why not in `errorEl` (next to the form, where the fix is made). */
async function saveSettings(settings: Settings, errorEl: HTMLElement) {
  errorEl.hidden = true;
  try {
    await invoke("save_settings", { settings });
    return true;
  } catch (e) {
    errorEl.textContent = errorText(e);
    errorEl.hidden = false;
    return false;
  }
}

export class SettingsView {
  /** The offer is asked about once per run, on the first overview that talks to Xero. */
  private offerChecked = false;

  constructor(private readonly host: SettingsHost) {}

  /** Fills the form from the engine's settings, when the view is opened. */
  open() {
    void this.fill().catch(toastError);
  }

  async loadFirstRun() {
    const s = await invoke("settings");
    uriList($("first-run-uris"), s.redirect_uris);
  }

  async tryDemo(button: HTMLButtonElement) {
    button.disabled = true;
    button.textContent = "Starting the demo…";
    try {
      await invoke("start_demo");
      await this.host.load();
    } catch (e) {
      toastError(e);
    }
  }

  /** The first-run page sets only the Client ID, then goes straight on to signing in. */
  async saveFirstRun() {
    const s = await invoke("settings");
    const settings = { ...s.settings, client_id: input("first-run-client").value.trim() };
    if (await saveSettings(settings, $("first-run-error"))) {
      await this.host.load();
      await this.host.connect();
    }
  }

  async submit(e: SubmitEvent) {
    e.preventDefault();
    if (await saveSettings(settingsFromForm(), $("settings-error"))) {
      toast("Settings saved.");
      await this.host.load();
    }
  }

  async toggleAutostart(box: HTMLInputElement) {
    try {
      box.checked = (await invoke("set_autostart", { enabled: box.checked })).enabled;
    } catch (e) {
      box.checked = !box.checked;
      toastError(e);
    }
  }

  /** Shows the offer to start at login, if the engine says to make it. */
  async offerAutostart() {
    if (this.offerChecked) return;
    this.offerChecked = true;
    const a = await invoke("autostart");
    $("autostart-offer").hidden = !a.offer;
  }

  async answerOffer(enabled: boolean) {
    try {
      await invoke("set_autostart", { enabled });
      $("autostart-offer").hidden = true;
      if (enabled) toast("Tenantry will start in the tray when you log in. Change this in Settings.");
    } catch (e) {
      toastError(e);
    }
  }

  /** The practice section (practice mode only): this computer's seat and every member, fetched
   * afresh on each overview, so a machine joining elsewhere shows here at once. */
  async showPractice(practice: PracticeView | null) {
    $("set-practice").hidden = practice === null;
    if (!practice) return;
    $("practice-seat").textContent = `This computer works in the practice on ${practice.server}, as ${practice.person} on ${practice.machine}. Its logins are the whole practice's.`;
    try {
      const members = await invoke("practice_members");
      $("practice-members").innerHTML = members
        .map(
          (m) =>
            `<tr><td>${esc(m.person)}</td><td>${esc(m.machine)}${m.this_machine ? ` <span class="muted">(this computer)</span>` : ""}</td><td>${esc(fmtDay(m.joined_at))}</td><td>${esc(fmtDate(m.last_seen_at))}${m.current_key ? "" : ` <span class="error">joined before the key was rotated: must join again</span>`}</td></tr>`,
        )
        .join("");
    } catch (e) {
      toastError(e);
    }
  }

  private async fill() {
    const s = await invoke("settings");
    input("set-client").value = s.settings.client_id;
    input("set-ports").value = s.settings.redirect_ports.join(", ");
    input("set-scopes").value = s.settings.scopes.join(" ");
    input("set-keepalive").value = String(s.settings.keepalive_days);
    input("set-notify").value = String(s.settings.notify_days);
    input("set-tray").checked = s.settings.close_to_tray;
    input("set-gateway").checked = s.settings.serve_gateway;
    // Start-at-login is the platform's, not a setting: where it cannot be asked, it cannot be set.
    void invoke("autostart")
      .then((a) => (input("set-autostart").checked = a.enabled))
      .catch(() => (input("set-autostart").disabled = true));
    input("set-bounce").value = s.settings.bounce_url ?? "";
    for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) radio.checked = radio.value === s.settings.redirect_mode;
    uriList($("set-uris"), s.redirect_uris);
    $("set-config-file").textContent = s.config_file;
    $("set-data-dir").textContent = s.data_dir;
    $("set-vault").textContent = `${s.vault}.`;
    $("about").textContent = `Tenantry ${s.version}`;
  }
}
