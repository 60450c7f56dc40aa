//! Xero's own SDKs, the real packages from PyPI and npm, unmodified: pointed at the gateway's
//! base URL with the gateway key as their bearer token, they read and write every organisation
//! without ever holding a Xero token.

use super::mcp::{script, sdk_python};
use super::*;
use tenantry_fake_xero::Options;

async fn ran(mut cmd: tokio::process::Command) -> serde_json::Value {
    let out = cmd.output().await.expect("run the SDK client");
    assert!(
        out.status.success(),
        "the SDK client ran: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the client's summary")
}

#[tokio::test]
async fn xero_python_and_xero_node_work_unmodified_through_the_gateway() {
    let test = "xero_python_and_xero_node_work_unmodified_through_the_gateway";
    let Some(python) = sdk_python(test) else {
        return;
    };
    let node_path = std::env::var("TENANTRY_SDK_NODE_PATH")
        .expect("scripts/test.sh sets TENANTRY_SDK_NODE_PATH beside TENANTRY_SDK_PYTHON");
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;

    let mut py = tokio::process::Command::new(&python);
    py.arg(script("xero_python_sdk.py"))
        .args([&gw.url, &gw.key]);
    let seen = ran(py).await;
    for (name, answered) in seen["tenants"].as_object().unwrap() {
        assert_eq!(
            answered, name,
            "xero-python: each tenant answered as itself"
        );
    }
    assert_eq!(
        seen["tenants"].as_object().unwrap().len(),
        5,
        "every organisation of both logins: {seen}"
    );
    assert_eq!(
        seen["by_name"], "Harbour Cafe Ltd",
        "a name works as the tenant id"
    );
    assert_eq!(seen["contact"], "Made By xero-python");

    let mut node = tokio::process::Command::new("node");
    node.arg(script("xero_node_sdk.js"))
        .args([&gw.url, &gw.key, &it.tenant("Kiwi Plumbing")])
        .env("NODE_PATH", &node_path);
    let seen = ran(node).await;
    assert_eq!(seen["by_id"], "Kiwi Plumbing", "xero-node: by tenant id");
    assert_eq!(
        seen["by_name"], "Southern Farms",
        "and by name, Ben's organisation"
    );
    assert_eq!(seen["contact"], "Made By xero-node");

    let (kiwi, farms) = (it.tenant("Kiwi Plumbing"), it.tenant("Southern Farms"));
    it.fake.with(|w| {
        assert_eq!(
            w.contacts.get(&kiwi).map(Vec::len),
            Some(1),
            "Python's write landed in Kiwi Plumbing"
        );
        assert_eq!(
            w.contacts.get(&farms).map(Vec::len),
            Some(1),
            "Node's in Southern Farms"
        );
    });
}
