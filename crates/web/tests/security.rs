//! The server's defences, from outside: security headers, cookie flags,
//! CSRF and origin checks, body limits, rate limits, and how passwords and
//! session secrets are stored; on SQLite and PostgreSQL.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request};
use serde_json::json;
use sqlx::{Connection, Row};
use willis_store::Store;
use willis_web::security::{ATTEMPTS_PER_CLIENT, FAILURES_PER_USER, PRE_SESSION_COOKIE};
use willis_web::Config;

use common::*;

both!(
    security_headers_on_pages_and_api,
    session_cookie_flags,
    session_cookie_over_tls,
    csrf_on_forms,
    csrf_and_origin_on_api_calls_with_the_session,
    sign_in_form_needs_its_pre_session_token,
    body_limits,
    login_failures_per_name_are_limited,
    login_attempts_per_client_are_limited,
    sign_in_page_is_limited_too,
    passwords_and_secrets_are_stored_hashed,
    sign_out_ends_the_session,
);

async fn security_headers_on_pages_and_api(b: Backend) {
    let (app, _g) = web(b).await;
    let token = signup(&app, "ana").await;
    let answers = [
        send(&app, page("/signin", None)).await,
        send(&app, page("/", None)).await,
        get(&app, "/api/v1/people", Some(&token)).await,
        get(&app, "/api/v1/people", None).await,
        get(&app, "/no/such/page", None).await,
    ];
    for a in &answers {
        let csp = a.header("content-security-policy").expect("a CSP");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(a.header("x-frame-options"), Some("DENY"));
        assert_eq!(a.header("cache-control"), Some("no-store"));
        assert_eq!(a.header("referrer-policy"), Some("same-origin"));
        assert!(
            a.header("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    // The pages carry no inline script or style.
    let html = answers[0].text();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("style="), "{html}");

    let (app, _g) = web_with(
        b,
        Config {
            public_url: Some("https://willis.example".into()),
            ..Config::default()
        },
    )
    .await;
    let a = send(&app, page("/signin", None)).await;
    assert!(a
        .header("strict-transport-security")
        .unwrap()
        .contains("max-age="));
}

fn flags(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .map(|p| p.trim().to_ascii_lowercase())
        .collect()
}

async fn session_cookie_flags(b: Backend) {
    let (app, g) = web(b).await;
    // The pre-session cookie of the sign-in form.
    let a = send(&app, page("/signin", None)).await;
    let pre = a
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with(PRE_SESSION_COOKIE))
        .unwrap();
    let f = flags(&pre);
    assert!(
        f.contains(&"httponly".into()) && f.contains(&"samesite=lax".into()),
        "{pre}"
    );

    signup(&app, "ana").await;
    let form_page = send(&app, page("/signin", None)).await;
    let token = hidden_value(&form_page.text(), "_csrf").unwrap();
    let body = format!("_csrf={token}&username=ana&password={}", encode(PASSWORD));
    let a = send(
        &app,
        form(
            "/signin",
            Some(&format!("{PRE_SESSION_COOKIE}={token}")),
            &body,
        ),
    )
    .await;
    expect(&a, 303);
    let session = a
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("willis_session="))
        .expect("a session cookie");
    let f = flags(&session);
    assert!(f.contains(&"httponly".into()), "{session}");
    assert!(f.contains(&"samesite=lax".into()), "{session}");
    assert!(f.contains(&"path=/".into()), "{session}");
    assert!(!f.contains(&"secure".into()), "plain HTTP: {session}");
    assert_eq!(g.web.session_cookie(), "willis_session");
}

async fn session_cookie_over_tls(b: Backend) {
    let (app, g) = web_with(
        b,
        Config {
            public_url: Some("https://willis.example/".into()),
            ..Config::default()
        },
    )
    .await;
    signup(&app, "ana").await;
    let form_page = send(&app, page("/signin", None)).await;
    let token = hidden_value(&form_page.text(), "_csrf").unwrap();
    // Over TLS the pre-session cookie is __Host- prefixed too, so a sibling
    // site cannot plant one.
    assert_eq!(
        cookie_value(&form_page.set_cookies(), "__Host-willis_csrf").as_deref(),
        Some(token.as_str())
    );
    let body = format!("_csrf={token}&username=ana&password={}", encode(PASSWORD));
    let mut request = form(
        "/signin",
        Some(&format!("__Host-willis_csrf={token}")),
        &body,
    );
    request
        .headers_mut()
        .insert(header::ORIGIN, "https://willis.example".parse().unwrap());
    let a = send(&app, request).await;
    expect(&a, 303);
    let session = a
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-willis_session="))
        .unwrap_or_else(|| panic!("a __Host- cookie: {:?}", a.set_cookies()));
    let f = flags(&session);
    assert!(f.contains(&"secure".into()), "{session}");
    assert!(f.contains(&"httponly".into()), "{session}");
    assert!(f.contains(&"samesite=lax".into()), "{session}");
    assert!(
        f.contains(&"path=/".into()),
        "__Host- needs Path=/: {session}"
    );
    assert!(
        !f.iter().any(|p| p.starts_with("domain=")),
        "__Host- forbids Domain: {session}"
    );
    // The session works under its prefixed name.
    let s = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    assert!(s.cookie.starts_with("__Host-willis_session="));
    expect(&send(&app, page("/people", Some(&s.cookie))).await, 200);
    // The unprefixed name is not accepted.
    let plain = format!("willis_session={}", s.secret);
    expect(&send(&app, page("/people", Some(&plain))).await, 303);
}

