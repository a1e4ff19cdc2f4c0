//! What a security review found, each kept fixed: far-future expiries that
//! the database could not read back, an open redirect after sign-in, look-alike
//! user names, common passwords, parallel guesses past the per-name limit,
//! unbounded free text and imports, calendar links that outlived their share,
//! and sessions that survived a password change. On SQLite and PostgreSQL.

mod common;

use serde_json::json;
use willis_web::pages::account::safe_next;

use common::*;

both!(
    far_future_expiries_are_refused_and_nothing_breaks,
    user_names_are_one_account_whatever_their_case,
    common_passwords_are_refused,
    parallel_wrong_passwords_cannot_pass_the_per_name_limit,
    free_text_is_bounded,
    an_import_is_bounded,
    a_password_change_ends_the_other_sessions,
);

#[test]
fn after_sign_in_only_paths_of_this_app_are_followed() {
    for bad in [
        "//evil.com",
        "/\\evil.com",
        "/\t/evil.com/phish",
        "/%09/x",
        "https://evil.com",
        "/\r\nSet-Cookie: x=1",
        "/ /evil.com",
        "evil.com",
        "",
    ] {
        let next = safe_next(Some(bad));
        assert!(
            next == "/people" || (bad == "/%09/x" && next == "/%09/x"),
            "{bad:?} -> {next:?}"
        );
    }
    assert_eq!(
        safe_next(Some("/people/3/plan?as_of=2026-01-01")),
        "/people/3/plan?as_of=2026-01-01"
    );
    assert_eq!(safe_next(None), "/people");
}

async fn far_future_expiries_are_refused_and_nothing_breaks(b: Backend) {
    let (app, _g) = web(b).await;
    let ana = signup(&app, "ana").await;
    signup(&app, "ben").await;
    let me = person(&app, &ana, "Me").await;
    for when in ["+262142-01-01T00:00:00Z", "9999-12-31T00:00:00Z"] {
        let a = post(
            &app,
            &format!("/api/v1/people/{me}/shares"),
            Some(&ana),
            json!({"username": "ben", "access": "read", "expires_at": when}),
        )
        .await;
        expect(&a, 422);
        assert!(a.error().starts_with("expires_at:"), "{}", a.error());
        let a = post(
            &app,
            "/api/v1/tokens",
            Some(&ana),
            json!({"label": "x", "expires_at": when}),
        )
        .await;
        expect(&a, 422);
        assert!(a.error().starts_with("expires_at:"), "{}", a.error());
    }
    // Nine years ahead is fine, and everything still reads.
    let nine = (chrono::Utc::now() + chrono::Duration::days(9 * 365)).to_rfc3339();
    let a = post(
        &app,
        &format!("/api/v1/people/{me}/shares"),
        Some(&ana),
        json!({"username": "ben", "access": "read", "expires_at": nine}),
    )
    .await;
    expect(&a, 201);
    expect(
        &get(&app, &format!("/api/v1/people/{me}/audit"), Some(&ana)).await,
        200,
    );
    expect(&get(&app, "/api/v1/tokens", Some(&ana)).await, 200);
}

async fn user_names_are_one_account_whatever_their_case(b: Backend) {
    let (app, _g) = web(b).await;
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": " Ana ", "password": PASSWORD}),
    )
    .await;
    expect(&a, 201);
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "ana", "password": PASSWORD}),
    )
    .await;
    expect(&a, 409);
    let a = post(
        &app,
        "/api/v1/signup",
        None,
        json!({"username": "\u{430}na", "password": PASSWORD}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("username:"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "ANA", "password": PASSWORD}),
    )
    .await;
    expect(&a, 200);
    // Shares find the grantee whatever the case typed.
    let ben = signup(&app, "ben").await;
    let p = person(&app, &ben, "Ben").await;
    share(&app, &ben, p, "ANA", "read").await;
}

async fn common_passwords_are_refused(b: Backend) {
    let (app, _g) = web(b).await;
    for weak in [
        "password1234",
        "            ",
        "aaaaaaaaaaaaaaaa",
        "123456789012",
    ] {
        let a = post(
            &app,
            "/api/v1/signup",
            None,
            json!({"username": "cleo", "password": weak}),
        )
        .await;
        expect(&a, 422);
        assert!(
            a.error().starts_with("password:"),
            "{weak:?}: {}",
            a.error()
        );
    }
}

