//! Tenantry's desktop app: a thin Tauri 2 shell over tenantry-core. Set-up, managed state,
//! commands, events, deep links and a single instance; the engine does the work, and the core's
//! keeper watches over the open profile. This file wires the parts together: the tray and the
//! notifications follow what [`Desk`] relays and call back into it through the functions here,
//! so neither imports the state it acts on.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod access;
mod calls;
mod clients;
mod commands;
mod desk;
mod handover;
mod ipc;
mod notices;
mod practice;
mod tray;
mod usage;
mod window;

use desk::{Desk, Launch};
use std::sync::atomic::Ordering;
use tauri::{AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;
use tray::TrayAction;

/// What a tray item does.
fn tray_action(app: &AppHandle, action: TrayAction) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let desk = app.state::<Desk>();
        match action {
            TrayAction::Open => window::show(&app),
            TrayAction::RefreshAll => desk.refresh_all(&app).await,
            TrayAction::ShowAttention => desk.show_attention(&app).await,
            TrayAction::Quit => app.exit(0),
        }
    });
}

/// A click on a notification: the login's link goes the way of any link; otherwise the window.
fn notice_clicked(app: &AppHandle, link: Option<url::Url>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match link {
            Some(url) => app.state::<Desk>().deep_link(&app, &url).await,
            None => window::show(&app),
        }
    });
}

const USAGE: &str = "\
Tenantry: keeps your Xero logins connected, and hands out their tokens.

Usage: tenantry-desktop [OPTIONS] [tenantry://…]

Options:
  --demo                   Open the demo: a fake Xero with sample logins (nothing reaches Xero)
  --demo-size LOGINSxORGS  The demo with that many logins and organisations, e.g. 3x42
  --profile NAME           Use the profile NAME (default: $TENANTRY_PROFILE, else default)
  --config PATH            Read the configuration from PATH
  --data-dir DIR           Keep the profile's data in DIR
  --hidden                 Start in the tray, without a window
  -h, --help               Print this help
  -V, --version            Print the version

The command line is `tenantry` (tenantry --help).";

/// What to print and exit with instead of starting the app, for `--version` and `--help`: a
/// packaged app must answer them without a display.
fn answer_without_window(args: &[String]) -> Option<String> {
    let asked = |flags: [&str; 2]| args.iter().any(|a| flags.contains(&a.as_str()));
    if asked(["-h", "--help"]) {
        Some(USAGE.to_string())
    } else if asked(["-V", "--version"]) {
        Some(format!("tenantry-desktop {}", env!("CARGO_PKG_VERSION")))
    } else {
        None
    }
}

/// Whether the app registers the `tenantry://` scheme for this user at start. An installed .deb
/// or .rpm must not: its desktop entry already handles the scheme for every user, and a per-user
/// handler would shadow it, and outlive the package's removal. A build run from the tree or an
/// AppImage has no desktop entry of its own, so it registers one.
#[cfg_attr(
    not(any(target_os = "linux", all(debug_assertions, windows))),
    allow(dead_code)
)]
fn registers_scheme_itself(bundle: Option<tauri::utils::config::BundleType>) -> bool {
    use tauri::utils::config::BundleType;
    !matches!(bundle, Some(BundleType::Deb | BundleType::Rpm))
}