async fn csrf_on_forms(b: Backend) {
    let (app, g) = web(b).await;
    signup(&app, "ana").await;
    let s = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    let cookie = Some(s.cookie.as_str());

    let a = send(&app, form("/people", cookie, "name=Me")).await;
    expect(&a, 403);
    let a = send(&app, form("/people", cookie, "name=Me&_csrf=wrong")).await;
    expect(&a, 403);
    let other = willis_web::auth::new_secret();
    let a = send(
        &app,
        form("/people", cookie, &format!("name=Me&_csrf={other}")),
    )
    .await;
    expect(&a, 403);
    // The right token, but from another site.
    let mut r = form(
        "/people",
        cookie,
        &format!("name=Me&_csrf={}", encode(&s.csrf)),
    );
    r.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    expect(&send(&app, r).await, 403);
    // Nothing was added.
    let people = send(&app, page("/people", cookie)).await;
    assert!(
        !people.text().contains("/people/1/plan"),
        "{}",
        people.text()
    );

    // The right token works, with or without the app's own Origin.
    let a = send(
        &app,
        form(
            "/people",
            cookie,
            &format!("name=Me&_csrf={}", encode(&s.csrf)),
        ),
    )
    .await;
    expect(&a, 303);
    let mut r = form(
        "/people",
        cookie,
        &format!("name=Dad&_csrf={}", encode(&s.csrf)),
    );
    r.headers_mut()
        .insert(header::HOST, "willis.test".parse().unwrap());
    r.headers_mut()
        .insert(header::ORIGIN, "http://willis.test".parse().unwrap());
    expect(&send(&app, r).await, 303);
    // The token in a header (scripts) or the query (file uploads).
    let mut r = form("/people", cookie, "name=Mum");
    r.headers_mut()
        .insert("x-csrf-token", s.csrf.parse().unwrap());
    expect(&send(&app, r).await, 303);
    let r = form(
        &format!("/people?_csrf={}", encode(&s.csrf)),
        cookie,
        "name=Kid",
    );
    expect(&send(&app, r).await, 303);
    // Signing out is a POST with the token too.
    expect(&send(&app, form("/signout", cookie, "")).await, 403);
}

