//! Sharing: who may see a journal (the owner grants and revokes) and who
//! read or changed it (the audit log, owner only).

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use willis_app::{AppError, Authorized};
use willis_store::{Access, PersonId, Share, ShareId, Store, UserId};

use super::{done, field_of};
use crate::auth::{Caller, PageCaller};
use crate::error::ApiError;
use crate::pages::plan::about;
use crate::pages::{csrf, field_error, layout, notice, page, About, PageError, PageResult};
use crate::Web;

/// The most audit rows a page shows.
const AUDIT_ROWS: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    access: String,
    #[serde(default)]
    expires: String,
}

/// User names by id, looked up once each.
struct Names<'a> {
    web: &'a Web,
    known: HashMap<UserId, String>,
}

impl Names<'_> {
    async fn of(&mut self, id: UserId) -> Result<String, PageError> {
        if let Some(n) = self.known.get(&id) {
            return Ok(n.clone());
        }
        let name = self
            .web
            .store()
            .user(id)
            .await
            .map_err(|e| ApiError::internal("sharing", &e))?
            .map(|u| u.name)
            .unwrap_or_else(|| format!("user #{id}"));
        self.known.insert(id, name.clone());
        Ok(name)
    }
}

fn share_state(s: &Share, now: DateTime<Utc>) -> &'static str {
    if s.revoked_at.is_some() {
        "revoked"
    } else if s.active_at(now) {
        "active"
    } else {
        "expired"
    }
}

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    render(
        &web,
        &c,
        &who,
        q.done.as_deref(),
        &GrantForm::default(),
        None,
    )
    .await
}

async fn render(
    web: &Web,
    c: &Caller,
    who: &Authorized,
    done: Option<&str>,
    form: &GrantForm,
    error: Option<&str>,
) -> PageResult {
    let now = Utc::now();
    let owner = who.person.owner_id == c.user.id;
    let mut names = Names {
        web,
        known: HashMap::new(),
    };
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let title = format!("Sharing {}'s journal", who.person.display_name);
    if !owner {
        let owner_name = names.of(who.person.owner_id).await?;
        return Ok(page(layout(
            &title,
            Some(c),
            Some(&about),
            html! {
                h1 { "Sharing" }
                p #shared-by { strong { (owner_name) } " shared " (who.person.display_name) "'s journal with you." }
                p #your-access { "You have " strong { (who.access.as_str()) } " access"
                    @if who.access == Access::Read { ": you can see the plan, the results and the history, but not change them" }
                    "." }
                p { "Only " (owner_name) " can share it with others or end your access." }
            },
        )));
    }
    let shares = web
        .store()
        .shares(who.person.id)
        .await
        .map_err(|e| ApiError::internal("sharing", &e))?;
    let mut rows = Vec::new();
    for s in shares.iter().rev() {
        rows.push((s, names.of(s.grantee_id).await?));
    }
    let mut audit = web.pages().audit_log(c.user.id, who.person.id, now).await?;
    let total = audit.len();
    audit.reverse();
    audit.truncate(AUDIT_ROWS);
    let mut log = Vec::new();
    for a in &audit {
        let name = match a.user_id {
            Some(u) => names.of(u).await?,
            None => "—".to_string(),
        };
        log.push((a, name));
    }
    let id = who.person.id.0;
    let field = error.and_then(|m| field_of(m, &["username", "access", "expires"]));
    let error_at = |f: &str| error.filter(|_| field == Some(f));
    Ok(page(layout(
        &title,
        Some(c),
        Some(&about),
        html! {
            h1 { "Sharing" }
            (notice(done))
            p { "Give another Willis user access to " (who.person.display_name) "'s journal: "
                "read to see the plan and results, write to also enter facts. You can end it at any time." }
            h2 { "Shared with" }
            @if rows.is_empty() {
                p #no-shares { "Nobody else can see this journal." }
            } @else {
                div.table-wrap {
                    table #shares {
                        thead { tr { th scope="col" { "User" } th scope="col" { "Access" } th scope="col" { "Until" } th scope="col" { "State" } th scope="col" { span.visually-hidden { "Action" } } } }
                        tbody {
                            @for (s, name) in &rows {
                                tr {
                                    td { (name) }
                                    td { (s.access.as_str()) }
                                    td { (s.expires_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "no end".into())) }
                                    td { (share_state(s, now)) }
                                    td { @if s.active_at(now) {
                                        form.inline method="post" action=(format!("/people/{id}/sharing/{}/revoke", s.id.0)) {
                                            (csrf(c))
                                            button.danger type="submit" aria-label=(format!("Revoke {name}'s access")) { "Revoke" }
                                        }
                                    } }
                                }
                            }
                        }
                    }
                }
            }
            h2 #grant-title { "Share" }
            @if let (Some(m), None) = (error, field) { p.error role="alert" { (m) } }
            form.card method="post" action=(format!("/people/{id}/sharing")) aria-labelledby="grant-title" {
                (csrf(c))
                label for="share-username" { "Their user name" }
                input #share-username name="username" required autocomplete="off" value=(form.username)
                    aria-describedby=[error_at("username").map(|_| "share-username-error")];
                (field_error("share-username", error_at("username")))
                label for="share-access" { "Access" }
                select #share-access name="access" aria-describedby=[error_at("access").map(|_| "share-access-error")] {
                    option value="read" selected[form.access != "write"] { "read — see only" }
                    option value="write" selected[form.access == "write"] { "write — see and enter facts" }
                }
                (field_error("share-access", error_at("access")))
                label for="share-expires" { "Until (optional)" }
                p.hint #share-expires-hint { "Access ends at the end of this day (UTC). Leave empty for no end." }
                input #share-expires type="date" name="expires" value=(form.expires) min=(web.today())
                    aria-describedby=(if error_at("expires").is_some() { "share-expires-hint share-expires-error" } else { "share-expires-hint" });
                (field_error("share-expires", error_at("expires")))
                button #grant type="submit" { "Share" }
            }
            h2 #audit-title { "Who read or changed this journal" }
            @if total > AUDIT_ROWS { p.hint { "The newest " (AUDIT_ROWS) " of " (total) " events." } }
            (audit_table(&log))
        },
    )))
}

