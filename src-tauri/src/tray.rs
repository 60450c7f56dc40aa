//! The system-tray icon: its colour is the worst login's state, its menu opens the window,
//! refreshes every login, says how many need attention, and quits. It follows the keeper's
//! lookout ([`follow`]) and hands each click to the action the app gives it, as a
//! [`TrayAction`]; the menu's ids map to actions, so the handlers are tested without a panel to
//! click.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Wry};
use tenantry_core::watch::{Attention, Level, Lookout};
use tokio::sync::watch;

pub const TRAY_ID: &str = "tenantry";

/// What a tray menu item does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    Open,
    RefreshAll,
    /// "N logins need attention": opens the window on the first of them.
    ShowAttention,
    Quit,
}

impl TrayAction {
    pub const ALL: [TrayAction; 4] = [
        Self::Open,
        Self::RefreshAll,
        Self::ShowAttention,
        Self::Quit,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::RefreshAll => "refresh-all",
            Self::ShowAttention => "attention",
            Self::Quit => "quit",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }
}

/// The menu's items that change with the logins' state.
pub struct TrayMenu {
    attention: MenuItem<Wry>,
    /// What the tray shows now: it is redrawn only when this changes (each redraw writes the
    /// icon to a file for the panel, and changes arrive with every refresh).
    shown: std::sync::Mutex<Option<Attention>>,
}

/// The tray's words for a state: the tooltip, and the attention item's label and whether it
/// does anything (with nothing to attend to it is greyed out).
pub fn labels(attention: &Attention) -> (String, String, bool) {
    let tooltip = format!("Tenantry: {}", attention.summary());
    let item = if attention.needing_attention == 0 {
        "Nothing needs attention".to_owned()
    } else {
        format!("{}…", attention.summary())
    };
    (tooltip, item, attention.needing_attention > 0)
}

/// Builds the tray; each menu click calls `on_action`.
pub fn build(app: &AppHandle, on_action: fn(&AppHandle, TrayAction)) -> tauri::Result<TrayMenu> {
    let item = |action: TrayAction, label: &str| {
        MenuItem::with_id(app, action.id(), label, true, None::<&str>)
    };
    let open = item(TrayAction::Open, "Open Tenantry")?;
    let refresh = item(TrayAction::RefreshAll, "Refresh all logins")?;
    let attention = MenuItem::with_id(
        app,
        TrayAction::ShowAttention.id(),
        "Nothing needs attention",
        false,
        None::<&str>,
    )?;
    let quit = item(TrayAction::Quit, "Quit Tenantry")?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &attention,
            &PredefinedMenuItem::separator(app)?,
            &refresh,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Level::Fine))
        .tooltip("Tenantry")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(move |app, event| {
            if let Some(action) = TrayAction::from_id(event.id().as_ref()) {
                on_action(app, action);
            }
        })
        .build(app)?;
    Ok(TrayMenu {
        attention,
        shown: std::sync::Mutex::new(None),
    })
}

/// Shows what the lookout says for as long as the app runs, redrawing only when it changes.
pub fn follow(app: &AppHandle, menu: TrayMenu, mut lookout: watch::Receiver<Lookout>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let attention = lookout.borrow_and_update().attention.clone();
            show(&app, &menu, &attention);
            if lookout.changed().await.is_err() {
                return;
            }
        }
    });
}

/// Shows the state: icon colour, tooltip and the attention item.
fn show(app: &AppHandle, menu: &TrayMenu, attention: &Attention) {
    {
        let mut shown = menu.shown.lock().expect("tray lock");
        if shown.as_ref() == Some(attention) {
            return;
        }
        *shown = Some(attention.clone());
    }
    let (tooltip, label, enabled) = labels(attention);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_icon(Some(icon(attention.level)));
        let _ = tray.set_tooltip(Some(&tooltip));
    }
    let _ = menu.attention.set_text(label);
    let _ = menu.attention.set_enabled(enabled);
}

/// A 32×32 disc in the level's colour with a white ring, drawn here so the tray needs no image
/// files: green when all is well, amber for a warning, red when a human must act.
pub fn icon(level: Level) -> Image<'static> {
    const SIZE: usize = 32;
    let [r, g, b] = match level {
        Level::Fine => [0x2e, 0x7d, 0x32],
        Level::Warning => [0xf9, 0xa8, 0x25],
        Level::Action => [0xc6, 0x28, 0x28],
    };
    let mut rgba = Vec::with_capacity(SIZE * SIZE * 4);
    let centre = (SIZE as f32 - 1.0) / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let d = ((x as f32 - centre).powi(2) + (y as f32 - centre).powi(2)).sqrt();
            let pixel = if d <= 12.5 {
                [r, g, b, 0xff]
            } else if d <= 15.0 {
                [0xff, 0xff, 0xff, 0xff]
            } else {
                [0, 0, 0, 0]
            };
            rgba.extend_from_slice(&pixel);
        }
    }
    Image::new_owned(rgba, SIZE as u32, SIZE as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_menu_id_maps_back_to_its_action() {
        for action in TrayAction::ALL {
            assert_eq!(
                TrayAction::from_id(action.id()),
                Some(action),
                "a click on {action:?} must do {action:?}"
            );
        }
        assert_eq!(TrayAction::from_id("delete-everything"), None);
    }

    #[test]
    fn the_icon_colour_follows_the_worst_state() {
        let centre = |level| {
            let image = icon(level);
            let i = (16 * 32 + 16) * 4;
            image.rgba()[i..i + 4].to_vec()
        };
        assert_eq!(centre(Level::Fine), [0x2e, 0x7d, 0x32, 0xff]);
        assert_eq!(centre(Level::Warning), [0xf9, 0xa8, 0x25, 0xff]);
        assert_eq!(centre(Level::Action), [0xc6, 0x28, 0x28, 0xff]);
        assert_eq!(
            &icon(Level::Action).rgba()[0..4],
            &[0, 0, 0, 0],
            "corners are transparent, so the disc sits on any panel"
        );
    }

    #[test]
    fn the_attention_item_counts_and_is_greyed_when_there_is_nothing() {
        let calm = Attention {
            level: Level::Fine,
            logins: 3,
            needing_attention: 0,
        };
        assert_eq!(
            labels(&calm),
            (
                "Tenantry: All 3 logins connected".into(),
                "Nothing needs attention".into(),
                false
            )
        );
        let bad = Attention {
            level: Level::Action,
            logins: 3,
            needing_attention: 2,
        };
        assert_eq!(
            labels(&bad),
            (
                "Tenantry: 2 logins need attention".into(),
                "2 logins need attention…".into(),
                true
            )
        );
    }
}
