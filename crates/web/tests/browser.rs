//! The whole web app in a real browser: headless Chromium driven through
//! chromedriver (WebDriver, with `fantoccini`), on SQLite and PostgreSQL, with
//! JavaScript on and off.
//!
//! One flow, four runs: sign up, add a person, answer the questionnaire, enter
//! ferritin and transferrin saturation, see an iron step on the plan, add a
//! diary night, see the trend charts and the letter, share read access with a
//! second user, and check as that user that the plan shows the same step with
//! no forms to change anything.
//!
//! The app runs in this process on `127.0.0.1:0`; `chromedriver` is started
//! on a free port and killed when the test ends; Chromium runs headless with a
//! fresh profile and with its background networking off (the tests need no
//! network beyond the loopback).
//!
//! Screenshots of the main pages are written on every run to
//! `<target>/screenshots/<database>-<js|nojs>-<page>.png`. With
//! `WILLIS_SCREENSHOTS=docs/screenshots` (a folder, relative to the
//! repository) the SQLite run with JavaScript also writes the README's
//! `plan-desktop.png` (1280×900) and `plan-phone.png` (390×844) there.
//!
//! The tests run when the crate is built with `CI` or `WILLIS_TEST_BROWSER`
//! set, or with `chromium` and `chromedriver` installed (the `willis_browser`
//! cfg, see `build.rs`); then a missing browser fails them. The PostgreSQL
//! runs also need the `willis_pg` cfg, as in the other suites. Install the
//! browser on Debian with `apt-get install chromium chromium-driver`;
//! `WILLIS_CHROMIUM` and `WILLIS_CHROMEDRIVER` point at other binaries.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::BodyExt;
use serde_json::json;
use sqlx::{Connection, Executor};
use willis_web::{Config, Web};

/// The Chromium switches every run uses: headless, no sandbox (containers),
/// and nothing that reaches for the network on its own.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
];

/// How long to wait for a page, an element or the driver.
const PATIENCE: Duration = Duration::from_secs(20);

const PASSWORD: &str = "correct horse battery staple";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Database {
    Sqlite,
    Postgres,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(willis_browser),
    ignore = "install chromium and chromedriver (or set WILLIS_TEST_BROWSER) to run"
)]
async fn sqlite_with_javascript() {
    run(Database::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(willis_browser),
    ignore = "install chromium and chromedriver (or set WILLIS_TEST_BROWSER) to run"
)]
async fn sqlite_without_javascript() {
    run(Database::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(willis_browser, willis_pg)),
    ignore = "needs the browser and WILLIS_TEST_POSTGRES"
)]
async fn postgres_with_javascript() {
    run(Database::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(willis_browser, willis_pg)),
    ignore = "needs the browser and WILLIS_TEST_POSTGRES"
)]
async fn postgres_without_javascript() {
    run(Database::Postgres, false).await;
}

