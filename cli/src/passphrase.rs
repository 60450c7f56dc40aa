//! The file vault's passphrase, asked on the terminal when `TENANTRY_PASSPHRASE` is not set: a
//! person at a prompt types it (twice, for a new vault); a script sets the variable. Without
//! either, the engine says which is missing.

use crate::Failure;
use std::io::IsTerminal;
use tenantry_core::config::VaultChoice;
use tenantry_core::profile::Profile;
use tenantry_core::secret::Secret;
use tenantry_core::vault::passphrase_from_env;

/// The passphrase to open the profile's file vault with, when one must be asked for; `None`
/// leaves it to the engine (the keychain, the environment, or its "no passphrase" error).
pub fn ask_if_needed(profile: &Profile) -> Result<Option<Secret>, Failure> {
    if profile.config.vault != VaultChoice::File
        || passphrase_from_env().is_some()
        || !std::io::stdin().is_terminal()
    {
        return Ok(None);
    }
    let dir = profile.vault_dir();
    let fail = |e: std::io::Error| {
        Failure::new(
            crate::exit::KEYCHAIN,
            format!("could not read the passphrase from the terminal: {e}"),
        )
    };
    if profile.file_vault_exists() {
        let typed = rpassword::prompt_password(format!(
            "Passphrase for the file vault ({}): ",
            dir.display()
        ))
        .map_err(fail)?;
        return Ok(Some(Secret::new(typed)));
    }
    let typed = rpassword::prompt_password(format!(
        "New passphrase for the file vault ({}): ",
        dir.display()
    ))
    .map_err(fail)?;
    if typed.is_empty() {
        return Err(Failure::new(
            crate::exit::KEYCHAIN,
            "the file vault's passphrase cannot be empty; nothing was created",
        ));
    }
    let again = rpassword::prompt_password("The same passphrase again: ").map_err(fail)?;
    if again != typed {
        return Err(Failure::new(
            crate::exit::KEYCHAIN,
            "the two passphrases differ; nothing was created",
        ));
    }
    Ok(Some(Secret::new(typed)))
}
