//! `/docs` in a real headless Chromium, driven through chromedriver: the
//! Authorize button runs the password flow against `/token`, and "Try it
//! out" sends the bearer token it got, so the padlocks really work.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`); `.ci/run` installs them and runs this with
//! `--ignored`, where a missing browser fails the test rather than skipping it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::common::{free_address, start};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long one step (a page load, a click's effect) may take.
const STEP: Duration = Duration::from_secs(30);

/// chromedriver on a loopback port, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    address: SocketAddr,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_driver() -> Driver {
    for needed in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            std::path::Path::new(needed).exists(),
            "{needed} is missing: `apt-get install -y chromium chromium-driver`"
        );
    }
    let address = free_address();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={}", address.port()))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, address };
    let deadline = Instant::now() + STEP;
    while std::net::TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on {address}");
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

pub(crate) async fn open_browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--window-size=1280,1800".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let capabilities = json!({ "goog:chromeOptions": { "binary": CHROMIUM, "args": args } });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://{}", driver.address))
        .await
        .expect("a Chromium session")
}

/// Where the screenshots go: under the target directory, kept after the run.
pub(crate) fn artifact(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Waits for `css`; on timeout, saves the page (screenshot and HTML) and fails.
pub(crate) async fn element(browser: &Client, css: &str) -> fantoccini::elements::Element {
    match browser.wait().at_most(STEP).for_element(Locator::Css(css)).await {
        Ok(element) => element,
        Err(error) => {
            if let Ok(png) = browser.screenshot().await {
                let _ = std::fs::write(artifact("docs-failure.png"), png);
            }
            if let Ok(html) = browser.source().await {
                let _ = std::fs::write(artifact("docs-failure.html"), html);
            }
            panic!(
                "no `{css}` ({error}); the page is in {}",
                artifact("docs-failure.png").display()
            );
        }
    }
}

pub(crate) async fn click(browser: &Client, css: &str) {
    element(browser, css).await.click().await.expect("click");
}

/// Expands `GET path`, presses "Try it out" and "Execute"; the status and
/// body Swagger UI shows.
async fn try_it_out(browser: &Client, path: &str) -> (String, String) {
    let block = format!(".opblock-get:has(.opblock-summary-path[data-path='{path}'])");
    click(browser, &format!("{block} .opblock-summary")).await;
    click(browser, &format!("{block} .try-out__btn")).await;
    click(browser, &format!("{block} .execute")).await;
    let status_css = format!("{block} .live-responses-table .response .response-col_status");
    let status = element(browser, &status_css).await.text().await.expect("status text");
    let body_css = format!("{block} .live-responses-table .response-col_description pre");
    let body = element(browser, &body_css).await;
    (status.trim().to_owned(), body.text().await.expect("body text"))
}

#[tokio::test]
#[ignore = "needs Debian's chromium and chromium-driver; .ci/run installs them and runs it"]
async fn authorize_runs_the_password_flow_and_try_it_out_sends_the_token() {
    let server = start("memory:");
    let driver = start_driver();
    let profile = std::env::temp_dir().join(format!("rbac-docs-chromium-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let browser = open_browser(&driver, &profile).await;

    browser.goto(&format!("http://{}/docs", server.address)).await.expect("open /docs");
    click(&browser, ".auth-wrapper .btn.authorize").await;
    element(&browser, "#oauth_username").await.send_keys("johndoe").await.expect("type");
    element(&browser, "#oauth_password").await.send_keys("secret").await.expect("type");
    // The OAuth2 scheme's own buttons: the modal lists the cookie scheme too.
    let oauth2 = ".auth-container:has(#oauth_username)";
    click(&browser, &format!("{oauth2} .auth-btn-wrapper .btn.modal-btn.auth.authorize")).await;
    // Swagger UI swaps Authorize for Logout once /token answered 200 (only
    // this scheme gets authorized, so the one Logout button is its own).
    let logout = ".auth-btn-wrapper button[aria-label='Remove authorization']";
    let logout = element(&browser, logout).await.text().await.expect("text");
    assert_eq!(logout.trim(), "Logout");
    click(&browser, ".btn-done").await;

    let (status, body) = try_it_out(&browser, "/users/me").await;
    assert_eq!(status, "200", "{body}");
    assert!(body.contains("\"johndoe\""), "{body}");

    let (status, body) = try_it_out(&browser, "/admin/users").await;
    assert_eq!(status, "403", "{body}");
    assert!(body.contains("Not enough permissions"), "{body}");

    let screenshot = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifact("docs-authorized.png"), screenshot).expect("save the screenshot");
    eprintln!("screenshot: {}", artifact("docs-authorized.png").display());

    browser.close().await.expect("close the browser");
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
}