fn audit_table(log: &[(&willis_store::AuditRow, String)]) -> Markup {
    html! {
        div.table-wrap {
            table #audit {
                caption.visually-hidden { "Audit log, newest first" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "From" } } }
                tbody {
                    @for (a, name) in log {
                        tr {
                            td { time datetime=(a.at.to_rfc3339()) { (a.at.format("%Y-%m-%d %H:%M:%S UTC")) } }
                            td { (name) }
                            td { (a.action) @if !a.detail.is_empty() { ": " (a.detail) } }
                            td { (a.origin) }
                        }
                    }
                }
            }
        }
    }
}

/// The end of `date` (UTC): the start of the next day.
fn end_of(date: NaiveDate) -> DateTime<Utc> {
    (date + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

pub async fn grant(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    if who.person.owner_id != c.user.id {
        return Err(AppError::Forbidden("only the owner may share this journal".into()).into());
    }
    let parsed = (|| -> Result<(Access, Option<DateTime<Utc>>), String> {
        let access = crate::api::parse_access(f.access.trim()).map_err(|e| e.message)?;
        let expires = match f.expires.trim() {
            "" => None,
            text => Some(end_of(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| format!("expires: {text:?} is not a date; use YYYY-MM-DD"))?,
            )),
        };
        if f.username.trim().is_empty() {
            return Err("username: enter the user name of the person to share with".into());
        }
        Ok((access, expires))
    })();
    let result = match parsed {
        Ok((access, expires)) => web
            .pages()
            .share(
                c.user.id,
                PersonId(id),
                &crate::auth::normalize_username(&f.username),
                access,
                expires,
                Utc::now(),
            )
            .await
            .map(|_| access)
            .map_err(|e| match e {
                AppError::NotFound(m) if m.starts_with("no user") => Ok(format!("username: {m}")),
                AppError::Invalid(m) => Ok(m.replacen("expires_at:", "expires:", 1)),
                AppError::Store(willis_store::StoreError::NameTaken { .. }) => {
                    Ok("username: this user already has access".to_string())
                }
                other => Err(other),
            }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(access) => Ok(done(
            &format!("/people/{id}/sharing"),
            &format!(
                "Shared with {} ({} access).",
                f.username.trim(),
                access.as_str()
            ),
        )),
        Err(Ok(message)) => {
            let mut r = render(&web, &c, &who, None, &f, Some(&message)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(Err(other)) => Err(other.into()),
    }
}

pub async fn revoke(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path((id, share)): Path<(i64, i64)>,
) -> PageResult {
    web.pages()
        .revoke(c.user.id, PersonId(id), ShareId(share), Utc::now())
        .await?;
    Ok(done(&format!("/people/{id}/sharing"), "Access ended."))
}
