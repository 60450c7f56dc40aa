// The problem screen: what stopped Tenantry from opening (no keychain, a configuration it cannot
// read) and the step that fixes it, shown instead of everything else, with "Try again". The
// backend sends the error's code; the words for people are chosen here, by code.

import type { IpcError } from "../bindings/IpcError";
import { $, toastError } from "../dom";
import { invoke } from "../ipc";

interface Step {
  text: string;
  /** A command to run, shown as code after the text. */
  command?: string;
}

interface Words {
  title: string;
  explain: string;
  steps: Step[];
}

/** What to tell the user about `problem`, by its code (never by its message text). */
export function problemWords(problem: IpcError): Words {
  switch (problem.code) {
    case "keychain":
      return {
        title: "Tenantry cannot reach your keychain",
        explain:
          "Tenantry keeps every login's tokens in the system keychain, and no keychain answered, so nothing can be connected or refreshed until one does.",
        steps: [
          { text: "On a desktop, log in to the desktop session (which unlocks the keychain), then try again." },
          {
            text: "On Linux without a desktop keychain, install gnome-keyring and start it, then try again:",
            command: "gnome-keyring-daemon --unlock --components=secrets",
          },
        ],
      };
    case "passphrase":
      return {
        title: "Unlock the file vault",
        explain:
          "This profile keeps its tokens in an encrypted file instead of the keychain (vault = \"file\"), and it opens with its passphrase. It is kept in memory only while Tenantry runs.",
        steps: [
          { text: "Type the passphrase below, or start Tenantry with it in the environment:", command: "TENANTRY_PASSPHRASE=… tenantry-desktop" },
        ],
      };
    case "config":
      return {
        title: "Tenantry cannot use its configuration",
        explain: "The configuration file could not be read as Tenantry's (details below).",
        steps: [{ text: "Correct the file the details name, or delete it to start again from the welcome page." }],
      };
    case "storage":
      return {
        title: "Tenantry cannot open its data",
        explain: "The database that lists your logins could not be opened (details below).",
        steps: [{ text: "Check that the data directory the details name exists and that you can write to it." }],
      };
    case "database_unreachable":
      return {
        title: "Tenantry cannot reach the practice database",
        explain:
          "This profile is in practice mode: its logins live in the practice's shared PostgreSQL database, and that server did not answer (details below name it).",
        steps: [
          { text: "Check the server is running and this computer can reach it (network, VPN), then try again." },
          { text: "To check the connection from a terminal:", command: "tenantry doctor" },
        ],
      };
    case "practice":
      return {
        title: "This computer has not joined the practice",
        explain:
          "This profile is in practice mode, and this computer does not hold the practice key that opens its logins' tokens: it has not joined yet, or the key was rotated since (details below).",
        steps: [
          { text: "On a computer that is a member, make a join code:", command: "tenantry practice invite" },
          { text: "Then on this computer:", command: "tenantry practice join CODE" },
        ],
      };
    default:
      return { title: "Tenantry could not start", explain: "Something stopped Tenantry from opening (details below).", steps: [] };
  }
}

export class ProblemView {
  private newVault = false;

  constructor(private readonly reload: () => Promise<void>) {
    $("problem-retry").addEventListener("click", () => void this.retry());
    $("unlock-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.unlock();
    });
  }

  /** `newVault`: the passphrase asked for is a new vault's. */
  render(problem: IpcError, newVault: boolean) {
    const asking = problem.code === "passphrase";
    // A vault not made yet takes its passphrase twice: a typo would lock its tokens away.
    this.newVault = asking && newVault;
    $("unlock-form").hidden = !asking;
    $("problem-retry").hidden = asking;
    $("vault-passphrase-again").hidden = !this.newVault;
    $("vault-passphrase-again-label").hidden = !this.newVault;
    const words = problemWords(problem);
    $("problem-title").textContent = words.title;
    $("problem-explain").textContent = words.explain;
    $("problem-message").textContent = `Details: ${problem.message}`;
    $("problem-steps").replaceChildren(
      ...words.steps.map((step) => {
        const item = document.createElement("li");
        item.textContent = step.text;
        if (step.command) {
          const code = document.createElement("code");
          code.textContent = step.command;
          item.append(document.createElement("br"), code);
        }
        return item;
      }),
    );
  }

  private async unlock() {
    const field = $("vault-passphrase") as HTMLInputElement;
    const again = $("vault-passphrase-again") as HTMLInputElement;
    const error = $("unlock-error");
    const passphrase = field.value;
    error.hidden = true;
    if (passphrase === "") {
      error.textContent = "Type the vault's passphrase.";
      error.hidden = false;
      return;
    }
    if (this.newVault && again.value !== passphrase) {
      error.textContent = "The two passphrases differ; nothing was created.";
      error.hidden = false;
      return;
    }
    const button = $("unlock-btn") as HTMLButtonElement;
    button.disabled = true;
    // Out of the page as soon as it is sent: nothing keeps it but the backend's memory.
    field.value = "";
    again.value = "";
    try {
      await invoke("unlock_vault", { passphrase });
    } catch {
      // The screen stays, with the reason (a wrong passphrase): the backend keeps it.
    } finally {
      button.disabled = false;
      await this.reload().catch(toastError);
    }
  }

  private async retry() {
    const button = $("problem-retry") as HTMLButtonElement;
    button.disabled = true;
    try {
      await invoke("retry_start");
    } catch {
      // The screen stays, with the new reason: the backend keeps it for the overview.
    } finally {
      button.disabled = false;
      await this.reload().catch(toastError);
    }
  }
}
