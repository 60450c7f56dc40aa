//! `tenantry config show|path|get|set|unset|keys`: the configuration file, read and changed
//! safely. Every documented key can be set; a bad value is refused with the key named and
//! nothing is written; an edit keeps the file's comments (tenantry_core::config::edit, which the
//! window's Settings use too).

use crate::{ConfigAction, Failure, exit};
use tenantry_core::config::{self, ConfigError, Edit, KEYS, Kind};
use tenantry_core::profile::Profile;

fn failure(e: ConfigError) -> Failure {
    let status = match e {
        ConfigError::UnknownKey { .. } => exit::USAGE,
        _ => exit::CONFIG,
    };
    Failure::new(status, e.to_string())
}

pub fn run(profile: &Profile, action: ConfigAction) -> Result<u8, Failure> {
    let path = &profile.paths.config_file;
    // A file that cannot be read or written is said as it is; any other refusal wrote nothing.
    let edit_failure = |e: ConfigError| {
        let unwritten = !matches!(
            e,
            ConfigError::Unreadable { .. } | ConfigError::Unwritable { .. }
        );
        let mut f = failure(e);
        if unwritten {
            f.message.push_str("; nothing was written");
        }
        f
    };
    match action {
        ConfigAction::Path => println!("{}", path.display()),
        ConfigAction::Show => {
            if !path.exists() {
                eprintln!(
                    "# {} does not exist yet; these are the defaults.",
                    path.display()
                );
            }
            print!(
                "{}",
                toml::to_string_pretty(&profile.config).expect("configuration serialises")
            );
            println!("# data directory: {}", profile.paths.data_dir.display());
        }
        ConfigAction::Get { key } => match config::get(&profile.config, &key).map_err(failure)? {
            Some(value) => println!("{value}"),
            // As `git config` does: an unset key with no default is a failure to branch on.
            None => {
                return Err(Failure::new(
                    exit::FAILURE,
                    format!("`{key}` is not set and has no default"),
                ));
            }
        },
        ConfigAction::Set { key, value } => {
            config::edit(path, &[Edit::Set(key.clone(), value)]).map_err(edit_failure)?;
            println!("Set {key} in {}.", path.display());
        }
        ConfigAction::Unset { key } => {
            let edited = config::edit(path, &[Edit::Unset(key.clone())]).map_err(edit_failure)?;
            if edited.changed {
                println!("Unset {key} in {}; its default applies.", path.display());
            } else {
                println!("{key} was not set in {}; nothing changed.", path.display());
            }
        }
        ConfigAction::Keys => {
            let default = tenantry_core::config::Config::default();
            for key in KEYS {
                let shown = config::get(&default, key.name)
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "(not set)".into());
                println!(
                    "{:<20} {:<18} {}; default: {shown}",
                    key.name,
                    kind_word(key.kind),
                    key.help
                );
            }
        }
    }
    Ok(exit::OK)
}

fn kind_word(kind: Kind) -> String {
    match kind {
        Kind::Text => "text".into(),
        Kind::Number => "number".into(),
        Kind::Bool => "true/false".into(),
        Kind::Ports => "ports".into(),
        Kind::Words => "words".into(),
        Kind::Url => "URL".into(),
        Kind::Choice(words) => words.join("|"),
    }
}
