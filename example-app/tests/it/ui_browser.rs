//! The browser UI in a real headless Chromium: bob logs in through the
//! form, sees his name, publishes a post that johndoe's live feed (in a
//! second window, on another host name, so with its own cookies) receives,
//! cannot read his token from JavaScript, logs out and is then refused.
//!
//! Needs Debian's `chromium` and `chromium-driver`; `.ci/run` installs them
//! and runs this with `--ignored`, where a missing browser fails the test.

use std::time::Duration;

use fantoccini::Client;

use crate::common::start;
use crate::docs_browser::{artifact, click, element, open_browser, start_driver};

async fn text(browser: &Client, css: &str) -> String {
    element(browser, css).await.text().await.expect("text")
}

/// Polls `css`'s text until `wanted` is in it (the page updates it after a fetch).
async fn wait_for_text(browser: &Client, css: &str, wanted: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let found = text(browser, css).await;
        if found.contains(wanted) {
            return found;
        }
        if std::time::Instant::now() > deadline {
            let _ = std::fs::write(
                artifact("ui-failure.png"),
                browser.screenshot().await.unwrap_or_default(),
            );
            panic!("`{css}` never said {wanted:?}; it says {found:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn log_in(browser: &Client, base: &str, username: &str, password: &str) {
    browser.goto(&format!("{base}/ui")).await.expect("open /ui");
    element(browser, "#username").await.send_keys(username).await.expect("type");
    element(browser, "#password").await.send_keys(password).await.expect("type");
    click(browser, "#submit").await;
    wait_for_text(browser, "#username", username).await;
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them and runs it"]
async fn log_in_publish_see_it_live_and_log_out_in_a_real_browser() {
    let server = start("memory:");
    let driver = start_driver();
    let profile = std::env::temp_dir().join(format!("rbac-ui-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let browser = open_browser(&driver, &profile).await;
    let port = server.address.port();
    let (bobs_site, johns_site) =
        (format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}"));

    // 1-2. bob logs in through the form and sees his name.
    log_in(&browser, &bobs_site, "bob", "secret4").await;
    assert_eq!(text(&browser, "#username").await, "bob");
    let bobs_window = browser.window().await.expect("window");

    // The token is in an HttpOnly cookie: scripts see only the CSRF token.
    let cookies = browser.execute("return document.cookie", vec![]).await.expect("script");
    let cookies = cookies.as_str().unwrap_or_default().to_owned();
    assert!(cookies.contains("csrf_token="), "{cookies}");
    assert!(!cookies.contains("access_token") && !cookies.contains("refresh_token"), "{cookies}");

    // 4 (set up). johndoe, in a second window with its own cookies, opens the feed.
    let johns_window = browser.new_window(false).await.expect("new window").handle;
    browser.switch_to_window(johns_window.clone()).await.expect("switch");
    log_in(&browser, &johns_site, "johndoe", "secret").await;
    browser.goto(&format!("{johns_site}/ui/feed")).await.expect("open the feed");
    wait_for_text(&browser, "#status", "live").await;

    // 3. bob publishes.
    browser.switch_to_window(bobs_window.clone()).await.expect("switch");
    browser.goto(&format!("{bobs_site}/ui/editor")).await.expect("open the editor");
    element(&browser, "#title").await.send_keys("Hello from a browser").await.expect("type");
    click(&browser, "#submit").await;
    wait_for_text(&browser, "#status", "Published post").await;

    // 4. johndoe's feed shows it.
    browser.switch_to_window(johns_window).await.expect("switch");
    wait_for_text(&browser, "#posts", "Hello from a browser by bob").await;
    let screenshot = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifact("ui-feed.png"), screenshot).expect("save the screenshot");

    // 5. bob logs out, and is then refused.
    browser.switch_to_window(bobs_window).await.expect("switch");
    browser.goto(&format!("{bobs_site}/ui/me")).await.expect("open /ui/me");
    wait_for_text(&browser, "#username", "bob").await;
    click(&browser, "#logout").await;
    wait_for_text(&browser, "#status", "Logged out").await;
    browser.refresh().await.expect("reload");
    wait_for_text(&browser, "#status", "Not logged in (401)").await;

    browser.close().await.expect("close the browser");
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
}
