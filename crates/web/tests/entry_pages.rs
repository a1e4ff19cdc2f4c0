//! The pages that enter facts, driven through the whole router in-process:
//! sign up with the form flow, add a person, post each form and check what
//! the journal holds; a bad value comes back (422) with the message beside
//! its field; a read-only share sees no forms and cannot post.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use chrono::{Duration, Local, NaiveDate, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use willis_app::When;
use willis_core::RecordFile;
use willis_store::{Access, PersonId, Store};
use willis_web::{Config, Web};

struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

/// A browser: a cookie jar and the session's CSRF token.
struct Browser {
    app: Router,
    cookies: HashMap<String, String>,
    csrf: String,
}

impl Browser {
    fn new(app: Router) -> Browser {
        Browser {
            app,
            cookies: HashMap::new(),
            csrf: String::new(),
        }
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<Vec<(&str, String)>>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header(header::COOKIE, jar.join("; "));
        }
        let body = match form {
            Some(fields) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(&fields).unwrap())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            let text = cookie.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let a = self.send("GET", path, None).await;
        if let Some(token) = hidden_csrf(&a.body) {
            self.csrf = token;
        }
        a
    }

    /// Posts a form with the session's CSRF token.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, String)> =
            fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        form.push(("_csrf", self.csrf.clone()));
        self.send("POST", path, Some(form)).await
    }

    async fn sign_up(&mut self, name: &str) {
        let form = self.get("/signup").await;
        assert_eq!(form.status, StatusCode::OK);
        let a = self
            .post(
                "/signup",
                &[
                    ("username", name),
                    ("password", "correct horse battery staple"),
                    ("next", "/people"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        assert!(self.cookies.contains_key("willis_session"));
        // The session's own CSRF token, from any signed-in page.
        let people = self.get("/people").await;
        assert_eq!(people.status, StatusCode::OK);
    }

    async fn add_person(&mut self, name: &str) -> i64 {
        let a = self.post("/people", &[("name", name)]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let location = a.location.unwrap();
        assert!(location.ends_with("/questionnaire"), "{location}");
        location.split('/').nth(2).unwrap().parse().unwrap()
    }
}

fn hidden_csrf(body: &str) -> Option<String> {
    let at = body.find(r#"name="_csrf" value=""#)?;
    let rest = &body[at + r#"name="_csrf" value=""#.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

struct Fixture {
    web: Web,
    app: Router,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("web.db").display());
    let config = Config {
        today: Some(today()),
        ..Config::default()
    };
    let web = Web::open(&url, config).await.unwrap();
    let app = willis_web::router(web.clone());
    Fixture {
        web,
        app,
        _dir: dir,
    }
}

fn today() -> NaiveDate {
    Local::now().date_naive()
}

async fn record_of(web: &Web, user: &str, id: i64) -> RecordFile {
    let user = web.store().user_by_name(user).await.unwrap().unwrap();
    web.pages()
        .record_file(
            user.id,
            PersonId(id),
            When {
                as_of: today(),
                known_at: None,
            },
            Utc::now(),
        )
        .await
        .unwrap()
}

/// The text from `id="{id}"` to the end of its element's line of markup.
fn near<'a>(body: &'a str, id: &str) -> &'a str {
    let needle = format!(r#"id="{id}""#);
    let at = body
        .find(&needle)
        .unwrap_or_else(|| panic!("no element {needle} in the page"));
    let end = body[at..]
        .find("</p>")
        .map(|e| at + e)
        .unwrap_or(body.len());
    &body[at..end]
}

#[tokio::test]
async fn the_questionnaire_prefills_saves_the_changed_sections_and_refuses_a_bad_number() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_up("alice").await;
    let id = b.add_person("Me").await;

    let form = b.get(&format!("/people/{id}/questionnaire")).await;
    assert_eq!(form.status, StatusCode::OK);
    for needle in [
        "id=\"save-questionnaire\"",
        "id=\"urge_to_move-yes\"",
        "id=\"not_explained_by_other_condition-not-sure\"",
        "name=\"irls_total\"",
        "type=\"time\"",
    ] {
        assert!(form.body.contains(needle), "{needle}");
    }
    assert!(!form.body.contains("style="), "no inline styles (CSP)");

    let mut answers: Vec<(&str, &str)> = [
        "urge_to_move",
        "worse_at_rest",
        "relieved_by_movement",
        "worse_evening_or_night",
        "not_explained_by_other_condition",
    ]
    .iter()
    .map(|n| (*n, "yes"))
    .collect();
    answers.extend([
        ("days_per_week", "5"),
        ("onset_time", "21:30"),
        ("body_parts", "legs"),
        ("body_parts", "arms"),
        ("irls_total", "22"),
        ("one_sided", "no"),
        ("weakness_or_numbness", "no"),
        ("impulse_control_problems", "not-sure"),
        ("snoring", "yes"),
        ("witnessed_apneas", "no"),
        ("excessive_daytime_sleepiness", "not-sure"),
        ("limb_jerks_reported", "yes"),
        ("epworth", "9"),
        ("birth_date", "1970-05-31"),
        ("sex", "female"),
        ("pregnancy_weeks", ""),
        ("weight_kg", "68,5"),
    ]);
    let saved = b
        .post(&format!("/people/{id}/questionnaire"), &answers)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let location = saved.location.unwrap();
    assert!(
        location.starts_with(&format!("/people/{id}/plan?done=")),
        "{location}"
    );

    let r = record_of(&f.web, "alice", id).await;
    let s = r.symptoms.unwrap();
    assert_eq!(s.urge_to_move, Some(true));
    assert_eq!(s.days_per_week, Some(5));
    assert_eq!(s.irls_total, Some(22));
    assert_eq!(s.onset_time.as_deref(), Some("21:30"));
    assert_eq!(s.body_parts, vec!["legs", "arms"]);
    assert_eq!(s.impulse_control_problems, None);
    let sleep = r.sleep.unwrap();
    assert_eq!((sleep.snoring, sleep.epworth), (Some(true), Some(9)));
    let p = r.patient.unwrap();
    assert_eq!(p.sex.as_deref(), Some("female"));
    assert_eq!(p.weight_kg, Some(68.5));

    let plan = b.get(&location).await;
    assert!(
        plan.body
            .contains("Your answers meet the five criteria for RLS"),
        "{}",
        plan.body
    );
    assert!(plan.body.contains("Answers saved"));

    // Pre-filled from the record.
    let again = b.get(&format!("/people/{id}/questionnaire")).await;
    assert!(
        again
            .body
            .contains(r#"id="urge_to_move-yes" name="urge_to_move" value="yes" checked"#),
        "{}",
        again.body
    );
    assert!(again.body.contains(r#"value="21:30""#));

    // Posting the same answers stores nothing new.
    let entries_before = f.web.store().entries(PersonId(id)).await.unwrap().len();
    let same = b
        .post(&format!("/people/{id}/questionnaire"), &answers)
        .await;
    assert_eq!(same.status, StatusCode::SEE_OTHER);
    assert_eq!(
        f.web.store().entries(PersonId(id)).await.unwrap().len(),
        entries_before
    );

    // Eight days a week: 422, the message beside the field, the rest kept.
    let mut bad = answers.clone();
    bad.retain(|(k, _)| *k != "days_per_week");
    bad.push(("days_per_week", "8"));
    let refused = b.post(&format!("/people/{id}/questionnaire"), &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = near(&refused.body, "days_per_week-error");
    assert!(msg.contains("between 0 and 7"), "{msg}");
    assert!(refused
        .body
        .contains(r#"aria-describedby="days_per_week-error""#));
    assert!(refused.body.contains(r#"value="8""#));
    assert!(
        refused.body.contains(r#"value="68,5""#),
        "what was typed is kept"
    );
}

#[tokio::test]
async fn results_are_stored_in_the_labs_units_and_drive_the_plan() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_up("bob").await;
    let id = b.add_person("Dad").await;
    let path = format!("/people/{id}/results");
    let page = b.get(&path).await;
    for needle in [
        r#"id="test""#,
        r#"id="value""#,
        r#"inputmode="decimal""#,
        r#"id="unit""#,
        r#"<datalist id="units""#,
        r#"id="add-result""#,
        r#"option value="ng/mL""#,
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    assert!(page.body.contains(&format!(
        r#"id="date" name="date" type="date" required max="{}" value="{}""#,
        today(),
        today()
    )));

    let t = today().to_string();
    let a = b
        .post(
            &path,
            &[
                ("test", "ferritin"),
                ("value", "30"),
                ("unit", "ng/mL"),
                ("date", &t),
                ("morning", "yes"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location.unwrap().starts_with(&format!("{path}?done=")));
    // A decimal comma is accepted.
    let a = b
        .post(
            &path,
            &[
                ("test", "tsat"),
                ("value", "15,0"),
                ("unit", "%"),
                ("date", &t),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let older = (today() - Duration::days(200)).to_string();
    let a = b
        .post(
            &path,
            &[
                ("test", "vitamin_d"),
                ("value", "50"),
                ("unit", "nmol/L"),
                ("date", &older),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let r = record_of(&f.web, "bob", id).await;
    assert_eq!(r.labs.len(), 3);
    let tsat = r.labs.iter().find(|l| l.test == "tsat").unwrap();
    assert_eq!((tsat.value, tsat.unit.as_str()), (15.0, "%"));

    // Newest first.
    let list = b.get(&path).await.body;
    let (ferritin_at, vitd_at) = (
        list.find("Ferritin</td>").unwrap(),
        list.find("Vitamin D (25-OH)</td>").unwrap(),
    );
    assert!(ferritin_at < vitd_at, "newest first");

    // The plan now has an iron step.
    b.post(
        &format!("/people/{id}/questionnaire"),
        &[
            ("urge_to_move", "yes"),
            ("worse_at_rest", "yes"),
            ("relieved_by_movement", "yes"),
            ("worse_evening_or_night", "yes"),
            ("not_explained_by_other_condition", "yes"),
            ("days_per_week", "4"),
        ],
    )
    .await;
    let plan = b.get(&format!("/people/{id}/plan")).await;
    assert!(plan.body.contains(r#"data-id="iron."#), "{}", plan.body);

    // A unit the test does not use: 422, the message beside the unit, what was typed kept.
    let bad = b
        .post(
            &path,
            &[
                ("test", "ferritin"),
                ("value", "30"),
                ("unit", "mg/furlong"),
                ("date", &t),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "unit-error").contains("is not a unit for ferritin"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(r#"value="mg/furlong""#));
    assert!(bad.body.contains("unit-hint unit-error"));

    // An absurd value.
    let bad = b
        .post(
            &path,
            &[
                ("test", "tsat"),
                ("value", "150"),
                ("unit", "%"),
                ("date", &t),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "value-error").contains("not a plausible"),
        "{}",
        bad.body
    );

    // Not a number.
    let bad = b
        .post(
            &path,
            &[
                ("test", "tsat"),
                ("value", "lots"),
                ("unit", "%"),
                ("date", &t),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(near(&bad.body, "value-error").contains("not a number"));

    // A future date.
    let tomorrow = (today() + Duration::days(1)).to_string();
    let bad = b
        .post(
            &path,
            &[
                ("test", "ferritin"),
                ("value", "30"),
                ("unit", "ng/mL"),
                ("date", &tomorrow),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "date-error").contains("after today"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(&format!(r#"value="{tomorrow}""#)));

    assert_eq!(
        record_of(&f.web, "bob", id).await.labs.len(),
        3,
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn medicines_are_flagged_from_the_catalogue_and_can_be_stopped() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_up("carol").await;
    let id = b.add_person("Mum").await;
    let path = format!("/people/{id}/medicines");
    let page = b.get(&path).await;
    for needle in [
        r#"id="medicine-name""#,
        r#"list="catalogue""#,
        r#"<datalist id="catalogue""#,
        r#"option value="Zoloft""#,
        r#"option value="pramipexole""#,
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    let t = today().to_string();
    let started = (today() - Duration::days(90)).to_string();
    let a = b
        .post(
            &path,
            &[
                ("name", "Zoloft"),
                ("dose", "50 mg"),
                ("started", &started),
                ("stopped", ""),
                ("outcome", ""),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = b
        .post(
            &path,
            &[
                ("name", "pramipexole"),
                ("dose", "0.25 mg"),
                ("started", &started),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let page = b.get(&path).await.body;
    assert!(page.contains("Can make RLS worse"), "{page}");
    assert!(page.contains("bupropion"), "the safer alternative is shown");
    assert!(page.contains("dopamine agonist"));

    let stop = b
        .post(
            &format!("{path}/stop"),
            &[
                ("name", "pramipexole"),
                ("stopped", &t),
                ("outcome", "side-effects"),
            ],
        )
        .await;
    assert_eq!(stop.status, StatusCode::SEE_OTHER, "{}", stop.body);
    let r = record_of(&f.web, "carol", id).await;
    let prami = r
        .medications
        .iter()
        .find(|m| m.name == "pramipexole")
        .unwrap();
    assert_eq!(prami.stopped.as_deref(), Some(t.as_str()));
    assert_eq!(prami.outcome.as_deref(), Some("side-effects"));
    let zoloft = r.medications.iter().find(|m| m.name == "Zoloft").unwrap();
    assert_eq!(
        (zoloft.started.as_deref(), zoloft.stopped.as_deref()),
        (Some(started.as_str()), None)
    );

    // A stop before the start: refused beside the field.
    let early = (today() - Duration::days(100)).to_string();
    let bad = b
        .post(
            &path,
            &[
                ("name", "ropinirole"),
                ("started", &started),
                ("stopped", &early),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "stopped-error").contains("before the start"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(r#"value="ropinirole""#));
    // No name.
    let bad = b.post(&path, &[("name", " "), ("started", &t)]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r#"id="name-error""#));
}

#[tokio::test]
async fn iron_infusions_and_oral_courses_are_stored_and_listed() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_up("dave").await;
    let id = b.add_person("Me").await;
    let path = format!("/people/{id}/iron");
    let given = (today() - Duration::days(30)).to_string();
    let a = b
        .post(
            &path,
            &[
                ("route", "iv"),
                ("date", &given),
                ("product", "Ferinject"),
                ("dose_mg", "1000"),
                ("response", "improved"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let started = (today() - Duration::days(120)).to_string();
    let stopped = (today() - Duration::days(40)).to_string();
    let a = b
        .post(
            &path,
            &[
                ("route", "oral"),
                ("product", "ferrous sulfate"),
                ("elemental_mg", "65"),
                ("schedule", "alternate-day"),
                ("started", &started),
                ("stopped", &stopped),
                ("outcome", "ineffective"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let r = record_of(&f.web, "dave", id).await;
    assert_eq!(r.iron_treatments.len(), 2);
    let iv = r.iron_treatments.iter().find(|t| t.route == "iv").unwrap();
    assert_eq!(
        (iv.dose_mg, iv.response.as_deref()),
        (Some(1000.0), Some("improved"))
    );
    let oral = r
        .iron_treatments
        .iter()
        .find(|t| t.route == "oral")
        .unwrap();
    assert_eq!(
        (oral.schedule.as_deref(), oral.outcome.as_deref()),
        (Some("alternate-day"), Some("ineffective"))
    );

    let page = b.get(&path).await.body;
    assert!(
        page.contains("Ferinject") && page.contains("1000 mg") && page.contains("every other day"),
        "{page}"
    );

    // An infusion needs its date.
    let bad = b
        .post(
            &path,
            &[("route", "iv"), ("date", ""), ("product", "Monofer")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "iv-date-error").contains("date"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(r#"value="Monofer""#));
    // An absurd dose.
    let bad = b
        .post(
            &path,
            &[("route", "iv"), ("date", &given), ("dose_mg", "90000")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "iv-dose_mg-error").contains("out of range"),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn the_diary_takes_a_night_in_a_few_taps_and_a_second_entry_replaces_it() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_up("erin").await;
    let id = b.add_person("Me").await;
    let path = format!("/people/{id}/diary");
    let page = b.get(&path).await.body;
    assert!(page.contains("How bad was it tonight? 0 none – 10 worst"));
    for n in 0..=10 {
        assert!(page.contains(&format!(r#"id="severity-{n}""#)), "{n}");
    }
    assert!(page.contains(r#"id="save-night""#) && page.contains(r#"id="sleep_hours""#));

    let t = today().to_string();
    let a = b
        .post(
            &path,
            &[
                ("date", &t),
                ("severity", "6"),
                ("body_parts", "legs"),
                ("sleep_hours", "6,5"),
                ("onset_time", "22:15"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location.unwrap().starts_with(&format!("{path}?done=")));
    let a = b.post(&path, &[("date", &t), ("severity", "3")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let yesterday = (today() - Duration::days(1)).to_string();
    let a = b
        .post(&path, &[("date", &yesterday), ("severity", "8")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let r = record_of(&f.web, "erin", id).await;
    assert_eq!(
        r.diary.len(),
        2,
        "the second entry for tonight replaced the first"
    );
    let tonight = r.diary.iter().find(|d| d.date == t).unwrap();
    assert_eq!(tonight.severity, Some(3));
    let page = b.get(&path).await.body;
    assert!(page.contains("3 / 10") && page.contains("8 / 10"));

    let bad = b
        .post(
            &path,
            &[("date", &t), ("severity", "4"), ("sleep_hours", "30")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&bad.body, "sleep_hours-error").contains("out of range"),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains(r#"id="severity-4" name="severity" value="4" required checked"#),
        "the rating is kept"
    );
    let bad = b.post(&path, &[("date", &t)]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r#"id="severity-error""#));
}

#[tokio::test]
async fn a_read_only_share_sees_no_forms_and_cannot_post() {
    let f = fixture().await;
    let mut owner = Browser::new(f.app.clone());
    owner.sign_up("frank").await;
    let id = owner.add_person("Frank").await;
    let t = today().to_string();
    let a = owner
        .post(
            &format!("/people/{id}/results"),
            &[
                ("test", "ferritin"),
                ("value", "40"),
                ("unit", "µg/L"),
                ("date", &t),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = owner
        .post(
            &format!("/people/{id}/medicines"),
            &[("name", "sertraline"), ("started", &t)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    let mut reader = Browser::new(f.app.clone());
    reader.sign_up("grace").await;
    let frank = f.web.store().user_by_name("frank").await.unwrap().unwrap();
    f.web
        .pages()
        .share(
            frank.id,
            PersonId(id),
            "grace",
            Access::Read,
            None,
            Utc::now(),
        )
        .await
        .unwrap();

    for page in ["questionnaire", "results", "medicines", "iron", "diary"] {
        let path = format!("/people/{id}/{page}");
        let seen = reader.get(&path).await;
        assert_eq!(seen.status, StatusCode::OK, "{page}");
        assert!(seen.body.contains("read only"), "{page}");
        assert!(
            !seen.body.contains(&format!(r#"action="/people/{id}/"#)),
            "{page} shows no forms"
        );
        assert!(
            !seen.body.contains(r#"type="submit" id="#) && !seen.body.contains("<button id="),
            "{page}"
        );
        let tried = reader
            .post(
                &path,
                &[
                    ("test", "ferritin"),
                    ("value", "10"),
                    ("unit", "ng/mL"),
                    ("date", &t),
                    ("severity", "5"),
                ],
            )
            .await;
        assert_eq!(tried.status, StatusCode::FORBIDDEN, "{page}");
    }
    let results = reader.get(&format!("/people/{id}/results")).await.body;
    assert!(results.contains("40 µg/L"), "the data is shown");
    let stop = reader
        .post(
            &format!("/people/{id}/medicines/stop"),
            &[("name", "sertraline"), ("stopped", &t)],
        )
        .await;
    assert_eq!(stop.status, StatusCode::FORBIDDEN);
    assert_eq!(record_of(&f.web, "frank", id).await.labs.len(), 1);

    // Someone the journal is not shared with: not found.
    let mut stranger = Browser::new(f.app.clone());
    stranger.sign_up("heidi").await;
    assert_eq!(
        stranger.get(&format!("/people/{id}/results")).await.status,
        StatusCode::NOT_FOUND
    );
    let tried = stranger
        .post(&format!("/people/{id}/diary"), &[("severity", "5")])
        .await;
    assert_eq!(tried.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_condition_from_the_catalogue_changes_the_plan_until_it_no_longer_applies() {
    let f = fixture().await;
    let mut b = Browser::new(f.app.clone());
    b.sign_up("cleo").await;
    let id = b.add_person("Me").await;
    let path = format!("/people/{id}/conditions");
    // RLS diagnosed by a clinician is a condition too.
    let a = b.post(&path, &[("name", "restless-legs-syndrome")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let t = today().to_string();
    for (test, value, unit) in [("ferritin", "30", "ng/mL"), ("tsat", "15", "%")] {
        let a = b
            .post(
                &format!("/people/{id}/results"),
                &[
                    ("test", test),
                    ("value", value),
                    ("unit", unit),
                    ("date", &t),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    let plan = b.get(&format!("/people/{id}/plan")).await;
    let gives_iron =
        |body: &str| body.contains(r#"data-id="iron.iv"#) || body.contains(r#"data-id="iron.oral"#);
    assert!(gives_iron(&plan.body), "low ferritin: iron");

    let path = format!("/people/{id}/conditions");
    let page = b.get(&path).await;
    assert!(page.body.contains(r#"<datalist id="condition-catalogue""#));
    assert!(page.body.contains(r#"option value="hemochromatosis""#));
    let a = b.post(&path, &[("name", "")]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        near(&a.body, "condition-error").contains("name:"),
        "{}",
        a.body
    );
    let a = b.post(&path, &[("name", "hemochromatosis")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        record_of(&f.web, "cleo", id).await.conditions,
        ["restless-legs-syndrome", "hemochromatosis"]
    );
    let plan = b.get(&format!("/people/{id}/plan")).await;
    assert!(!gives_iron(&plan.body), "no iron with haemochromatosis");
    assert!(plan.body.contains(r#"data-id="warn.iron-overload""#));

    let a = b
        .post(&format!("{path}/resolve"), &[("name", "hemochromatosis")])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        record_of(&f.web, "cleo", id).await.conditions,
        ["restless-legs-syndrome"]
    );
    let plan = b.get(&format!("/people/{id}/plan")).await;
    assert!(gives_iron(&plan.body));
}
