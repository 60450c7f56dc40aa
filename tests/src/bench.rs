//! Benchmark fixtures: a fake Xero with generated users, a data directory and keychain service of
//! their own, and an engine with every user signed in through the real login flow. Shared by the
//! `tenantry-bench` scenarios and the criterion benches.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tenantry_core::Engine;
use tenantry_core::clock::SystemClock;
use tenantry_core::config::Config;
use tenantry_core::model::LoginId;
use tenantry_core::vault::{KeychainVault, MemoryVault, TokenVault};
use tenantry_demo::browser;
use tenantry_fake_xero::{FakeXero, Options, Seed};

pub const CLIENT_ID: &str = "TENANTRYBENCH0000000000000000000";

pub enum Vault {
    /// The OS keychain, as users run it (process benchmarks need it: other processes read it).
    Keychain,
    /// In memory: for in-process figures where the keychain is never touched anyway.
    Memory,
    /// The file vault in the fixture's data directory, under [`FILE_PASSPHRASE`].
    File,
    /// Practice mode: a practice in a fresh schema on the PostgreSQL server
    /// `TENANTRY_TEST_DATABASE_URL` names (scripts/lib/with-postgres.sh), its key in the keychain.
    Practice,
}

/// The passphrase of a benchmark's file vault (given to its processes as TENANTRY_PASSPHRASE).
pub const FILE_PASSPHRASE: &str = "bench passphrase";

pub struct Fixture {
    pub fake: FakeXero,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub config_file: PathBuf,
    pub vault: Arc<dyn TokenVault>,
    pub engine: Engine,
    /// Each login, and its organisations (tenant ids), in sign-in order.
    pub logins: Vec<LoginId>,
    pub tenants: Vec<Vec<String>>,
    /// Practice mode: the schema made for it, dropped by [`Fixture::forget`].
    schema: Option<Schema>,
}

/// A schema of its own on the suite's PostgreSQL server, reached with `psql`.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    fn new() -> anyhow::Result<Self> {
        let base = std::env::var("TENANTRY_TEST_DATABASE_URL")
            .context("practice mode's benchmarks need PostgreSQL: run them through scripts/lib/with-postgres.sh")?;
        let name = format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let schema = Self { base, name };
        schema.sql(&format!("CREATE SCHEMA {}", schema.name))?;
        Ok(schema)
    }

    fn url(&self) -> String {
        format!("{}?options=-c%20search_path%3D{}", self.base, self.name)
    }

    fn sql(&self, statement: &str) -> anyhow::Result<()> {
        let out = std::process::Command::new("psql")
            .args([
                &self.base,
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                statement,
            ])
            .output()
            .context("run psql")?;
        anyhow::ensure!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }
}

impl Fixture {
    /// `logins` users with `orgs` organisations each, all signed in. Access tokens live
    /// `access_lifetime`.
    pub async fn new(
        logins: usize,
        orgs: usize,
        access_lifetime: chrono::Duration,
        vault: Vault,
    ) -> anyhow::Result<Self> {
        Self::with_options(
            logins,
            orgs,
            vault,
            Options {
                access_lifetime,
                ..Options::default()
            },
        )
        .await
    }

    /// As [`Fixture::new`], with the fake's other options (API latency, limits) set.
    pub async fn with_options(
        logins: usize,
        orgs: usize,
        vault: Vault,
        options: Options,
    ) -> anyhow::Result<Self> {
        let fake = FakeXero::start(Options {
            client_id: Some(CLIENT_ID.into()),
            seed: Seed::generated(logins, orgs),
            ..options
        })
        .await?;
        let dir = tempfile::Builder::new()
            .prefix("tenantry-bench.")
            .tempdir()?;
        let service = format!("tenantry-bench-{}", uuid::Uuid::new_v4().simple());
        let file = matches!(vault, Vault::File);
        let schema = matches!(vault, Vault::Practice)
            .then(Schema::new)
            .transpose()?;
        let config = Config {
            database_url: schema.as_ref().map(Schema::url),
            client_id: CLIENT_ID.into(),
            redirect_ports: free_ports(3)?,
            keychain_service: service.clone(),
            vault: if file {
                tenantry_core::config::VaultChoice::File
            } else {
                tenantry_core::config::VaultChoice::Keychain
            },
            xero: tenantry_demo::endpoints(&fake),
            ..Config::default()
        };
        let config_file = dir.path().join("config.toml");
        config.save(&config_file)?;
        let vault: Arc<dyn TokenVault> = match vault {
            Vault::Keychain | Vault::Practice => Arc::new(KeychainVault::platform(&service)),
            Vault::Memory => Arc::new(MemoryVault::new()),
            Vault::File => Arc::new(tenantry_core::vault::FileVault::open(
                &dir.path().join("vault"),
                &tenantry_core::secret::Secret::new(FILE_PASSPHRASE),
            )?),
        };
        if schema.is_some() {
            let (kept, machine) = (config.clone(), vault.clone());
            tokio::task::spawn_blocking(move || {
                tenantry_core::practice::init(&kept, machine.as_ref(), chrono::Utc::now())
            })
            .await??;
        }
        let engine = Engine::open(
            config.clone(),
            dir.path(),
            vault.clone(),
            Arc::new(SystemClock),
        )
        .await?;
        let users: Vec<String> = fake.with(|w| w.users().iter().map(|u| u.email.clone()).collect());
        let (mut logins, mut tenants) = (Vec::new(), Vec::new());
        for user in &users {
            let outcome = browser::sign_in(&engine, &fake, user)
                .await
                .with_context(|| format!("signing in {user}"))?;
            logins.push(outcome.login.id.clone());
            tenants.push(
                outcome
                    .organisations
                    .iter()
                    .map(|o| o.tenant_id.clone())
                    .collect(),
            );
        }
        Ok(Self {
            fake,
            dir,
            config,
            config_file,
            vault,
            engine,
            logins,
            tenants,
            schema,
        })
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `tenantry` command on this fixture's configuration and data.
    pub fn cli(&self, tenantry: &Path) -> std::process::Command {
        let mut command = std::process::Command::new(tenantry);
        command
            .env("TENANTRY_CONFIG", &self.config_file)
            .env("TENANTRY_DATA_DIR", self.data_dir())
            .env_remove("TENANTRY_PROFILE")
            .env("TENANTRY_PASSPHRASE", FILE_PASSPHRASE)
            .stdin(std::process::Stdio::null());
        command
    }

    /// Removes this fixture's keychain entries (the shared test keyring outlives it), and in
    /// practice mode its practice key and schema.
    pub fn forget(&self) {
        for login in &self.logins {
            let _ = self.vault.delete(login);
        }
        if let Some(schema) = &self.schema {
            let _ = schema.sql(&format!("DROP SCHEMA {} CASCADE", schema.name));
        }
    }
}

/// Milliseconds since the epoch: a start time every process of a run agrees on.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64
}

