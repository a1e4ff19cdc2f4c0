//! The journal pages in process: trends, calendar links, history (undo,
//! delete, correct), sharing, export and import. Dates are relative to today,
//! so the tests pass on any day.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use chrono::{Duration, Local, NaiveDate};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use willis_web::{Config, Web};

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// The value of the first `name="…" value="…"` hidden field.
fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

fn form_body(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn days_ago(n: i64) -> String {
    (today() - Duration::days(n)).to_string()
}

/// A signed-in browser: the session cookie, its CSRF token, and the same
/// session as a bearer token for the JSON API.
struct Browser {
    router: Router,
    session: String,
    csrf: String,
}

impl Browser {
    async fn sign_up(router: &Router, name: &str) -> Browser {
        let form = send(router, Request::get("/signup").body(Body::empty()).unwrap()).await;
        assert_eq!(form.status, StatusCode::OK);
        let pre = cookie_value(&form.headers, "willis_csrf").expect("a pre-session cookie");
        assert_eq!(hidden(&form.body, "_csrf"), pre);
        let body = form_body(&[
            ("_csrf", &pre),
            ("username", name),
            ("password", "correct horse battery staple"),
            ("next", "/people"),
        ]);
        let signed = send(
            router,
            Request::post("/signup")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("willis_csrf={pre}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        let session = cookie_value(&signed.headers, "willis_session").expect("a session");
        let mut b = Browser {
            router: router.clone(),
            session,
            csrf: String::new(),
        };
        let people = b.get("/people").await;
        assert_eq!(people.status, StatusCode::OK);
        b.csrf = hidden(&people.body, "_csrf");
        b
    }

    async fn get(&self, path: &str) -> Answer {
        send(
            &self.router,
            Request::get(path)
                .header(header::COOKIE, format!("willis_session={}", self.session))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        send(
            &self.router,
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("willis_session={}", self.session))
                .body(Body::from(form_body(&all)))
                .unwrap(),
        )
        .await
    }

    async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.session))
            .header(header::CONTENT_TYPE, "application/json");
        let body = body.map(|b| Body::from(b.to_string())).unwrap_or_default();
        send(&self.router, request.body(body).unwrap()).await
    }

    async fn add_person(&self, name: &str) -> i64 {
        let added = self.post("/people", &[("name", name)]).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        added
            .location()
            .trim_start_matches("/people/")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn lab(&self, id: i64, test: &str, value: f64, unit: &str, date: &str) -> i64 {
        let a = self
            .api(
                "POST",
                &format!("/api/v1/people/{id}/labs"),
                Some(json!({"test": test, "value": value, "unit": unit, "date": date})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.json()["entry"]["id"].as_i64().unwrap()
    }

    async fn night(&self, id: i64, severity: i64, date: &str) {
        let a = self
            .api(
                "POST",
                &format!("/api/v1/people/{id}/diary"),
                Some(json!({"date": date, "severity": severity, "sleep_hours": 6.5})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }

    async fn plan(&self, id: i64) -> Value {
        self.api("GET", &format!("/api/v1/people/{id}/plan"), None)
            .await
            .json()
    }

    async fn people_count(&self) -> usize {
        let people = self.api("GET", "/api/v1/people", None).await.json();
        people.as_array().unwrap().len()
    }

    /// The lab values of the person's record, oldest first.
    async fn lab_values(&self, id: i64) -> Vec<f64> {
        let r = self
            .api("GET", &format!("/api/v1/people/{id}/record"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["labs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|l| l["value"].as_f64().unwrap())
            .collect()
    }
}

/// The number after `prefix` in `html` (an id in a form's action).
fn id_after(html: &str, prefix: &str) -> i64 {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {html}"))
        + prefix.len();
    let digits: String = html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

async fn world() -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let web = Web::open(&url, Config::default()).await.unwrap();
    (dir, willis_web::router(web))
}

/// An owner with one person, iron results and diary nights.
async fn owner_with_facts(router: &Router) -> (Browser, i64) {
    let ann = Browser::sign_up(router, "ann").await;
    let id = ann.add_person("Me").await;
    ann.lab(id, "ferritin", 35.0, "ng/mL", &days_ago(60)).await;
    ann.lab(id, "tsat", 18.0, "%", &days_ago(60)).await;
    ann.lab(id, "ferritin", 42.0, "ng/mL", &days_ago(20)).await;
    for (n, severity) in [(5, 7), (4, 6), (3, 5)] {
        ann.night(id, severity, &days_ago(n)).await;
    }
    (ann, id)
}

#[tokio::test]
async fn trends_show_both_charts_with_their_data_as_tables() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    let page = ann.get(&format!("/people/{id}/trends")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!(
        "id=\"iron-chart\" src=\"/people/{id}/charts/iron.svg\""
    )));
    assert!(page.body.contains(&format!(
        "id=\"diary-chart\" src=\"/people/{id}/charts/diary.svg\""
    )));
    assert!(page.body.contains("id=\"iron-table\""));
    assert!(page.body.contains("<td>42</td>"), "ferritin in the table");
    assert!(page.body.contains("id=\"diary-table\""));
    for chart in ["iron", "diary"] {
        let svg = ann.get(&format!("/people/{id}/charts/{chart}.svg")).await;
        assert_eq!(svg.status, StatusCode::OK, "{}", svg.body);
        assert_eq!(svg.content_type(), "image/svg+xml");
        assert!(svg.body.contains("<svg"));
    }
    // ?as_of= is passed on to the charts.
    let earlier = days_ago(30);
    let page = ann
        .get(&format!("/people/{id}/trends?as_of={earlier}"))
        .await;
    assert!(page
        .body
        .contains(&format!("charts/iron.svg?as_of={earlier}")));
    assert!(
        !page.body.contains("<td>42</td>"),
        "a later result is left out"
    );
    // Another user sees nothing.
    let bob = Browser::sign_up(&router, "bob").await;
    assert_eq!(
        bob.get(&format!("/people/{id}/trends")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get(&format!("/people/{id}/charts/iron.svg"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_letter_page_links_print_and_says_whether_pdf_is_available() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    let page = ann.get(&format!("/people/{id}/letter")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page
        .body
        .contains(&format!("href=\"/people/{id}/letter.html\"")));
    if cfg!(feature = "pdf") {
        assert!(page
            .body
            .contains(&format!("href=\"/people/{id}/letter.pdf\"")));
    } else {
        assert!(page.body.contains("PDF is unavailable"));
        let pdf = ann.get(&format!("/people/{id}/letter.pdf")).await;
        assert_eq!(pdf.status, StatusCode::NOT_IMPLEMENTED);
    }
    let printable = ann.get(&format!("/people/{id}/letter.html")).await;
    assert_eq!(printable.status, StatusCode::OK);
    let csp = printable
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("style-src 'unsafe-inline'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
}

#[tokio::test]
async fn a_calendar_link_works_without_a_session_until_revoked() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    let page = ann.get(&format!("/people/{id}/reminders")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let ics = ann.get(&format!("/people/{id}/reminders.ics")).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.body.contains("BEGIN:VCALENDAR"));

    let created = ann.post(&format!("/people/{id}/reminders/link"), &[]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let key = "id=\"calendar-url\">";
    let start = created.body.find(key).expect("the link is shown") + key.len();
    let url = &created.body[start..start + created.body[start..].find('<').unwrap()];
    assert!(url.ends_with(".ics"), "{url}");
    let path = &url[url.find("/calendar/").unwrap()..];
    assert!(created.body.contains("webcal://"));

    let anonymous = |p: String| {
        let router = router.clone();
        async move { send(&router, Request::get(p).body(Body::empty()).unwrap()).await }
    };
    let feed = anonymous(path.to_string()).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    assert!(feed.content_type().starts_with("text/calendar"));
    assert!(feed.body.contains("BEGIN:VCALENDAR"));
    assert_eq!(
        anonymous("/calendar/not-a-secret.ics".into()).await.status,
        StatusCode::NOT_FOUND
    );

    // The page lists the link (not the secret) and revokes it.
    let page = ann.get(&format!("/people/{id}/reminders")).await;
    assert!(!page.body.contains(path));
    let token = id_after(&page.body, &format!("/people/{id}/reminders/link/"));
    let bob = Browser::sign_up(&router, "bob").await;
    let stolen = bob
        .post(&format!("/people/{id}/reminders/link/{token}/revoke"), &[])
        .await;
    assert_eq!(
        stolen.status,
        StatusCode::NOT_FOUND,
        "only the owner's own links"
    );
    assert_eq!(anonymous(path.to_string()).await.status, StatusCode::OK);
    let revoked = ann
        .post(&format!("/people/{id}/reminders/link/{token}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let gone = anonymous(path.to_string()).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(!gone.body.contains("revoked"), "no detail");
}

#[tokio::test]
async fn undo_hides_the_last_entry_and_a_second_undo_restores_it() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    assert_eq!(ann.lab_values(id).await.len(), 3);
    let undone = ann.post(&format!("/people/{id}/history/undo"), &[]).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.body);
    assert!(undone
        .location()
        .starts_with(&format!("/people/{id}/history?done=")));
    // The last entry was a diary night: two nights remain.
    let record = ann
        .api("GET", &format!("/api/v1/people/{id}/record"), None)
        .await;
    assert_eq!(record.json()["diary"].as_array().unwrap().len(), 2);
    let history = ann.get(undone.location()).await;
    assert!(
        history.body.contains("role=\"status\""),
        "the notice is shown"
    );
    assert!(
        history.body.contains("deleted"),
        "the undone entry is marked"
    );
    ann.post(&format!("/people/{id}/history/undo"), &[]).await;
    let record = ann
        .api("GET", &format!("/api/v1/people/{id}/record"), None)
        .await;
    assert_eq!(record.json()["diary"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn history_deletes_and_corrects_entries() {
    let (_dir, router) = world().await;
    let ann = Browser::sign_up(&router, "ann").await;
    let id = ann.add_person("Me").await;
    let first = ann.lab(id, "ferritin", 35.0, "ng/mL", &days_ago(60)).await;
    let second = ann.lab(id, "ferritin", 420.0, "ng/mL", &days_ago(30)).await;

    let page = ann.get(&format!("/people/{id}/history")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ferritin 420 ng/mL"));
    assert!(page.body.contains("id=\"undo\""));

    // Correct: the form is pre-filled; a bad value is shown beside the field.
    let form = ann
        .get(&format!("/people/{id}/history/{second}/correct"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("value=\"420\""));
    assert!(form.body.contains("value=\"ng/mL\""));
    let bad = ann
        .post(
            &format!("/people/{id}/history/{second}/correct"),
            &[
                ("value", "lots"),
                ("unit", "ng/mL"),
                ("date", &days_ago(30)),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"value-error\""), "{}", bad.body);
    let future = (today() + Duration::days(3)).to_string();
    let bad = ann
        .post(
            &format!("/people/{id}/history/{second}/correct"),
            &[("value", "42"), ("unit", "ng/mL"), ("date", &future)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"date-error\""), "{}", bad.body);
    let good = ann
        .post(
            &format!("/people/{id}/history/{second}/correct"),
            &[("value", "42"), ("unit", "ng/mL"), ("date", &days_ago(30))],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    assert_eq!(ann.lab_values(id).await, vec![35.0, 42.0]);

    // Delete: gone from the record, still in the history.
    let deleted = ann
        .post(&format!("/people/{id}/history/{first}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(ann.lab_values(id).await, vec![42.0]);
    let page = ann.get(&format!("/people/{id}/history")).await;
    assert!(page.body.contains("ferritin 35 ng/mL"));
    assert!(page.body.contains(&format!("deletes #{first}")));
    // A superseded entry is no longer offered for correction.
    let again = ann
        .get(&format!("/people/{id}/history/{first}/correct"))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_read_share_shows_the_plan_refuses_writes_hides_the_audit_and_ends_on_revoke() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    let bob = Browser::sign_up(&router, "bob").await;

    // A name that does not exist is shown beside the field.
    let unknown = ann
        .post(
            &format!("/people/{id}/sharing"),
            &[("username", "nobody"), ("access", "read")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.body.contains("id=\"share-username-error\""),
        "{}",
        unknown.body
    );

    let until = (today() + Duration::days(30)).to_string();
    let granted = ann
        .post(
            &format!("/people/{id}/sharing"),
            &[("username", "bob"), ("access", "read"), ("expires", &until)],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    let sharing = ann.get(&format!("/people/{id}/sharing")).await;
    assert!(sharing.body.contains("id=\"shares\""));
    assert!(sharing.body.contains("<td>bob</td>"));
    assert!(sharing.body.contains("id=\"audit\""));
    assert!(sharing.body.contains("grant"));

    assert_eq!(
        bob.get(&format!("/people/{id}/plan")).await.status,
        StatusCode::OK
    );
    let history = bob.get(&format!("/people/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(
        !history.body.contains("id=\"undo\""),
        "no write forms for a reader"
    );
    let write = bob.post(&format!("/people/{id}/history/undo"), &[]).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let theirs = bob.get(&format!("/people/{id}/sharing")).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.body.contains("id=\"shared-by\""));
    assert!(theirs.body.contains("<strong>ann</strong>"));
    assert!(!theirs.body.contains("id=\"audit\""));
    assert!(!theirs.body.contains("id=\"grant\""));
    let grab = bob
        .post(
            &format!("/people/{id}/sharing"),
            &[("username", "bob"), ("access", "write")],
        )
        .await;
    assert_eq!(grab.status, StatusCode::FORBIDDEN);

    let share = id_after(&sharing.body, &format!("/people/{id}/sharing/"));
    let revoked = ann
        .post(&format!("/people/{id}/sharing/{share}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(
        bob.get(&format!("/people/{id}/plan")).await.status,
        StatusCode::NOT_FOUND
    );
    let sharing = ann.get(&format!("/people/{id}/sharing")).await;
    assert!(sharing.body.contains("revoked"));
}

fn multipart(boundary: &str, file: &str) -> String {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"willis-backup.json\"\r\n\
         Content-Type: application/json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    )
}

#[tokio::test]
async fn export_then_import_gives_the_same_plan_and_a_bad_file_changes_nothing() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    let export = ann.get("/export").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("willis-backup.json"));
    let backup = export.body.clone();

    let bob = Browser::sign_up(&router, "bob").await;
    let form = bob.get("/import").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    let boundary = "willis-test-boundary";
    let upload = send(
        &router,
        Request::post(format!("/import?_csrf={}", bob.csrf))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, format!("willis_session={}", bob.session))
            .body(Body::from(multipart(boundary, &backup)))
            .unwrap(),
    )
    .await;
    assert_eq!(upload.status, StatusCode::OK, "{}", upload.body);
    assert!(upload.body.contains("id=\"imported\""));
    let new_id = id_after(&upload.body, "href=\"/people/");
    assert_ne!(new_id, id);

    assert_eq!(bob.plan(new_id).await, ann.plan(id).await);

    // Without the CSRF token the upload is refused.
    let forged = send(
        &router,
        Request::post("/import")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::COOKIE, format!("willis_session={}", bob.session))
            .body(Body::from(multipart(boundary, &backup)))
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let before = bob.people_count().await;
    let bad = bob
        .post(
            &format!("/import?_csrf={}", bob.csrf),
            &[("backup", "{not json")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"import-error\""));
    // A backup whose second person holds a bad entry adds no one at all.
    let mut broken: Value = serde_json::from_str(&backup).unwrap();
    let mut second = broken["people"][0].clone();
    second["id"] = json!(999);
    second["display_name"] = json!("Other");
    broken["people"].as_array_mut().unwrap().push(second);
    let mut entry = broken["entries"][0].clone();
    entry["id"] = json!(9999);
    entry["person_id"] = json!(999);
    entry["effective"] = json!((today() + Duration::days(10)).to_string());
    entry["payload"]["date"] = json!((today() + Duration::days(10)).to_string());
    broken["entries"].as_array_mut().unwrap().push(entry);
    let bad = bob
        .post(
            &format!("/import?_csrf={}", bob.csrf),
            &[("backup", &broken.to_string())],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bob.people_count().await, before);
    // The pasted text works too.
    let pasted = bob
        .post(
            &format!("/import?_csrf={}", bob.csrf),
            &[("backup", &backup)],
        )
        .await;
    assert_eq!(pasted.status, StatusCode::OK, "{}", pasted.body);
    assert_eq!(bob.people_count().await, before + 1);
}

#[tokio::test]
async fn a_fhir_bundle_imports_into_a_new_person_then_adds_nothing_twice() {
    let (_dir, router) = world().await;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bundle = std::fs::read_to_string(root.join("examples/fhir/ehr-searchset.json")).unwrap();
    let bob = Browser::sign_up(&router, "bob").await;
    let form = bob.get("/import").await;
    assert!(form.body.contains("name=\"into\""), "{}", form.body);

    let first = bob
        .post(
            &format!("/import?_csrf={}", bob.csrf),
            &[
                ("backup", &bundle),
                ("into", "new"),
                ("name", "Clinic import"),
            ],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(first.body.contains("Clinic import"));
    assert!(
        first.body.contains("id=\"import-skipped\""),
        "the unusable results are listed"
    );
    let id = id_after(&first.body, "href=\"/people/");
    let plan = bob.plan(id).await;
    assert_eq!(plan["format"], "willis-assessment/1");
    let labs_before = bob.lab_values(id).await;
    assert!(!labs_before.is_empty());

    // The same Bundle into the same person adds nothing.
    let into = id.to_string();
    let again = bob
        .post(
            &format!("/import?_csrf={}", bob.csrf),
            &[("backup", &bundle), ("into", &into)],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.contains("Added 0 entries"), "{}", again.body);
    assert_eq!(bob.lab_values(id).await, labs_before);

    // Someone else's person, or nonsense, is refused and nothing is added.
    let count = bob.people_count().await;
    for bad in ["999999", "me"] {
        let refused = bob
            .post(
                &format!("/import?_csrf={}", bob.csrf),
                &[("backup", &bundle), ("into", bad)],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains("into"), "{}", refused.body);
    }
    assert_eq!(bob.people_count().await, count);
}

#[tokio::test]
async fn a_calendar_link_made_under_a_share_ends_with_it_and_stays_ended_when_shared_again() {
    let (_dir, router) = world().await;
    let (ann, id) = owner_with_facts(&router).await;
    let bob = Browser::sign_up(&router, "bob").await;
    let sharing_path = format!("/people/{id}/sharing");
    let read_for_bob = [("username", "bob"), ("access", "read")];
    assert_eq!(
        ann.post(&sharing_path, &read_for_bob).await.status,
        StatusCode::SEE_OTHER
    );

    let created = bob.post(&format!("/people/{id}/reminders/link"), &[]).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let key = "id=\"calendar-url\">";
    let start = created.body.find(key).expect("the link is shown") + key.len();
    let url = &created.body[start..start + created.body[start..].find('<').unwrap()];
    let path = url[url.find("/calendar/").unwrap()..].to_string();
    let feed = |p: String| {
        let router = router.clone();
        async move {
            send(&router, Request::get(p).body(Body::empty()).unwrap())
                .await
                .status
        }
    };
    assert_eq!(feed(path.clone()).await, StatusCode::OK);

    let sharing = ann.get(&format!("/people/{id}/sharing")).await;
    let share = id_after(&sharing.body, &format!("/people/{id}/sharing/"));
    let revoked = ann
        .post(&format!("/people/{id}/sharing/{share}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(feed(path.clone()).await, StatusCode::NOT_FOUND);

    // Shared again later: the old link stays dead; a new one works.
    assert_eq!(
        ann.post(&sharing_path, &read_for_bob).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(feed(path.clone()).await, StatusCode::NOT_FOUND);
    let again = bob.post(&format!("/people/{id}/reminders/link"), &[]).await;
    let start = again.body.find(key).unwrap() + key.len();
    let url = &again.body[start..start + again.body[start..].find('<').unwrap()];
    let fresh = url[url.find("/calendar/").unwrap()..].to_string();
    assert_eq!(feed(fresh).await, StatusCode::OK);
}