async fn csrf_and_origin_on_api_calls_with_the_session(b: Backend) {
    let (app, g) = web(b).await;
    let token = signup(&app, "ana").await;
    let s = browser_signin(&app, &g.web, "ana", PASSWORD).await;

    // The session cookie on an API call needs the CSRF header.
    let r = || {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/people")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &s.cookie)
    };
    let a = send(&app, r().body(Body::from(r#"{"name":"Me"}"#)).unwrap()).await;
    expect(&a, 403);
    let a = send(
        &app,
        r().header("x-csrf-token", "nope")
            .body(Body::from(r#"{"name":"Me"}"#))
            .unwrap(),
    )
    .await;
    expect(&a, 403);
    let a = send(
        &app,
        r().header("x-csrf-token", &s.csrf)
            .body(Body::from(r#"{"name":"Me"}"#))
            .unwrap(),
    )
    .await;
    expect(&a, 201);
    let a = send(
        &app,
        r().header("x-csrf-token", &s.csrf)
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::from(r#"{"name":"Dad"}"#))
            .unwrap(),
    )
    .await;
    expect(&a, 403);

    // A bearer call carries no ambient authority: no CSRF token needed, and
    // the Origin does not matter.
    let mut r = request(
        Method::POST,
        "/api/v1/people",
        Some(&token),
        r#"{"name":"Mum"}"#,
    );
    r.headers_mut()
        .insert(header::ORIGIN, "https://elsewhere.example".parse().unwrap());
    expect(&send(&app, r).await, 201);
    expect(
        &post(&app, "/api/v1/people", Some(&token), json!({"name": "Kid"})).await,
        201,
    );
}

async fn sign_in_form_needs_its_pre_session_token(b: Backend) {
    let (app, _g) = web(b).await;
    signup(&app, "ana").await;
    let body = format!("username=ana&password={}", encode(PASSWORD));
    // No token, no cookie.
    expect(&send(&app, form("/signin", None, &body)).await, 403);
    // A token without its cookie, and a cookie with another token.
    let t = willis_web::auth::new_secret();
    expect(
        &send(&app, form("/signin", None, &format!("_csrf={t}&{body}"))).await,
        403,
    );
    let cookie = format!("{PRE_SESSION_COOKIE}={}", willis_web::auth::new_secret());
    expect(
        &send(
            &app,
            form("/signin", Some(&cookie), &format!("_csrf={t}&{body}")),
        )
        .await,
        403,
    );
    // Same for sign-up.
    expect(
        &send(
            &app,
            form("/signup", None, "username=bo&password=xxxxxxxxxxxxxxxx"),
        )
        .await,
        403,
    );
    // The double-submit pair works.
    let cookie = format!("{PRE_SESSION_COOKIE}={t}");
    expect(
        &send(
            &app,
            form("/signin", Some(&cookie), &format!("_csrf={t}&{body}")),
        )
        .await,
        303,
    );
}

async fn body_limits(b: Backend) {
    let (app, g) = web(b).await;
    let token = signup(&app, "ana").await;
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(300 * 1024));
    let a = send(
        &app,
        request(Method::POST, "/api/v1/people", Some(&token), big.clone()),
    )
    .await;
    expect(&a, 413);
    let a = send(
        &app,
        request(Method::POST, "/api/v1/signup", None, big.clone()),
    )
    .await;
    expect(&a, 413);
    let a = send(
        &app,
        request(Method::POST, "/api/v1/login", None, big.clone()),
    )
    .await;
    expect(&a, 413);
    let a = send(
        &app,
        request(Method::POST, "/api/v1/assess", None, big.clone()),
    )
    .await;
    expect(&a, 413);
    // A form over the limit, with the session.
    let s = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    let body = format!("_csrf={}&name={}", encode(&s.csrf), "x".repeat(300 * 1024));
    let a = send(&app, form("/people", Some(&s.cookie), &body)).await;
    expect(&a, 413);
    // A large pre-session form (without its cookie it is refused first).
    let a = send(&app, form("/signin", None, &"a".repeat(300 * 1024))).await;
    expect(&a, 403);
    let t = willis_web::auth::new_secret();
    let cookie = format!("{PRE_SESSION_COOKIE}={t}");
    let a = send(
        &app,
        form("/signin", Some(&cookie), &"a".repeat(300 * 1024)),
    )
    .await;
    expect(&a, 413);

    // An import may be far larger (up to 16 MiB): a backup padded to 2 MiB.
    let backup = get(&app, "/api/v1/export", Some(&token)).await.json();
    let mut text = backup.to_string();
    text.push_str(&" ".repeat(2 * 1024 * 1024));
    let a = send(
        &app,
        request(Method::POST, "/api/v1/import", Some(&token), text),
    )
    .await;
    expect(&a, 201);
    let mut text = backup.to_string();
    text.push_str(&" ".repeat(willis_web::IMPORT_LIMIT + 1));
    let a = send(
        &app,
        request(Method::POST, "/api/v1/import", Some(&token), text),
    )
    .await;
    expect(&a, 413);
}

fn from(ip: [u8; 4], mut r: Request<Body>) -> Request<Body> {
    r.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 50000))));
    r
}

fn login_body(name: &str, password: &str) -> String {
    json!({"username": name, "password": password}).to_string()
}

async fn login_failures_per_name_are_limited(b: Backend) {
    let (app, _g) = web(b).await;
    signup(&app, "ana").await;
    // Failures from several addresses count against the name.
    for i in 0..FAILURES_PER_USER {
        let r = request(
            Method::POST,
            "/api/v1/login",
            None,
            login_body("ana", "wrong password!"),
        );
        let a = send(&app, from([10, 0, 0, i as u8], r)).await;
        expect(&a, 401);
    }
    let r = request(
        Method::POST,
        "/api/v1/login",
        None,
        login_body("ana", "wrong password!"),
    );
    let a = send(&app, from([10, 0, 1, 1], r)).await;
    expect(&a, 429);
    let wait: u64 = a
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(wait > 0);
    // Even the right password waits now (the name is locked, not the address).
    let r = request(
        Method::POST,
        "/api/v1/login",
        None,
        login_body("ana", PASSWORD),
    );
    let a = send(&app, from([10, 0, 1, 2], r)).await;
    expect(&a, 429);
    assert!(a.header("retry-after").is_some());
    // Another name is not locked.
    let a = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "bo", "password": PASSWORD}),
    )
    .await;
    expect(&a, 401);
    // Names differing only in case share the count.
    let a = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "ANA", "password": PASSWORD}),
    )
    .await;
    expect(&a, 429);
}