/// Lets the first `logins` logins' access tokens go stale, so the next request for each needs a refresh; the
/// refreshed ones then last 30 minutes.
pub async fn expire_all(fx: &Fixture, logins: usize) -> anyhow::Result<()> {
    fx.fake.set_access_lifetime(chrono::Duration::seconds(2));
    for login in &fx.logins[..logins] {
        fx.engine.refresh_login(login).await?;
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    fx.fake.set_access_lifetime(chrono::Duration::minutes(30));
    Ok(())
}

/// One task per tenant, released together; each one's latency in milliseconds.
pub async fn concurrent_callers(engine: &Engine, tenants: &[String]) -> anyhow::Result<Vec<f64>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(tenants.len()));
    let tasks: Vec<_> = tenants
        .iter()
        .map(|tenant| {
            let (engine, tenant, barrier) = (engine.clone(), tenant.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let started = Instant::now();
                engine
                    .access_token_for(&tenant)
                    .await
                    .map(|_| ms(started.elapsed()))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await??);
    }
    Ok(latencies)
}

/// `callers` callers over the first `logins` logins of `fx`, shared among `processes` processes of
/// `exe` (its hidden `caller` scenario), all released at one instant; every caller's latency in
/// milliseconds. With `as_machines`, process P opens the profile as machine BOX-P (practice mode:
/// each a member of its own).
pub async fn callers_across_processes(
    fx: &Fixture,
    exe: &Path,
    logins: usize,
    callers: usize,
    processes: usize,
    as_machines: bool,
) -> anyhow::Result<Vec<f64>> {
    let tenant_of = |i: usize| fx.tenants[i % logins][0].clone();
    let start_at = unix_ms() + 2000;
    let children: Vec<_> = (0..processes)
        .map(|p| {
            let share = callers / processes + usize::from(p < callers % processes);
            let tenants: Vec<String> = (0..share).map(|i| tenant_of(i * processes + p)).collect();
            let mut command = std::process::Command::new(exe);
            command
                .arg("caller")
                .arg("--config")
                .arg(&fx.config_file)
                .arg("--data")
                .arg(fx.data_dir())
                .arg(format!("--tenants={}", tenants.join(",")))
                .arg(format!("--callers={share}"))
                .arg(format!("--start-at={start_at}"))
                .stderr(std::process::Stdio::inherit());
            if as_machines {
                command.arg(format!("--machine=BOX-{p}"));
            }
            // Async: the fake Xero they call runs on this process's runtime.
            tokio::process::Command::from(command)
                .stdout(std::process::Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let mut latencies = Vec::new();
    for child in children {
        let child = child.wait_with_output().await?;
        anyhow::ensure!(child.status.success(), "a caller process failed");
        let report: serde_json::Value = serde_json::from_slice(&child.stdout)?;
        for v in report["latencies_ms"].as_array().context("latencies")? {
            latencies.push(v.as_f64().context("a latency")?);
        }
    }
    Ok(latencies)
}

/// `n` loopback ports free right now.
pub fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    Ok(listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()?)
}

/// Median, min and max of a sample.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Spread {
    pub fn of(mut sample: Vec<f64>) -> Self {
        assert!(!sample.is_empty(), "a spread of nothing");
        sample.sort_by(f64::total_cmp);
        let n = sample.len();
        let median = if n % 2 == 1 {
            sample[n / 2]
        } else {
            (sample[n / 2 - 1] + sample[n / 2]) / 2.0
        };
        Self {
            median,
            min: sample[0],
            max: sample[n - 1],
            n,
        }
    }

    pub fn percentile(sample: &[f64], p: f64) -> f64 {
        let mut sorted = sample.to_vec();
        sorted.sort_by(f64::total_cmp);
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn spread_takes_the_middle() {
        let s = Spread::of(vec![5.0, 1.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        assert_eq!(
            Spread::of(vec![4.0, 1.0, 2.0, 3.0]).median,
            2.5,
            "even: mean of the two"
        );
        assert_eq!(Spread::percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95), 5.0);
    }
}
