//! Opening the sign-in page in the system browser (shared by the CLI and the desktop app):
//! `$BROWSER` first (the Unix convention: a colon-separated list of commands, `%s` standing for the
//! URL; on Windows, where `C:\` holds a colon, separated by `;` as `PATH` is), else the
//! platform's opener through the `open` crate. The sign-in URL carries `&`s, so it must never pass
//! through a shell: on Windows `cmd /C start` would cut it at the first `&` and run
//! the rest as commands; `open` starts the default browser without `cmd`.

use std::process::{Command, Stdio};

/// Opens `url`. Blocking: the platform opener waits up to a quarter second to see whether its
/// launcher failed, so async callers use [`open_off_thread`].
pub fn open(url: &str) -> Result<(), String> {
    if let Ok(list) = std::env::var("BROWSER") {
        for (program, args) in browser_commands(&list, LIST_SEPARATOR, url) {
            if spawn(&program, &args).is_ok() {
                return Ok(());
            }
        }
        return Err(format!(
            "none of the commands in $BROWSER ({list}) could be started"
        ));
    }
    open::that_detached(url).map_err(|e| format!("opening the system browser: {e}"))
}

/// [`open`] on tokio's blocking threads, so no async worker (nor a window's main thread) waits.
pub async fn open_off_thread(url: String) -> Result<(), String> {
    tokio::task::spawn_blocking(move || open(&url))
        .await
        .map_err(|e| format!("opening the browser stopped: {e}"))?
}

/// What separates the commands in `$BROWSER`: `:` by the Unix convention, `;` on Windows, whose
/// paths hold a colon (`C:\…`), as its `PATH` does.
const LIST_SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

/// The commands `$BROWSER` names for `url`, in order: each entry split on white space, `%s`
/// replaced by the URL, or the URL appended when no word holds `%s`. No shell sees them.
fn browser_commands(list: &str, separator: char, url: &str) -> Vec<(String, Vec<String>)> {
    list.split(separator)
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let mut words: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                words.iter_mut().for_each(|w| *w = w.replace("%s", url));
            } else {
                words.push(url.to_owned());
            }
            let program = words.remove(0);
            (program, words)
        })
        .collect()
}

fn spawn(program: &str, args: &[String]) -> std::io::Result<()> {
    // The browser runs on its own; its output must not mix with ours.
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str =
        "https://login.xero.com/identity/connect/authorize?response_type=code&client_id=C&state=S";

    #[test]
    fn each_browser_entry_gets_the_whole_url_as_one_argument() {
        let commands =
            browser_commands("firefox --new-window : : chromium %s --incognito", ':', URL);
        assert_eq!(
            commands,
            vec![
                (
                    "firefox".to_owned(),
                    vec!["--new-window".to_owned(), URL.to_owned()]
                ),
                (
                    "chromium".to_owned(),
                    vec![URL.to_owned(), "--incognito".to_owned()]
                ),
            ],
            "empty entries are skipped, %s stands for the URL, and the URL's & never splits it"
        );
    }

    #[test]
    fn on_windows_entries_are_split_on_semicolons_so_a_drive_s_colon_stays() {
        let commands = browser_commands(r"C:\Tools\browser.exe ; D:\other.exe %s", ';', URL);
        assert_eq!(
            commands,
            vec![
                (r"C:\Tools\browser.exe".to_owned(), vec![URL.to_owned()]),
                (r"D:\other.exe".to_owned(), vec![URL.to_owned()]),
            ]
        );
    }

    #[test]
    fn an_empty_browser_list_names_no_command() {
        assert!(
            browser_commands(" : ", ':', URL).is_empty(),
            "nothing to start: the caller reports that $BROWSER named no usable command"
        );
    }
}