/// `tenantry-desktop [--demo | --demo-size LOGINSxORGS] [--profile NAME] [--config PATH] [--data-dir DIR] [--hidden] [tenantry://…]`
fn launch_from_args() -> Launch {
    let mut launch =
        Launch::new(std::env::var("TENANTRY_PROFILE").unwrap_or_else(|_| "default".into()));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => launch.demo = true,
            "--demo-size" => {
                launch.demo = true;
                launch.demo_size = args.next().and_then(|v| {
                    let (l, o) = v.split_once('x')?;
                    Some((l.parse().ok()?, o.parse().ok()?))
                });
            }
            "--profile" => launch.profile = args.next().unwrap_or(launch.profile),
            "--config" => launch.config = args.next().map(Into::into),
            "--data-dir" => launch.data_dir = args.next().map(Into::into),
            "--hidden" => launch.hidden = true,
            #[cfg(debug_assertions)]
            "--test-save-as" => {
                if let Some(path) = args.next() {
                    let _ = access::TEST_SAVE_AS.set(path.into());
                }
            }
            #[cfg(debug_assertions)]
            "--test-minute-ms" => {
                if let Some(ms) = args.next().and_then(|v| v.parse().ok()) {
                    launch.minute = std::time::Duration::from_millis(ms);
                }
            }
            _ => {} // a tenantry:// link is the deep-link plugin's
        }
    }
    launch
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(answer) = answer_without_window(&args) {
        println!("{answer}");
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TENANTRY_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let (desk, relays) = Desk::new(launch_from_args());
    tauri::Builder::default()
        // First, so a second launch (e.g. the OS opening a tenantry:// link) hands its arguments
        // to this window and exits; with the deep-link feature the link arrives as a deep link.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // A second launch shows this window, unless it only carries a link (the link's
            // handler decides) or is start-at-login's hidden launch.
            let quiet = argv
                .iter()
                .any(|a| a == "--hidden" || a.starts_with("tenantry:"));
            if !quiet {
                window::show(app);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .manage(desk)
        .on_window_event(|window, event| {
            // Closing the window keeps keep-alive running in the tray (configurable).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event
                && window.state::<Desk>().close_to_tray.load(Ordering::SeqCst)
                && window.app_handle().tray_by_id(tray::TRAY_ID).is_some()
            {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            match tray::build(&handle, tray_action) {
                Ok(menu) => tray::follow(&handle, menu, relays.lookout),
                // No tray on this desktop: closing the window then quits, as it always did.
                Err(e) => tracing::warn!(error = %e, "could not create the tray icon"),
            }
            notices::follow(&handle, relays.notices, notice_clicked);
            if app.state::<Desk>().launch.hidden
                && let Some(window) = app.get_webview_window("main")
            {
                let _ = window.hide();
            }
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            if registers_scheme_itself(tauri::utils::platform::bundle_type())
                && let Err(e) = app.deep_link().register_all()
            {
                // Without xdg-utils the scheme is not registered; loopback sign-in still works.
                tracing::warn!(error = %e, "could not register the tenantry:// scheme");
            }
            let links = handle.clone();
            app.deep_link().on_open_url(move |event| {
                let (app, urls) = (links.clone(), event.urls());
                tauri::async_runtime::spawn(async move {
                    let desk = app.state::<Desk>();
                    for url in urls {
                        desk.deep_link(&app, &url).await;
                    }
                });
            });
            let cold_start_links = app
                .deep_link()
                .get_current()
                .ok()
                .flatten()
                .unwrap_or_default();
            tauri::async_runtime::spawn(async move {
                let desk = handle.state::<Desk>();
                // A failure is logged, and shown in the window until a retry succeeds.
                let _ = desk.start(&handle).await;
                for url in cold_start_links {
                    desk.deep_link(&handle, &url).await;
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::overview,
            commands::start_demo,
            commands::retry_start,
            commands::unlock_vault,
            commands::connect,
            commands::open_connect_page_again,
            commands::cancel_connect,
            commands::refresh_login,
            commands::test_organisation,
            commands::disconnect,
            commands::remove_login,
            commands::events,
            calls::calls,
            commands::settings,
            commands::save_settings,
            commands::refresh_all,
            commands::check_with_xero,
            commands::autostart,
            commands::set_autostart,
            commands::practice_members,
            commands::usage,
            commands::access,
            commands::export_access_csv,
            handover::handover,
            handover::note_handover,
            handover::finish_handover,
        ])
        .run(tauri::generate_context!())
        .expect("the Tauri application runs");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn installed_packages_leave_the_scheme_to_their_desktop_entry() {
        use tauri::utils::config::BundleType;
        // `xdg-mime query default x-scheme-handler/tenantry` must keep naming the package's entry.
        assert!(!registers_scheme_itself(Some(BundleType::Deb)));
        assert!(!registers_scheme_itself(Some(BundleType::Rpm)));
        // From the tree or an AppImage, nothing else would make links reach the app.
        assert!(registers_scheme_itself(None));
        assert!(registers_scheme_itself(Some(BundleType::AppImage)));
    }

    #[test]
    fn version_and_help_answer_without_a_window() {
        // A package's smoke test and a user's bug report both start from `--version`.
        assert_eq!(
            answer_without_window(&args(&["--version"])).as_deref(),
            Some(concat!("tenantry-desktop ", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(
            answer_without_window(&args(&["-V"])),
            answer_without_window(&args(&["--version"]))
        );
        assert!(answer_without_window(&args(&["--help"])).is_some_and(|h| h.contains("--demo")));
        // Asked anywhere on the line, as other programs answer it.
        assert!(answer_without_window(&args(&["--demo", "--version"])).is_some());
        // Everything else starts the app: a link, the tray launch, no argument at all.
        for launch in [
            &["tenantry://login/u1"][..],
            &["--hidden"],
            &[],
            &["--demo"],
        ] {
            assert_eq!(
                answer_without_window(&args(launch)),
                None,
                "{launch:?} must start the app"
            );
        }
    }
}
