//! A fresh schema on the suite's PostgreSQL server for one test (`TENANTRY_TEST_DATABASE_URL`,
//! set by scripts/lib/with-postgres.sh), dropped when the test ends: tests run in parallel and
//! none sees another's rows.

use super::PostgresStore;

pub(crate) struct Scratch {
    admin: postgres::Client,
    schema: String,
    url: String,
    store: Option<PostgresStore>,
}

/// The suite's server; a run without one fails, naming how to start it.
pub(crate) fn server_url() -> String {
    std::env::var("TENANTRY_TEST_DATABASE_URL").expect(
        "TENANTRY_TEST_DATABASE_URL is not set: the PostgreSQL backend's tests need a server; \
         run them through scripts/test.sh, or scripts/lib/with-postgres.sh cargo test",
    )
}

/// A connection to `url` for a test's own statements, opened as the product opens its own (with
/// the TLS the URL asks for: on the suite's loopback server, `prefer`, so TLS).
pub(crate) fn admin(url: &str) -> postgres::Client {
    let target = super::connect::config(url).expect("the suite's URL parses");
    super::connect::open(&target, "the suite's server")
        .expect("the suite's PostgreSQL server answers")
}

impl Scratch {
    pub(crate) fn new(test: &str) -> Self {
        let base = server_url();
        let mut admin = admin(&base);
        let mut tag = [0u8; 4];
        getrandom::fill(&mut tag).expect("random bytes");
        let short: String = test
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(40)
            .collect();
        let schema = format!("t_{}_{:08x}", short.to_lowercase(), u32::from_le_bytes(tag));
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("a scratch schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let store = PostgresStore::connect(&url).expect("the store opens on a fresh schema");
        Self {
            admin,
            schema,
            url,
            store: Some(store),
        }
    }

    pub(crate) fn store(&self) -> &PostgresStore {
        self.store.as_ref().expect("open until dropped")
    }

    /// The URL of this schema, for a second store (another machine) on the same data.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A connection of its own to this schema, for a test that changes rows behind the
    /// store's back (a code made long ago, a row another binary wrote).
    pub(crate) fn behind_the_store(&self) -> postgres::Client {
        admin(&self.url)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        self.store = None;
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
    }
}
