//! `/people/{id}/conditions`: the conditions the person has (kidney failure,
//! haemochromatosis, pregnancy-related, neuropathy, sleep apnoea, ...), each
//! from the catalogue or typed in, and "no longer applies" for one that
//! resolved. Some change the plan a great deal (haemochromatosis forbids
//! iron), so they are asked for in plain words.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use maud::html;
use willis_core::Knowledge;
use willis_store::{Access, Payload, PersonId};

use super::*;
use crate::auth::PageCaller;
use crate::pages::{csrf, layout, notice, page, About, PageResult};

/// The catalogue's label of a condition name, or the name itself.
fn label(name: &str) -> String {
    Knowledge::get()
        .condition(name)
        .map(|c| c.label.clone())
        .unwrap_or_else(|| name.to_string())
}

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let who = reader(&web, &c, id).await?;
    let r = record(&web, &c, id).await?;
    Ok(render(&c, &who, id, &r, "", None, q.done.as_deref()))
}

fn render(
    c: &Caller,
    who: &Authorized,
    id: i64,
    r: &RecordFile,
    typed: &str,
    error: Option<&str>,
    done: Option<&str>,
) -> Response {
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let writable = who.access == Access::Write;
    let mut catalogue: Vec<_> = Knowledge::get().conditions.iter().collect();
    catalogue.sort_by(|a, b| a.label.cmp(&b.label));
    let body = html! {
        h1 { "Conditions" }
        (notice(done))
        @if !writable { p.hint { "You may read this journal but not change it." } }
        @if r.conditions.is_empty() {
            p { "No conditions recorded." }
        } @else {
            ul.courses {
                @for name in &r.conditions {
                    li.course {
                        strong { (label(name)) }
                        @if writable {
                            form.inline method="post" action=(format!("/people/{id}/conditions/resolve")) {
                                (csrf(c))
                                input type="hidden" name="name" value=(name);
                                " "
                                button.link type="submit" aria-label=(format!("{} no longer applies", label(name))) { "No longer applies" }
                            }
                        }
                    }
                }
            }
        }
        @if writable {
            h2 { "Add a condition" }
            form.card method="post" action=(format!("/people/{id}/conditions")) {
                (csrf(c))
                label for="condition" { "Condition" }
                p.hint #condition-hint { "Choose from the list as you type, or type it as your doctor wrote it." }
                input #condition name="name" list="condition-catalogue" required maxlength="120" value=(typed)
                    aria-describedby=(if error.is_some() { "condition-hint condition-error" } else { "condition-hint" });
                datalist #condition-catalogue {
                    @for entry in &catalogue { option value=(entry.id) { (entry.label) } }
                }
                (field_error("condition", error))
                button #add-condition type="submit" { "Add" }
            }
        }
    };
    page(layout("Conditions", Some(c), Some(&about), body))
}

pub async fn save(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let who = writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let typed = f.get("name").trim().to_string();
    let fact = willis_app::facts::condition(&typed, web.today());
    let result = match fact {
        Ok(fact) => {
            web.pages()
                .append_many(c.user.id, PersonId(id), vec![fact], web.clock())
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(
            &format!("/people/{id}/conditions"),
            &format!("Added {}.", label(&typed)),
        )),
        Err(AppError::Invalid(m)) => {
            let r = record(&web, &c, id).await?;
            Ok(invalid(render(&c, &who, id, &r, &typed, Some(&m), None)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn resolve(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let name = f.get("name").trim().to_string();
    let fact = (
        web.today(),
        Payload::ConditionResolved { name: name.clone() },
    );
    web.pages()
        .append_many(c.user.id, PersonId(id), vec![fact], web.clock())
        .await?;
    Ok(done(
        &format!("/people/{id}/conditions"),
        &format!("{} no longer applies.", label(&name)),
    ))
}