async fn parallel_wrong_passwords_cannot_pass_the_per_name_limit(b: Backend) {
    let (app, _g) = web(b).await;
    signup(&app, "dora").await;
    let tries = (0..(willis_web::security::FAILURES_PER_USER * 3)).map(|i| {
        let app = app.clone();
        async move {
            post(
                &app,
                "/api/v1/login",
                None,
                json!({"username": "dora", "password": format!("wrong guess number {i}")}),
            )
            .await
            .status
            .as_u16()
        }
    });
    let answers = futures_join(tries).await;
    let checked = answers.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= willis_web::security::FAILURES_PER_USER as usize,
        "{checked} guesses were checked: {answers:?}"
    );
    assert!(answers.contains(&429));
}

async fn futures_join<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

async fn free_text_is_bounded(b: Backend) {
    let (app, _g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let a = post(
        &app,
        "/api/v1/people",
        Some(&ana),
        json!({"name": "x".repeat(101)}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("name:"), "{}", a.error());
    let a = post(
        &app,
        "/api/v1/people",
        Some(&ana),
        json!({"name": "Ana\u{202e}gnp.exe"}),
    )
    .await;
    expect(&a, 422);
    let a = post(
        &app,
        "/api/v1/people",
        Some(&ana),
        json!({"name": "nul\u{0}"}),
    )
    .await;
    expect(&a, 422);
    let me = person(&app, &ana, "Me").await;
    let a = post(
        &app,
        &format!("/api/v1/people/{me}/medications"),
        Some(&ana),
        json!({"name": "gabapentin", "dose": "1".repeat(121)}),
    )
    .await;
    expect(&a, 422);
    assert!(a.error().starts_with("dose:"), "{}", a.error());
    let a = post(
        &app,
        &format!("/api/v1/people/{me}/conditions"),
        Some(&ana),
        json!("c".repeat(121)),
    )
    .await;
    expect(&a, 422);
}

async fn an_import_is_bounded(b: Backend) {
    let (app, _g) = web(b).await;
    let ana = signup(&app, "ana").await;
    let people: Vec<_> = (1..=101)
        .map(|i| json!({"id": i, "owner_id": 1, "display_name": format!("P{i}"), "created_at": "2026-01-01T00:00:00Z"}))
        .collect();
    let backup = json!({
        "format": willis_store::BACKUP_FORMAT,
        "users": [], "people": people, "entries": [], "shares": [], "audit": []
    });
    let a = post(&app, "/api/v1/import", Some(&ana), backup).await;
    expect(&a, 422);
    assert!(a.error().contains("at most 100 people"), "{}", a.error());
    let listed = get(&app, "/api/v1/people", Some(&ana)).await;
    assert_eq!(
        listed.json().as_array().unwrap().len(),
        0,
        "nothing was added"
    );
}

async fn a_password_change_ends_the_other_sessions(b: Backend) {
    let (app, g) = web(b).await;
    let api = signup(&app, "ana").await;
    let one = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    let two = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    let body = format!(
        "_csrf={}&current={}&new={}",
        encode(&one.csrf),
        encode("not my password at all"),
        encode("a brand new pass phrase")
    );
    let wrong = send(&app, form("/account/password", Some(&one.cookie), &body)).await;
    expect(&wrong, 422);
    assert!(wrong.text().contains("current password is wrong"));
    let body = format!(
        "_csrf={}&current={}&new={}",
        encode(&one.csrf),
        encode(PASSWORD),
        encode("a brand new pass phrase")
    );
    let changed = send(&app, form("/account/password", Some(&one.cookie), &body)).await;
    expect(&changed, 303);
    // This session goes on; the other one and the API token are over.
    expect(&send(&app, page("/account", Some(&one.cookie))).await, 200);
    expect(&send(&app, page("/account", Some(&two.cookie))).await, 303);
    expect(&get(&app, "/api/v1/people", Some(&api)).await, 401);
    let a = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "ana", "password": "a brand new pass phrase"}),
    )
    .await;
    expect(&a, 200);
}
