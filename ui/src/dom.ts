// The DOM helpers every view shares (lookup, escaping, toasts, the clipboard, the confirm dialog),
// so that each view holds only what it shows.

import { errorText } from "./ipc";

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** Views build their HTML as strings; everything from the engine goes through this first. */
export function esc(s: string | null | undefined): string {
  return (s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function toast(message: string, kind: "ok" | "error" = "ok") {
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.textContent = message;
  $("toasts").append(el);
  // An error stays longer: it usually asks the reader to do something.
  setTimeout(() => el.remove(), kind === "error" ? 10_000 : 6_000);
}

/** Most failures need no more than telling: the engine's sentence and its fix, as a toast. */
export function toastError(e: unknown) {
  toast(errorText(e), "error");
}

export async function copy(text: string) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // The async clipboard can be refused (no focus, no permission); the old way still works there.
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast(`Copied ${text}`);
}

/** Asks before an action that cannot be undone; resolves to the answer. */
export function confirmAction(text: string, yes: string): Promise<boolean> {
  const dialog = $<HTMLDialogElement>("confirm-dialog");
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  dialog.showModal();
  // Focus on Cancel, so that Enter alone does not do the harm.
  $("confirm-no").focus();
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      dialog.close();
      $("confirm-yes").onclick = null;
      $("confirm-no").onclick = null;
      resolve(answer);
    };
    $("confirm-yes").onclick = () => done(true);
    $("confirm-no").onclick = () => done(false);
    dialog.oncancel = () => done(false);
  });
}