async fn login_attempts_per_client_are_limited(b: Backend) {
    let (app, _g) = web(b).await;
    for i in 0..ATTEMPTS_PER_CLIENT {
        let r = request(
            Method::POST,
            "/api/v1/login",
            None,
            login_body(&format!("user{i}"), "wrong password!"),
        );
        let a = send(&app, from([192, 0, 2, 1], r)).await;
        expect(&a, 401);
    }
    let r = request(
        Method::POST,
        "/api/v1/login",
        None,
        login_body("someone", "wrong password!"),
    );
    let a = send(&app, from([192, 0, 2, 1], r)).await;
    expect(&a, 429);
    let wait: u64 = a
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    a.error();
    // Another address is not limited.
    let r = request(
        Method::POST,
        "/api/v1/login",
        None,
        login_body("someone", "wrong password!"),
    );
    expect(&send(&app, from([192, 0, 2, 2], r)).await, 401);
    // Sign-ups from the limited address are counted apart from logins.
    let r = request(
        Method::POST,
        "/api/v1/signup",
        None,
        login_body("newcomer", PASSWORD),
    );
    expect(&send(&app, from([192, 0, 2, 1], r)).await, 201);
}

async fn sign_in_page_is_limited_too(b: Backend) {
    let (app, _g) = web(b).await;
    signup(&app, "ana").await;
    let t = willis_web::auth::new_secret();
    let cookie = format!("{PRE_SESSION_COOKIE}={t}");
    let body = format!("_csrf={t}&username=ana&password=wrong+password%21");
    for _ in 0..FAILURES_PER_USER {
        let a = send(&app, form("/signin", Some(&cookie), &body)).await;
        expect(&a, 401);
        // One message for a wrong name or password.
        assert!(
            a.text().contains("user name or password is wrong"),
            "{}",
            a.text()
        );
    }
    let a = send(&app, form("/signin", Some(&cookie), &body)).await;
    expect(&a, 429);
    assert!(a.header("retry-after").is_some());
    // The API login sees the same lock.
    let a = post(
        &app,
        "/api/v1/login",
        None,
        json!({"username": "ana", "password": PASSWORD}),
    )
    .await;
    expect(&a, 429);
}

async fn passwords_and_secrets_are_stored_hashed(b: Backend) {
    let (app, g) = web(b).await;
    let api_token = signup(&app, "ana").await;
    let user = g.web.store().user_by_name("ana").await.unwrap().unwrap();
    let hash = user.password_hash.expect("a password hash");
    assert!(hash.expose().starts_with("$argon2id$"), "{}", hash.expose());
    assert!(!hash.expose().contains(PASSWORD));

    let s = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    for secret in [&s.secret, &api_token] {
        assert!(g.web.store().token_by_hash(secret).await.unwrap().is_none());
        let stored = g
            .web
            .store()
            .token_by_hash(&willis_web::auth::digest(secret))
            .await
            .unwrap()
            .expect("the digest is stored");
        assert_eq!(stored.user_id, user.id);
    }
    // Nowhere in the tokens table.
    let rows: Vec<String> = match b {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&g.url).await.unwrap();
            sqlx::query("SELECT hash, COALESCE(csrf, ''), label FROM tokens")
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .flat_map(|r| (0..3).map(|i| r.get::<String, _>(i)).collect::<Vec<_>>())
                .collect()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&g.url).await.unwrap();
            sqlx::query("SELECT hash, COALESCE(csrf, ''), label FROM tokens")
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .flat_map(|r| (0..3).map(|i| r.get::<String, _>(i)).collect::<Vec<_>>())
                .collect()
        }
    };
    assert!(rows.len() >= 6, "{rows:?}");
    for secret in [&s.secret, &api_token] {
        assert!(
            rows.iter().all(|v| !v.contains(secret.as_str())),
            "a secret is stored in the clear"
        );
    }
}

async fn sign_out_ends_the_session(b: Backend) {
    let (app, g) = web(b).await;
    signup(&app, "ana").await;
    let s = browser_signin(&app, &g.web, "ana", PASSWORD).await;
    let a = send(
        &app,
        form(
            "/signout",
            Some(&s.cookie),
            &format!("_csrf={}", encode(&s.csrf)),
        ),
    )
    .await;
    expect(&a, 303);
    let cleared = a
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("willis_session="))
        .unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let a = send(&app, page("/people", Some(&s.cookie))).await;
    expect(&a, 303);
    assert!(a.header("location").unwrap().starts_with("/signin"));
    // The session secret is no bearer token any more either.
    expect(&get(&app, "/api/v1/people", Some(&s.secret)).await, 401);
}
