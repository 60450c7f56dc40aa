//! Xero's limits held for a whole practice: three member machines (each its own configuration,
//! keychain service and `tenantry gateway` process) on one practice database, their clients
//! hammering the same organisations. Every gateway keeps its own ledger, and each call also takes
//! its place in the practice's shared budget, so Xero (the fake, counting as Xero does) refuses
//! nothing and never sees more than 5 calls in progress for an organisation, though each machine
//! alone would send it its whole budget. A machine killed while its calls are in progress holds
//! their places only until their leases end.

use crate::practice::{Database, Machine, machine};
use crate::running_gateway::Gateway;
use crate::util::*;
use std::sync::Arc;
use std::time::Duration;
use tenantry_fake_xero::{Limits, Options};

/// A "minute" of 2 s for the fake and the gateways, 20 calls in it (as `gateway::limits`).
const MINUTE_MS: u64 = 2000;
const PER_MINUTE: u32 = 20;
const ORGS: [&str; 3] = ["Harbour Cafe Ltd", "Kiwi Plumbing", "Shared Books Trust"];

async fn practice_of(it: &Instance, db: &Database, names: &[&str]) -> Vec<Machine> {
    let mut machines: Vec<Machine> = Vec::new();
    for name in names {
        let m = machine(it, &db.url, name, "Ann");
        match machines.first() {
            None => assert_eq!(m.run(&["practice", "init"]).await.status, 0),
            Some(inviter) => {
                let code = inviter.run(&["practice", "invite"]).await.stdout;
                let joined = m.run(&["practice", "join", code.trim()]).await;
                assert_eq!(joined.status, 0, "{joined:?}");
            }
        }
        machines.push(m);
    }
    it.fake.approve_as(Some(ANN));
    let connected = machines[0].run(&["connect"]).await;
    assert_eq!(connected.status, 0, "{connected:?}");
    machines
}

async fn gateways(machines: &[Machine]) -> Vec<Arc<Gateway>> {
    let minute = MINUTE_MS.to_string();
    let mut gateways = Vec::new();
    for m in machines {
        gateways.push(Arc::new(
            Gateway::start(&m.cli, &[("TENANTRY_TEST_RATE_MINUTE_MS", &minute)]).await,
        ));
    }
    gateways
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_machines_gateways_send_an_organisation_one_budget_between_them() {
    let test = "three_machines_gateways_send_an_organisation_one_budget_between_them";
    if !keyring_available(test) {
        return;
    }
    let db = Database::new("budgets");
    let it = instance_with(
        Options {
            limits: Limits {
                per_minute: PER_MINUTE,
                minute: Duration::from_millis(MINUTE_MS),
                ..Limits::default()
            },
            api_latency: Duration::from_millis(40),
            ..Options::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let machines = practice_of(&it, &db, &["DESK-A", "DESK-B", "DESK-C"]).await;
    let gateways = gateways(&machines).await;

    let run_for = Duration::from_millis(MINUTE_MS * 5 / 2);
    let started = tokio::time::Instant::now();
    let mut clients = Vec::new();
    // On every machine, three clients per organisation: nine per organisation in the practice,
    // and each machine alone would send one its whole minute.
    for (g, gw) in gateways.iter().enumerate() {
        for i in 0..9 {
            let (gw, org) = (gw.clone(), ORGS[(i + g) % ORGS.len()]);
            clients.push(tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_millis(MINUTE_MS * 3))
                    .build()
                    .unwrap();
                let mut statuses = Vec::new();
                while started.elapsed() < run_for {
                    let answer = gw
                        .get(&http, "/api.xro/2.0/Organisation", org)
                        .send()
                        .await
                        .expect("answered within a window's length");
                    let status = answer.status().as_u16();
                    if status != 200 {
                        let body = answer.text().await.unwrap_or_default();
                        return Err(format!("{org}: {status} {body}"));
                    }
                    statuses.push(status);
                }
                Ok(statuses.len())
            }));
        }
    }
    for c in clients {
        let answered = c.await.unwrap();
        assert!(
            answered.is_ok(),
            "every client's call answered, none refused: {answered:?}"
        );
    }
    for org in ORGS {
        let tenant = it.tenant(org);
        let stats = it.fake.with(|w| w.limit_stats(&tenant));
        assert!(
            stats.refused.is_empty(),
            "{org}: Xero refused nothing from the three machines: {stats:?}"
        );
        assert!(
            stats.max_in_flight <= 5,
            "{org}: never more than 5 in progress across the practice: {stats:?}"
        );
        assert!(
            stats.accepted >= 2 * u64::from(PER_MINUTE),
            "{org}: two windows' budgets used in full: {stats:?}"
        );
    }
    let slots = db.sql("SELECT count(*) FROM rate_slots");
    drop(gateways);
    assert!(
        slots.parse::<u32>().unwrap() <= 5 * ORGS.len() as u32,
        "no more places held than calls can be in progress: {slots}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_machine_killed_mid_call_holds_its_places_only_until_their_leases_end() {
    let test = "a_machine_killed_mid_call_holds_its_places_only_until_their_leases_end";
    if !keyring_available(test) {
        return;
    }
    let db = Database::new("lease");
    let it = instance_with(
        Options {
            api_latency: Duration::from_millis(1500),
            ..Options::default()
        },
        VaultKind::Keychain,
    )
    .await;
    let machines = practice_of(&it, &db, &["DESK-A", "DESK-B"]).await;
    let mut gateways = gateways(&machines).await;
    let (b, a) = (gateways.pop().unwrap(), gateways.pop().unwrap());

    // A sends Kiwi Plumbing five slow calls, and dies while they are in progress.
    let org = "Kiwi Plumbing";
    let http = reqwest::Client::new();
    let mut slow = Vec::new();
    for _ in 0..5 {
        slow.push(tokio::spawn(
            a.get(&http, "/api.xro/2.0/Organisation", org).send(),
        ));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while db.sql("SELECT count(*) FROM rate_slots") != "5" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "A's five calls take their places"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let a = Arc::try_unwrap(a).ok().expect("only this test holds A");
    let killed = tokio::time::Instant::now();
    a.stop().await;
    for call in slow {
        assert!(call.await.unwrap().is_err(), "A's clients lose their calls");
    }

    // B's call waits for the places A can no longer free, then goes.
    it.fake.with(|w| w.options.api_latency = Duration::ZERO);
    let answer = b
        .get(&http, "/api.xro/2.0/Organisation", org)
        .send()
        .await
        .unwrap();
    let waited = killed.elapsed();
    let status = answer.status();
    let body = answer.text().await.unwrap();
    assert_eq!(status, 200, "B's call goes once the leases end: {body}");
    assert!(
        waited >= Duration::from_secs(3),
        "not before the dead machine's places were given up: {waited:?}"
    );
    assert!(
        waited <= tenantry_core::rates::LEASE + Duration::from_secs(3),
        "and within its lease of a few seconds: {waited:?}"
    );
    let tenant = it.tenant(org);
    let stats = it.fake.with(|w| w.limit_stats(&tenant));
    assert!(stats.refused.is_empty(), "{stats:?}");
}