/// Starts the app and the browser, runs the flow, and always ends the
/// browser session (also when the flow fails) before reporting.
async fn run(db: Database, js: bool) {
    let started = Instant::now();
    let fresh = FreshDb::new(db).await;
    let base = serve(&fresh.url).await;
    let driver = Driver::start();
    let client = driver.connect(js).await;
    let label = format!(
        "{}-{}",
        match db {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        },
        if js { "js" } else { "nojs" }
    );
    let _ = std::fs::remove_file(screenshot_dir().join(format!("{label}-FAILED.png")));
    let flow = tokio::spawn({
        let (client, base, label) = (client.clone(), base.clone(), label.clone());
        async move { flow(&client, &base, js, &label, db == Database::Sqlite && js).await }
    })
    .await;
    if flow.is_err() {
        // Leave a picture of where it stopped.
        if let Ok(png) = client.screenshot().await {
            let path = screenshot_dir().join(format!("{label}-FAILED.png"));
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot of the failure: {}", path.display());
        }
        if let Ok(url) = client.current_url().await {
            eprintln!("the browser was at {url}");
        }
    }
    let _ = client.close().await;
    drop(driver);
    match flow {
        Ok(()) => eprintln!("{label}: passed in {:.1?}", started.elapsed()),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

// ---------------------------------------------------------------------------
// The flow

async fn flow(c: &Client, base: &str, js: bool, label: &str, readme: bool) {
    let at = |path: &str| format!("{base}{path}");

    // The second user signs up first, so the first can share with them.
    sign_up(c, base, "ben").await;
    sign_out(c).await;
    sign_up(c, base, "anna").await;
    check_javascript(c, js).await;

    // A person.
    c.goto(&at("/people")).await.unwrap();
    page_ok(c).await;
    fill(c, "#name", "Anna").await;
    submit(c, "form[action=\"/people\"] button[type=submit]").await;
    let id = person_id(c).await;
    let person = |path: &str| at(&format!("/people/{id}/{path}"));
    c.goto(&at("/people")).await.unwrap();
    page_ok(c).await;
    assert_text(c, "ul.people", "Anna").await;
    shot(c, label, "people").await;

    // The questionnaire: the five criteria met, five days a week.
    c.goto(&person("questionnaire")).await.unwrap();
    page_ok(c).await;
    for criterion in [
        "urge_to_move",
        "worse_at_rest",
        "relieved_by_movement",
        "worse_evening_or_night",
        "not_explained_by_other_condition",
    ] {
        click(c, &format!("#{criterion}-yes")).await;
    }
    fill(c, "#days_per_week", "5").await;
    shot(c, label, "questionnaire").await;
    submit(c, "#save-questionnaire").await;
    no_form_errors(c).await;

    // Blood results: ferritin 30 ng/mL and TSAT 15 %, dated today.
    c.goto(&person("results")).await.unwrap();
    page_ok(c).await;
    add_result(c, "ferritin", "30", "ng/mL").await;
    add_result(c, "tsat", "15", "%").await;
    c.goto(&person("results")).await.unwrap();
    page_ok(c).await;
    assert_text(c, "main", "30").await;
    assert_text(c, "main", "15").await;
    shot(c, label, "results").await;

    // The plan treats iron.
    c.goto(&person("plan")).await.unwrap();
    page_ok(c).await;
    let steps = step_ids(c).await;
    assert!(
        steps.iter().any(|s| s == "iron.iv" || s == "iron.oral"),
        "the plan should offer iron for ferritin 30 and TSAT 15 %, got steps {steps:?}"
    );
    assert_text(c, "section.summary", "Ferritin").await;
    shot(c, label, "plan").await;
    if readme {
        readme_screenshots(c).await;
    }

    // A diary night.
    c.goto(&person("diary")).await.unwrap();
    page_ok(c).await;
    click(c, "#severity-6").await;
    // Hours of sleep sit in the optional part, folded away.
    let more = find(c, "form.diary details").await;
    if more.attr("open").await.unwrap().is_none() {
        click(c, "form.diary details > summary").await;
    }
    fill(c, "#sleep_hours", "5.5").await;
    submit(c, "#save-night").await;
    no_form_errors(c).await;
    c.goto(&person("diary")).await.unwrap();
    page_ok(c).await;
    shot(c, label, "diary").await;

    // Trends: both charts load.
    c.goto(&person("trends")).await.unwrap();
    page_ok(c).await;
    for chart in ["#iron-chart", "#diary-chart"] {
        image_loads(c, chart, js).await;
    }
    shot(c, label, "trends").await;

    // The letter for the doctor names the iron result.
    c.goto(&person("letter")).await.unwrap();
    page_ok(c).await;
    assert_text(c, "body", "erritin").await;
    shot(c, label, "letter").await;

    // Share read access with Ben.
    c.goto(&person("sharing")).await.unwrap();
    page_ok(c).await;
    fill(c, "#share-username", "ben").await;
    select(c, "#share-access", "read").await;
    submit(c, "#grant").await;
    no_form_errors(c).await;
    assert_text(c, "main", "ben").await;
    sign_out(c).await;

    // Ben sees the plan, read only.
    sign_in(c, base, "ben").await;
    c.goto(&at("/people")).await.unwrap();
    page_ok(c).await;
    assert_text(c, "ul.people", "Anna").await;
    assert_text(c, "ul.people", "read only").await;
    c.goto(&person("plan")).await.unwrap();
    page_ok(c).await;
    assert_text(c, "nav.person .badge", "read only").await;
    let seen = step_ids(c).await;
    assert_eq!(seen, steps, "the reader sees the owner's plan");
    assert_none(c, "main form[method=post]").await;
    for page in ["plan", "results", "diary", "questionnaire", "sharing"] {
        c.goto(&person(page)).await.unwrap();
        let title = c.title().await.unwrap();
        if title.starts_with("Not allowed") {
            continue; // a reader may be refused a page that only changes things
        }
        page_ok(c).await;
        for action in [
            "results",
            "diary",
            "questionnaire",
            "shares",
            "sharing",
            "entries",
        ] {
            assert_none(c, &format!("form[action$=\"/{action}\"][method=post]")).await;
        }
    }
    sign_out(c).await;
}

async fn add_result(c: &Client, test: &str, value: &str, unit: &str) {
    select(c, "#test", test).await;
    fill(c, "#value", value).await;
    select_or_fill(c, "#unit", unit).await;
    let date = c
        .find(Locator::Css("#date"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    let today = chrono::Local::now().date_naive().to_string();
    assert_eq!(date, today, "the result's date defaults to today");
    submit(c, "#add-result").await;
    no_form_errors(c).await;
}

/// Sizes the window so that the page itself (the viewport) is
/// `width`×`height` CSS pixels (needs JavaScript to measure).
async fn viewport(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height).await.unwrap();
    let inner = c
        .execute("return [window.innerWidth, window.innerHeight]", vec![])
        .await
        .unwrap();
    let (w, h) = (
        inner[0].as_u64().unwrap() as u32,
        inner[1].as_u64().unwrap() as u32,
    );
    if (w, h) != (width, height) {
        c.set_window_size(2 * width - w, 2 * height - h)
            .await
            .unwrap();
    }
}

/// The README's screenshots of the plan, on a desktop and a phone.
async fn readme_screenshots(c: &Client) {
    let Some(dir) = std::env::var_os("WILLIS_SCREENSHOTS") else {
        return;
    };
    let dir = repository().join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, width, height) in [("plan-desktop", 1280, 900), ("plan-phone", 390, 844)] {
        viewport(c, width, height).await;
        c.refresh().await.unwrap();
        page_ok(c).await;
        let png = c.screenshot().await.unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("wrote {}", path.display());
    }
    c.set_window_size(1280, 900).await.unwrap();
}

// ---------------------------------------------------------------------------
// Steps of the flow

async fn sign_up(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/signup")).await.unwrap();
    page_ok(c).await;
    fill(c, "#username", name).await;
    fill(c, "#password", PASSWORD).await;
    submit(c, "form[action=\"/signup\"] button[type=submit]").await;
    page_ok(c).await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/people", "signing up leads to the people page");
}

async fn sign_in(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    page_ok(c).await;
    fill(c, "#username", name).await;
    fill(c, "#password", PASSWORD).await;
    submit(c, "form[action=\"/signin\"] button[type=submit]").await;
    page_ok(c).await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/people", "signing in leads to the people page");
}

async fn sign_out(c: &Client) {
    submit(c, "form[action=\"/signout\"] button[type=submit]").await;
    let url = c.current_url().await.unwrap();
    assert_eq!(
        url.path(),
        "/signin",
        "signing out leads to the sign-in page"
    );
}

/// The person's id from the page the browser is on (`/people/{id}/…`).
async fn person_id(c: &Client) -> i64 {
    let url = c.current_url().await.unwrap();
    let mut parts = url.path().trim_start_matches('/').split('/');
    assert_eq!(parts.next(), Some("people"), "at {url}");
    parts
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no person id in {url}"))
}

async fn step_ids(c: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for step in c.find_all(Locator::Css("article.step")).await.unwrap() {
        ids.push(step.attr("data-id").await.unwrap().unwrap_or_default());
    }
    ids
}

/// Whether the browser runs scripts as asked: a page whose script renames
/// it shows the new title only with JavaScript on. (The app itself has no
/// script; this proves the "without JavaScript" runs really are.)
async fn check_javascript(c: &Client, js: bool) {
    let back = c.current_url().await.unwrap();
    c.goto("data:text/html,<title>static</title><script>document.title='scripted'</script>")
        .await
        .unwrap();
    let title = c.title().await.unwrap();
    assert_eq!(
        title,
        if js { "scripted" } else { "static" },
        "JavaScript on: {js}"
    );
    c.goto(back.as_str()).await.unwrap();
}

/// An image has loaded: with JavaScript its `naturalWidth` is above 0;
/// without, its address answers an image to the session's cookie.
async fn image_loads(c: &Client, css: &str, js: bool) {
    let img = c
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await;
    let img = img.unwrap_or_else(|e| panic!("no image {css}: {e}"));
    let src = img.attr("src").await.unwrap().unwrap_or_default();
    assert!(!src.is_empty(), "{css} has a src");
    if js {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let state = c
                .execute(
                    "const i = document.querySelector(arguments[0]); \
                     return [i.complete, i.naturalWidth, i.naturalHeight];",
                    vec![json!(css)],
                )
                .await
                .unwrap();
            let (complete, width) = (state[0].as_bool(), state[1].as_u64().unwrap_or(0));
            if complete == Some(true) && width > 0 {
                break;
            }
            assert!(
                complete != Some(true) && Instant::now() < deadline,
                "{css} ({src}) did not load: {state}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    } else {
        // The browser's cookies for the page, sent with a request of our own.
        let url = c.current_url().await.unwrap().join(&src).unwrap();
        let cookies: Vec<String> = c
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|k| format!("{}={}", k.name(), k.value()))
            .collect();
        let request = axum::http::Request::get(url.as_str())
            .header("cookie", cookies.join("; "))
            .body(axum::body::Body::empty())
            .unwrap();
        let http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<axum::body::Body>();
        let response = http.request(request).await.unwrap();
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, 200, "{css}: GET {url}");
        assert!(kind.starts_with("image/"), "{css}: {url} is {kind}");
        assert!(body.len() > 100, "{css}: {url} is {} bytes", body.len());
        page_ok(c).await;
    }
}

// ---------------------------------------------------------------------------
// Browser helpers

/// Fails when the page is an error page (every page of the app has a title
/// ending in "· Willis"; the error pages have their own titles).
async fn page_ok(c: &Client) {
    let title = c.title().await.unwrap();
    let url = c.current_url().await.unwrap();
    let failed = [
        "Not found",
        "Not allowed",
        "Please check",
        "Something went wrong",
        "Too many attempts",
        "This form has expired",
    ]
    .iter()
    .any(|t| title.starts_with(t));
    if failed || !title.ends_with("· Willis") {
        let text = match c.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        panic!("{url} is an error page: {title:?}\n{text}");
    }
}

/// Fails when a form came back with a message beside a field.
async fn no_form_errors(c: &Client) {
    page_ok(c).await;
    let errors = c.find_all(Locator::Css(".error")).await.unwrap();
    if !errors.is_empty() {
        let mut text = Vec::new();
        for e in errors {
            text.push(e.text().await.unwrap_or_default());
        }
        let url = c.current_url().await.unwrap();
        panic!("{url} shows errors: {text:?}");
    }
}

async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let url = c.current_url().await.unwrap();
            panic!("no {css} on {url}: {e}")
        }
    }
}

