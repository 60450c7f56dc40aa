//! Settings in the window: the profile's configuration as the form shows it, and saving the form
//! back (to the real profile, never the demo's), which opens that profile.

use super::Desk;
use crate::ipc::{AppMode, IpcError, Settings, SettingsView};
use tauri::AppHandle;
use tenantry_core::ErrorCode;
use tenantry_core::config::{self, Edit, RedirectMode};
use tenantry_core::login::redirect_uri;
use tenantry_core::profile::Profile;

/// The form's view of a profile. The demo's client id is not shown: saving the form must not
/// turn the demo into a "real" profile.
pub fn settings_view(profile: &Profile, mode: AppMode) -> SettingsView {
    let c = &profile.config;
    SettingsView {
        settings: Settings {
            client_id: if mode == AppMode::Demo {
                String::new()
            } else {
                c.client_id.clone()
            },
            redirect_ports: c.redirect_ports.clone(),
            scopes: c.scopes.clone(),
            keepalive_days: c.keepalive_days,
            redirect_mode: c.redirect_mode,
            bounce_url: c.bounce_url.as_ref().map(|u| u.to_string()),
            notify_days: c.notify_days,
            close_to_tray: c.close_to_tray,
            serve_gateway: c.serve_gateway,
        },
        redirect_uris: c.redirect_ports.iter().map(|p| redirect_uri(*p)).collect(),
        data_dir: profile.paths.data_dir.display().to_string(),
        config_file: profile.paths.config_file.display().to_string(),
        mode,
        version: env!("CARGO_PKG_VERSION").to_string(),
        vault: profile.vault_description(),
    }
}

/// The form's values as edits of the configuration file, through the same `config::edit` as
/// `tenantry config set` (so the file keeps its comments, and a bad value is refused naming its
/// key, nothing written). Keys the form does not show (the Xero endpoints, the keychain service)
/// are not touched.
pub fn edits(form: Settings) -> Result<Vec<Edit>, IpcError> {
    let client_id = form.client_id.trim();
    if client_id.is_empty() {
        return Err(IpcError::new(
            ErrorCode::Config,
            "configuration key `client_id`: paste the Client ID of your Xero app",
        ));
    }
    let set = |key: &str, value: String| Edit::Set(key.to_owned(), value);
    let join = |words: Vec<String>| words.join(" ");
    let mode = match form.redirect_mode {
        RedirectMode::Loopback => "loopback",
        RedirectMode::DeepLink => "deep_link",
    };
    let bounce = form
        .bounce_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Ok(vec![
        set("client_id", client_id.to_owned()),
        set(
            "redirect_ports",
            join(form.redirect_ports.iter().map(u16::to_string).collect()),
        ),
        set("scopes", join(form.scopes)),
        set("keepalive_days", form.keepalive_days.to_string()),
        set("notify_days", form.notify_days.to_string()),
        set("close_to_tray", form.close_to_tray.to_string()),
        set("serve_gateway", form.serve_gateway.to_string()),
        set("redirect_mode", mode.to_owned()),
        match bounce {
            Some(url) => set("bounce_url", url.to_owned()),
            None => Edit::Unset("bounce_url".to_owned()),
        },
    ])
}

impl Desk {
    /// Saves the form to the real profile and opens it.
    pub async fn save_settings(
        &self,
        app: &AppHandle,
        form: Settings,
    ) -> Result<SettingsView, IpcError> {
        let profile = self.load_profile()?;
        let edits = edits(form)?;
        let path = profile.paths.config_file.clone();
        let edited = tokio::task::spawn_blocking(move || config::edit(&path, &edits))
            .await
            .expect("editing the configuration does not panic")
            .map_err(|e| IpcError::new(ErrorCode::Config, e.to_string()))?;
        let profile = Profile {
            config: edited.config,
            ..profile
        };
        let engine = profile.open_engine_with(self.passphrase()).await?;
        let view = settings_view(&profile, AppMode::Xero);
        self.install(app, AppMode::Xero, profile, engine, None)
            .await;
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Settings {
        Settings {
            client_id: "  ABC123 ".into(),
            redirect_ports: vec![53682],
            scopes: vec!["accounting.settings.read".into()],
            keepalive_days: 30,
            redirect_mode: RedirectMode::Loopback,
            bounce_url: Some("  ".into()),
            notify_days: 5,
            close_to_tray: false,
            serve_gateway: true,
        }
    }

    #[test]
    fn the_form_replaces_what_it_shows_and_keeps_the_rest_and_the_comments() {
        let before = "# work profile\nkeychain_service = \"tenantry-work\" # kept apart\nbounce_url = \"https://bounce.example.com/\"\n";
        let (text, after) = config::apply(before, &edits(form()).unwrap()).unwrap();
        assert_eq!(after.client_id, "ABC123", "a pasted id is trimmed");
        assert_eq!(after.bounce_url, None, "a blank bounce page is none");
        assert_eq!(after.redirect_ports, [53682]);
        assert_eq!(after.scopes, ["accounting.settings.read"]);
        assert_eq!(
            after.keychain_service, "tenantry-work",
            "what the form does not show is kept"
        );
        assert!(
            text.contains("# work profile") && text.contains("# kept apart"),
            "and the file's comments: {text}"
        );
    }

    #[test]
    fn bad_values_are_refused_with_their_key() {
        let table = [
            (
                Settings {
                    client_id: " ".into(),
                    ..form()
                },
                "client_id",
            ),
            (
                Settings {
                    keepalive_days: 60,
                    ..form()
                },
                "keepalive_days",
            ),
            (
                Settings {
                    bounce_url: Some("not a url".into()),
                    ..form()
                },
                "bounce_url",
            ),
            (
                Settings {
                    redirect_mode: RedirectMode::DeepLink,
                    ..form()
                },
                "bounce_url",
            ),
        ];
        for (form, key) in table {
            let message = match edits(form) {
                Err(e) => {
                    assert_eq!(e.code, ErrorCode::Config);
                    e.message
                }
                Ok(edits) => config::apply("", &edits).expect_err(key).to_string(),
            };
            assert!(
                message.contains(key),
                "{message}: the message must name `{key}` so the field can be fixed"
            );
        }
    }
}
