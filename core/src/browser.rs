//! Opening the sign-in page in the system browser (shared by the CLI and the desktop app): `$BROWSER` first (the Unix convention: a colon-separated list of
//! commands, `%s` standing for the URL), else the platform's opener.

use std::process::{Command, Stdio};

pub fn open(url: &str) -> Result<(), String> {
    if let Ok(list) = std::env::var("BROWSER") {
        for entry in list.split(':').map(str::trim).filter(|e| !e.is_empty()) {
            let mut words: Vec<String> = entry.split_whitespace().map(str::to_owned).collect();
            if words.iter().any(|w| w.contains("%s")) {
                words.iter_mut().for_each(|w| *w = w.replace("%s", url));
            } else {
                words.push(url.to_owned());
            }
            let (program, args) = words.split_first().expect("non-empty entry");
            if spawn(program, args).is_ok() {
                return Ok(());
            }
        }
        return Err(format!(
            "none of the commands in $BROWSER ({list}) could be started"
        ));
    }
    let opener: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["cmd", "/C", "start", ""]
    } else {
        &["xdg-open"]
    };
    let (program, fixed) = opener.split_first().expect("non-empty");
    let mut args: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
    args.push(url.to_owned());
    spawn(program, &args).map_err(|e| format!("{program}: {e}"))
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
