//! Scans files for any secret in the ledger the fake Xero wrote (see `fake_xero::ledger`):
//! `scan-secrets --ledger FILE --min N PATH...`. Exits 1 on any hit, naming the file and the
//! secret's fingerprint (never the secret), and 2 if the ledger holds fewer than N secrets, since
//! a scan for nothing proves nothing.
//!
//! Each secret is looked for by three 24-byte windows (start, middle, end), so a secret that was
//! cut short or embedded in other text is still found. A JWT's start is its header, shared by
//! every token, so for those only the middle (claims) and end (signature) count.

use anyhow::{Context, bail};
use clap::Parser;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const WINDOW: usize = 24;

#[derive(Parser)]
struct Args {
    /// The ledger: one secret per line.
    #[arg(long)]
    ledger: PathBuf,
    /// Fail if the ledger holds fewer secrets than this.
    #[arg(long, default_value_t = 1)]
    min: usize,
    /// Files and directories to scan (recursively; symbolic links are not followed).
    paths: Vec<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.ledger)
        .with_context(|| format!("read the ledger {}", args.ledger.display()))?;
    let secrets: std::collections::BTreeSet<&str> =
        text.lines().filter(|l| l.len() >= WINDOW).collect();
    if secrets.len() < args.min {
        eprintln!(
            "scan-secrets: the ledger holds {} secrets, fewer than {}: the suite did not run as expected",
            secrets.len(),
            args.min
        );
        std::process::exit(2);
    }
    let mut windows: HashMap<[u8; WINDOW], &str> = HashMap::new();
    for secret in &secrets {
        let b = secret.as_bytes();
        let mid = (b.len() - WINDOW) / 2;
        let mut starts = vec![mid, b.len() - WINDOW];
        if !secret.starts_with("eyJ") {
            starts.push(0);
        }
        for start in starts {
            let key: [u8; WINDOW] = b[start..start + WINDOW].try_into().expect("window");
            windows.insert(key, secret);
        }
    }
    let ledger = args.ledger.canonicalize()?;
    let (mut files, mut bytes, mut hits) = (0usize, 0u64, 0usize);
    let mut stack: Vec<PathBuf> = args.paths.clone();
    while let Some(path) = stack.pop() {
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // removed meanwhile
            Err(e) => bail!("{}: {e}", path.display()),
        };
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
            continue;
        }
        if !meta.is_file() || path.canonicalize().ok().as_deref() == Some(ledger.as_path()) {
            continue;
        }
        let Ok(content) = std::fs::read(&path) else {
            continue; // a socket or a file removed meanwhile
        };
        files += 1;
        bytes += content.len() as u64;
        hits += scan(&path, &content, &windows);
    }
    println!(
        "scan-secrets: {files} files, {:.1} MB, {} secrets, {hits} hits",
        bytes as f64 / 1e6,
        secrets.len()
    );
    if hits > 0 {
        std::process::exit(1);
    }
    Ok(())
}

fn scan(path: &Path, content: &[u8], windows: &HashMap<[u8; WINDOW], &str>) -> usize {
    let mut found: Vec<&str> = Vec::new();
    for window in content.windows(WINDOW) {
        if let Some(secret) = windows.get(window)
            && !found.contains(secret)
        {
            found.push(secret);
        }
    }
    for secret in &found {
        eprintln!(
            "scan-secrets: {} contains a secret the fake issued (fingerprint {})",
            path.display(),
            tenantry_core::secret::fingerprint(secret)
        );
    }
    found.len()
}
