// The window's only door to the engine: typed commands, typed events and the words for its errors,
// so that a command, argument, result or event the Rust side does not have fails to compile here.

import type { AccessView } from "./bindings/AccessView";
import type { AutostartView } from "./bindings/AutostartView";
import type { CallView } from "./bindings/CallView";
import type { CheckView } from "./bindings/CheckView";
import type { ConnectView } from "./bindings/ConnectView";
import type { EventView } from "./bindings/EventView";
import type { Fix } from "./bindings/Fix";
import type { HandoverStep } from "./bindings/HandoverStep";
import type { HandoverView } from "./bindings/HandoverView";
import type { IpcError } from "./bindings/IpcError";
import type { MemberView } from "./bindings/MemberView";
import type { OrgTest } from "./bindings/OrgTest";
import type { Overview } from "./bindings/Overview";
import type { Settings } from "./bindings/Settings";
import type { SettingsView } from "./bindings/SettingsView";
import type { UiEvent } from "./bindings/UiEvent";
import type { UsageView } from "./bindings/UsageView";

interface TauriGlobal {
  core: { invoke(cmd: string, args?: object): Promise<unknown> };
  event: { listen(event: string, handler: (e: { payload: unknown }) => void): Promise<() => void> };
}
declare global {
  interface Window {
    __TAURI__: TauriGlobal;
  }
}

/** Every command the Rust side registers: its arguments, named as its parameters (`undefined`: it
 * takes none), and what it returns. Written by hand; ts-rs generates the types, not the list. */
export interface Commands {
  overview: { args: undefined; result: Overview };
  start_demo: { args: undefined; result: void };
  retry_start: { args: undefined; result: void };
  unlock_vault: { args: { passphrase: string }; result: void };
  connect: { args: { reconnect: string | null; incognito?: boolean }; result: ConnectView };
  open_connect_page_again: { args: undefined; result: void };
  cancel_connect: { args: undefined; result: void };
  refresh_login: { args: { login: string }; result: void };
  test_organisation: { args: { tenant: string }; result: OrgTest };
  disconnect: { args: { login: string; tenant: string }; result: void };
  remove_login: { args: { login: string }; result: void };
  events: { args: { login: string | null }; result: EventView[] };
  calls: { args: { org: string | null; program: string | null; hours: number | null }; result: CallView[] };
  settings: { args: undefined; result: SettingsView };
  save_settings: { args: { settings: Settings }; result: SettingsView };
  refresh_all: { args: undefined; result: void };
  check_with_xero: { args: undefined; result: CheckView };
  autostart: { args: undefined; result: AutostartView };
  set_autostart: { args: { enabled: boolean }; result: AutostartView };
  practice_members: { args: undefined; result: MemberView[] };
  usage: { args: undefined; result: UsageView };
  access: { args: undefined; result: AccessView };
  export_access_csv: { args: undefined; result: string | null };
  handover: { args: { from: string; to: string }; result: HandoverView };
  note_handover: { args: { from: string; to: string; step: HandoverStep }; result: HandoverView };
  finish_handover: { args: { from: string; to: string; force: string[] }; result: HandoverView };
}
export type Command = keyof Commands;
type ArgsOf<K extends Command> = Commands[K]["args"] extends undefined ? [] : [args: Commands[K]["args"]];

export function invoke<K extends Command>(command: K, ...args: ArgsOf<K>): Promise<Commands[K]["result"]> {
  // The one unchecked step: Tauri's invoke is untyped, and the table above stands for the Rust side.
  return window.__TAURI__.core.invoke(command, args[0]) as Promise<Commands[K]["result"]>;
}

/** Event names come from the generated union alone, so they are written only in Rust. */
export type EventName = UiEvent["name"];
export type PayloadOf<N extends EventName> = Extract<UiEvent, { name: N }> extends { payload: infer P } ? P : null;

export function listen<N extends EventName>(name: N, handler: (payload: PayloadOf<N>) => void): Promise<() => void> {
  // Tauri sends `null` for an event emitted without a payload, which is what PayloadOf says.
  return window.__TAURI__.event.listen(name, (e) => handler(e.payload as PayloadOf<N>));
}

/** The engine's messages name no front end's commands, so the step that fixes an error is
 * worded here, for this window. */
function fixText(fix: Fix): string {
  switch (fix.kind) {
    case "reconnect":
      return `Choose Reconnect on ${fix.email}.`;
    case "reconnect_or_remove":
      return `Reconnect ${fix.email} and tick it on Xero's consent page, or remove it from the list on the Clients tab.`;
    case "list_organisations":
      return "Check the organisation's name on the Logins tab.";
    case "list_logins":
      return "Check the login on the Logins tab.";
    case "retry":
      return `Choose Refresh on ${fix.email}.`;
    case "set_client_id":
      return "Enter your Xero app's Client ID in Settings.";
    case "set_database_url":
      return "Set the practice's database_url in the configuration file (tenantry config set database_url …).";
    case "init_practice":
      return "Run `tenantry practice init` on the practice's first machine.";
    case "join_practice":
      return "On a member machine run `tenantry practice invite`, then `tenantry practice join CODE` on this one.";
    case "new_join_code":
      return "Make a new join code with `tenantry practice invite` on a member machine.";
    case "reconnect_then_rotate":
      return `Reconnect ${fix.login}, then rotate the practice key again.`;
    default: {
      const unworded: never = fix;
      return unworded;
    }
  }
}

function isIpcError(e: unknown): e is IpcError {
  return !!e && typeof e === "object" && "message" in e;
}

/** An error as people read it: the engine's sentence, then the step that fixes it. */
export function errorText(e: unknown): string {
  if (!isIpcError(e)) return String(e);
  if (!e.fix) return e.message;
  // The engine's sentences have no full stop of their own; one goes before the fix's.
  const sentence = /[.!?]$/.test(e.message) ? e.message : `${e.message}.`;
  return `${sentence} ${fixText(e.fix)}`;
}
