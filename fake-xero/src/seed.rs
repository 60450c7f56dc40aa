//! Seed data: a few Xero users, each with several organisations, one organisation shared by two
//! users; and a generator for large fixtures (load tests and benchmarks).

/// A Xero user who can sign in to the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    /// Tenant ids this user may connect.
    pub tenants: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub tenant_type: String,
}

#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub users: Vec<User>,
    pub tenants: Vec<Tenant>,
}

fn tenant(id: &str, name: &str, tenant_type: &str) -> Tenant {
    Tenant {
        id: id.into(),
        name: name.into(),
        tenant_type: tenant_type.into(),
    }
}

fn user(id: &str, email: &str, given: &str, family: &str, tenants: &[&str]) -> User {
    User {
        id: id.into(),
        email: email.into(),
        given_name: given.into(),
        family_name: family.into(),
        tenants: tenants.iter().map(|t| t.to_string()).collect(),
    }
}

pub const SHARED_TENANT: &str = "5e6f7a8b-0003-4c5d-9e0f-aa0000000003";

impl Seed {
    /// Three users, seven organisations; "Shared Books Trust" is reachable by Ann and Ben.
    pub fn standard() -> Self {
        let tenants = vec![
            tenant(
                "5e6f7a8b-0001-4c5d-9e0f-aa0000000001",
                "Harbour Cafe Ltd",
                "ORGANISATION",
            ),
            tenant(
                "5e6f7a8b-0002-4c5d-9e0f-aa0000000002",
                "Kiwi Plumbing",
                "ORGANISATION",
            ),
            tenant(SHARED_TENANT, "Shared Books Trust", "ORGANISATION"),
            tenant(
                "5e6f7a8b-0004-4c5d-9e0f-aa0000000004",
                "Ben's Practice",
                "PRACTICE",
            ),
            tenant(
                "5e6f7a8b-0005-4c5d-9e0f-aa0000000005",
                "Southern Farms",
                "ORGANISATION",
            ),
            tenant(
                "5e6f7a8b-0006-4c5d-9e0f-aa0000000006",
                "Cara Design Studio",
                "ORGANISATION",
            ),
            tenant(
                "5e6f7a8b-0007-4c5d-9e0f-aa0000000007",
                "Demo Company (NZ)",
                "ORGANISATION",
            ),
        ];
        let t = |i: usize| tenants[i - 1].id.as_str();
        let users = vec![
            user(
                "1c3d2a6e-8a3b-4f0e-9d8c-000000000a11",
                "ann@example.com",
                "Ann",
                "Bookkeeper",
                &[t(1), t(2), t(3)],
            ),
            user(
                "1c3d2a6e-8a3b-4f0e-9d8c-000000000b22",
                "ben@example.com",
                "Ben",
                "Accountant",
                &[t(4), t(3), t(5)],
            ),
            user(
                "1c3d2a6e-8a3b-4f0e-9d8c-000000000c33",
                "cara@example.com",
                "Cara",
                "Contractor",
                &[t(6), t(7)],
            ),
        ];
        Self { users, tenants }
    }

    /// `logins` users with `orgs_each` organisations each (no sharing), for load and scale runs.
    pub fn generated(logins: usize, orgs_each: usize) -> Self {
        let mut seed = Self::default();
        for u in 0..logins {
            let mut ids = Vec::with_capacity(orgs_each);
            for o in 0..orgs_each {
                let id = format!("7a000000-{u:04x}-4000-8000-{o:012x}");
                seed.tenants.push(tenant(
                    &id,
                    &format!("Client {u:03}-{o:02}"),
                    "ORGANISATION",
                ));
                ids.push(id);
            }
            seed.users.push(User {
                id: format!("2b000000-0000-4000-8000-{u:012x}"),
                email: format!("user{u:03}@example.com"),
                given_name: "User".into(),
                family_name: format!("{u:03}"),
                tenants: ids,
            });
        }
        seed
    }
}
