//! Settings in the window: the profile's configuration as the form shows it, and saving the form
//! back (to the real profile, never the demo's), which opens that profile.

use super::Desk;
use crate::ipc::{AppMode, IpcError, Settings, SettingsView};
use tauri::AppHandle;
use tenantry_core::ErrorCode;
use tenantry_core::config::Config;
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

/// `config` with the form's values, validated as the configuration file is: each error names
/// its key. Keys the form does not show (the Xero endpoints, the keychain service) are kept.
pub fn apply(config: &Config, form: Settings) -> Result<Config, IpcError> {
    let invalid = |message: String| IpcError::new(ErrorCode::Config, message);
    let bounce_url = match form
        .bounce_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => Some(raw.parse().map_err(|_| {
            invalid(format!(
                "configuration key `bounce_url`: `{raw}` is not an https address"
            ))
        })?),
        None => None,
    };
    let next = Config {
        client_id: form.client_id.trim().to_owned(),
        redirect_ports: form.redirect_ports,
        scopes: form.scopes,
        keepalive_days: form.keepalive_days,
        notify_days: form.notify_days,
        close_to_tray: form.close_to_tray,
        serve_gateway: form.serve_gateway,
        redirect_mode: form.redirect_mode,
        bounce_url,
        ..config.clone()
    };
    if next.client_id.is_empty() {
        return Err(invalid(
            "configuration key `client_id`: paste the Client ID of your Xero app".into(),
        ));
    }
    next.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(next)
}

impl Desk {
    /// Saves the form to the real profile and opens it.
    pub async fn save_settings(
        &self,
        app: &AppHandle,
        form: Settings,
    ) -> Result<SettingsView, IpcError> {
        let profile = self.load_profile()?;
        let config = apply(&profile.config, form)?;
        config
            .save(&profile.paths.config_file)
            .map_err(|e| IpcError::new(ErrorCode::Config, e.to_string()))?;
        let profile = Profile { config, ..profile };
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
    use tenantry_core::config::RedirectMode;

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
    fn the_form_replaces_what_it_shows_and_keeps_the_rest() {
        let before = Config {
            keychain_service: "tenantry-work".into(),
            ..Config::default()
        };
        let after = apply(&before, form()).unwrap();
        assert_eq!(after.client_id, "ABC123", "a pasted id is trimmed");
        assert_eq!(after.bounce_url, None, "a blank bounce page is none");
        assert_eq!(
            after.keychain_service, "tenantry-work",
            "what the form does not show is kept"
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
            let err = apply(&Config::default(), form).expect_err(key);
            assert_eq!(err.code, ErrorCode::Config);
            assert!(
                err.message.contains(key),
                "{}: the message must name `{key}` so the field can be fixed",
                err.message
            );
        }
    }
}