async fn fill(c: &Client, css: &str, text: &str) {
    let field = find(c, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    find(c, css).await.click().await.unwrap();
}

async fn select(c: &Client, css: &str, value: &str) {
    find(c, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css}: no option {value:?}: {e}"));
}

/// Chooses an option of a `<select>`, or types into a text field.
async fn select_or_fill(c: &Client, css: &str, value: &str) {
    let field = find(c, css).await;
    if field
        .tag_name()
        .await
        .unwrap()
        .eq_ignore_ascii_case("select")
    {
        select(c, css, value).await;
    } else {
        fill(c, css, value).await;
    }
}

/// Clicks a submit button and waits for the next page.
async fn submit(c: &Client, css: &str) {
    let old = find(c, "html").await;
    click(c, css).await;
    let deadline = Instant::now() + PATIENCE;
    // The old page's root goes stale once the answer is shown.
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "clicking {css} loaded no page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = find(c, "body").await;
}

async fn assert_text(c: &Client, css: &str, needle: &str) {
    let text = find(c, css).await.text().await.unwrap();
    assert!(
        text.contains(needle),
        "{css} on {} should contain {needle:?}: {text:?}",
        c.current_url().await.unwrap()
    );
}

async fn assert_none(c: &Client, css: &str) {
    let found = c.find_all(Locator::Css(css)).await.unwrap();
    assert!(
        found.is_empty(),
        "{} should have no {css} for a reader",
        c.current_url().await.unwrap()
    );
}

async fn shot(c: &Client, label: &str, page: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = screenshot_dir();
    std::fs::write(dir.join(format!("{label}-{page}.png")), png).unwrap();
}

// ---------------------------------------------------------------------------
// The app, the database and the driver

/// `<target>/screenshots`, created.
fn screenshot_dir() -> PathBuf {
    // The test binary is `<target>/<profile>/deps/browser-…`.
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repository().join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Serves the app on a free loopback port; the base URL.
async fn serve(db: &str) -> String {
    let web = Web::open(db, Config::default())
        .await
        .unwrap_or_else(|e| panic!("cannot open {db}: {e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = willis_web::router(web).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// A new, empty database: a SQLite file in a temporary folder, or a
/// PostgreSQL database dropped when the test ends.
struct FreshDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl FreshDb {
    async fn new(db: Database) -> FreshDb {
        match db {
            Database::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/willis.db", dir.path().display());
                FreshDb {
                    url,
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Database::Postgres => {
                let base = std::env::var("WILLIS_TEST_POSTGRES")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let connect = sqlx::PgConnection::connect(&base);
                let mut admin = match tokio::time::timeout(Duration::from_secs(5), connect).await {
                    Ok(Ok(conn)) => conn,
                    Ok(Err(e)) => panic!("PostgreSQL at {base} cannot be reached: {e}"),
                    Err(_) => panic!("PostgreSQL at {base} cannot be reached: timed out"),
                };
                let name = format!("willis_browser_{}", unique());
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap_or_else(|e| panic!("cannot create {name}: {e}"));
                admin.close().await.ok();
                let (scheme, rest) = base.split_once("://").expect("a postgres:// URL");
                let host = rest.split(['/', '?']).next().unwrap_or(rest);
                let url = format!("{scheme}://{host}/{name}");
                FreshDb {
                    url,
                    _dir: None,
                    pg: Some((base, name)),
                }
            }
        }
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.pg.take() else {
            return;
        };
        // A thread of its own: this runs inside the test's runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&base).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database: {dropped:?}");
        }
    }
}

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `chromedriver` on a free port, in a process group of its own that is
/// killed (with the browser it started) when the test ends.
struct Driver {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
}

fn binary(var: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: the browser tests need it \
                 (Debian: apt-get install chromium chromium-driver; or set {var})"
            )
        })
}

impl Driver {
    fn start() -> Driver {
        let driver = binary("WILLIS_CHROMEDRIVER", "chromedriver");
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let profile = tempfile::tempdir().unwrap();
        let mut command = Command::new(&driver);
        command
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.path().join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            port,
            profile,
        }
    }

    /// A browser session; without JavaScript when `js` is false.
    async fn connect(&self, js: bool) -> Client {
        let chromium = binary("WILLIS_CHROMIUM", "chromium");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push("--window-size=1280,900".into());
        args.push(format!(
            "--user-data-dir={}",
            self.profile.path().join("profile").display()
        ));
        let mut options = json!({ "binary": chromium, "args": args });
        if !js {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| {
                let log = std::fs::read_to_string(self.profile.path().join("chromedriver.log"))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                panic!(
                    "cannot start {} through chromedriver: {e}\n{}",
                    chromium.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            // The whole group: chromedriver and the browser it started.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
