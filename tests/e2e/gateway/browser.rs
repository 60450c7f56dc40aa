//! A web page the user opens cannot use the gateway, even one that knows the key: headless
//! Chromium runs `fetch` from a page served on another loopback port, and none of its requests
//! is answered readably or reaches Xero.

use super::*;
use tenantry_fake_xero::Options;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `page` to every request on a free loopback port; returns its URL.
async fn serve_page(page: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_cannot_use_the_gateway_even_knowing_the_key() {
    let test = "a_web_page_cannot_use_the_gateway_even_knowing_the_key";
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("TENANTRY_REQUIRE_KEYRING").is_none(),
            "{test}: scripts/setup.sh installs chromium"
        );
        eprintln!("SKIPPED {test}: no chromium");
        return;
    };
    let Some((it, cli)) = connected(test, Options::default()).await else {
        return;
    };
    let gw = Gateway::start(&cli, &[]).await;
    let page = format!(
        r#"<!doctype html><html><body><script>
const gw = "{url}", key = "{key}";
async function attempt(name, path, init) {{
  try {{ const r = await fetch(gw + path, init); return name + ":" + (r.type === "opaque" ? "opaque" : r.status); }}
  catch (e) {{ return name + ":blocked"; }}
}}
(async () => {{
  const seen = [
    await attempt("with-key", "/api.xro/2.0/Organisation", {{ headers: {{ "Authorization": "Bearer " + key, "xero-tenant-id": "Kiwi Plumbing" }} }}),
    await attempt("simple", "/connections", {{}}),
    await attempt("no-cors", "/api.xro/2.0/Organisation", {{ mode: "no-cors" }}),
  ];
  document.body.setAttribute("data-result", seen.join(" "));
}})();
</script></body></html>"#,
        url = gw.url,
        key = gw.key
    );
    let page_url = serve_page(page).await;
    let calls = it.fake.api_calls("/api.xro/2.0/Organisation");
    let profile = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=10000", "--dump-dom", &page_url])
        .output()
        .await
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains(r#"data-result="with-key:blocked simple:blocked no-cors:opaque""#),
        "the key cannot be sent (its preflight is refused), nothing is readable without CORS, and a no-cors request is opaque: {dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        it.fake.api_calls("/api.xro/2.0/Organisation"),
        calls,
        "none of the page's requests reached Xero"
    );
}
