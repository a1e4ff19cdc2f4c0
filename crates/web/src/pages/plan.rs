//! The people list and the plan page.

use axum::extract::{Form, Path, Query, State};
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;
use willis_core::assessment::{DiagnosisStatus, Level};
use willis_core::{Assessment, Group, Profile, Step, Warning};
use willis_store::{Access, PersonId};

use super::{csrf, field_error, layout, notice, page, About, PageError, PageResult};
use crate::auth::PageCaller;
use crate::Web;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/people", get(people).post(add_person))
        .route("/people/{id}", get(person_home))
        .route("/people/{id}/plan", get(plan))
}

async fn people(State(web): State<Web>, PageCaller(c): PageCaller) -> PageResult {
    people_page(&web, &c, None, "").await
}

async fn people_page(
    web: &Web,
    c: &crate::auth::Caller,
    error: Option<&str>,
    name: &str,
) -> PageResult {
    let people = web.pages().people(c.user.id, Utc::now()).await?;
    Ok(page(layout(
        "People",
        Some(c),
        None,
        html! {
            h1 { "People" }
            @if people.is_empty() {
                p { "Start with yourself, or the person you look after (a child, a parent)." }
            } @else {
                ul.people {
                    @for (p, access) in &people {
                        li {
                            a href=(format!("/people/{}/plan", p.id.0)) { (p.display_name) }
                            @if *access == Access::Read { " " span.badge { "read only" } }
                            @if p.owner_id != c.user.id && *access == Access::Write { " " span.badge { "shared with you" } }
                        }
                    }
                }
            }
            form.card method="post" action="/people" {
                (csrf(c))
                label for="name" { "Add a person" }
                p.hint #name-hint { "A name you will recognise, such as “Me” or “Dad”." }
                input #name name="name" required maxlength="100" value=(name)
                    aria-describedby=(if error.is_some() { "name-hint name-error" } else { "name-hint" });
                (field_error("name", error))
                button type="submit" { "Add" }
            }
            h2 { "Backups" }
            p { a href="/export" { "Download a backup" } " of the journals you own (JSON), or "
                a href="/import" { "import a backup" } " as new people." }
        },
    )))
}

#[derive(Deserialize)]
struct NewPersonForm {
    name: String,
}

async fn add_person(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Form(f): Form<NewPersonForm>,
) -> PageResult {
    match web.pages().add_person(c.user.id, &f.name, Utc::now()).await {
        Ok(p) => Ok(axum::response::IntoResponse::into_response(Redirect::to(
            &format!("/people/{}/questionnaire", p.id.0),
        ))),
        Err(willis_app::AppError::Invalid(m)) => {
            let mut r = people_page(&web, &c, Some(&m), &f.name).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

async fn person_home(Path(id): Path<i64>) -> Redirect {
    Redirect::to(&format!("/people/{id}/plan"))
}

/// `?as_of=&guideline=` of the plan-like pages.
#[derive(Debug, Default, Deserialize)]
pub struct PlanParams {
    pub as_of: Option<String>,
    pub guideline: Option<String>,
    pub done: Option<String>,
}

impl PlanParams {
    /// The API's query, with an empty field meaning "not given".
    pub fn query(&self) -> Result<crate::api::PlanQuery, PageError> {
        let as_of = match self
            .as_of
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                PageError::from(crate::error::ApiError::invalid(format!(
                    "as_of: {text:?} is not a date; use YYYY-MM-DD"
                )))
            })?),
        };
        Ok(crate::api::PlanQuery {
            as_of,
            guideline: self.guideline.clone().filter(|s| !s.is_empty()),
            known_at: None,
        })
    }
}

/// The person and the caller's access, checked (for page headers).
pub async fn about(
    web: &Web,
    c: &crate::auth::Caller,
    id: i64,
) -> Result<willis_app::Authorized, PageError> {
    Ok(web
        .pages()
        .authorize(c.user.id, PersonId(id), Access::Read, Utc::now())
        .await?)
}

async fn plan(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    let q = params.query()?;
    let (when, profile) = (q.when(&web)?, q.profile()?);
    let planned = web
        .pages()
        .plan(c.user.id, PersonId(id), when, profile, Utc::now())
        .await?;
    let a = &planned.assessment;
    let about = About {
        person: &who.person,
        access: who.access,
    };
    Ok(page(layout(
        &format!("Plan for {}", who.person.display_name),
        Some(&c),
        Some(&about),
        html! {
            h1 { "Plan for " (who.person.display_name) }
            (notice(params.done.as_deref()))
            (plan_controls(id, a))
            (summary(a))
            @if !a.warnings.is_empty() {
                section aria-labelledby="warnings" {
                    h2 #warnings { "Warnings" }
                    @for w in &a.warnings { (warning(w, a)) }
                }
            }
            @for (group, title, hint) in [
                (Group::Now, "Do now", "Things you can arrange yourself."),
                (Group::Doctor, "Ask your doctor", "Take these to your doctor; the letter lists them with references."),
                (Group::Later, "Later", "Follow-up, with the dates it is due."),
            ] {
                @let steps: Vec<&Step> = a.steps.iter().filter(|s| s.category.group() == group).collect();
                @if !steps.is_empty() {
                    section aria-label=(title) {
                        h2 { (title) }
                        p.hint { (hint) }
                        ol.steps {
                            @for s in steps { li { (step(s, a)) } }
                        }
                    }
                }
            }
            @if !a.schedule.is_empty() {
                section aria-labelledby="next" {
                    h2 #next { "What is due next" }
                    ul.schedule {
                        @for item in &a.schedule {
                            li { time datetime=(item.date) { (item.date.format("%-d %b %Y")) } " — " (item.title) }
                        }
                    }
                    p { a href=(format!("/people/{id}/reminders")) { "Add these to your calendar" } }
                }
            }
            @if !a.missing.is_empty() {
                section aria-labelledby="missing" {
                    h2 #missing { "What Willis does not know yet" }
                    ul { @for m in &a.missing { li { (m) } } }
                    @if who.access == Access::Write {
                        p { a href=(format!("/people/{id}/questionnaire")) { "Answer the questionnaire" } " · "
                            a href=(format!("/people/{id}/results")) { "Enter blood results" } }
                    }
                }
            }
            (references(a))
            p.disclaimer { (a.disclaimer) }
            @if who.access == Access::Write { p.print-hide { (csrf_free_links(id)) } }
        },
    )))
}

fn csrf_free_links(id: i64) -> Markup {
    html! {
        a href=(format!("/people/{id}/diary")) { "Add tonight's diary" } " · "
        a href=(format!("/people/{id}/letter")) { "Letter for the doctor" }
    }
}

fn plan_controls(id: i64, a: &Assessment) -> Markup {
    html! {
        form.controls.print-hide method="get" action=(format!("/people/{id}/plan")) {
            label for="as_of" { "Plan on" }
            input #as_of type="date" name="as_of" value=(a.as_of);
            label for="guideline" { "Guideline" }
            select #guideline name="guideline" {
                @for p in Profile::ALL {
                    option value=(p.id()) selected[p == a.guideline] { (p.id()) }
                }
            }
            button type="submit" { "Show" }
        }
    }
}

fn summary(a: &Assessment) -> Markup {
    let diagnosis = match a.diagnosis.status {
        DiagnosisStatus::LikelyRls if a.diagnosis.recorded_by_clinician => {
            "RLS diagnosed by a clinician"
        }
        DiagnosisStatus::LikelyRls => "Your answers meet the five criteria for RLS",
        DiagnosisStatus::CriteriaNotMet => "Your answers do not meet the criteria for RLS",
        DiagnosisStatus::Incomplete => "Some of the five criteria are not answered yet",
    };
    html! {
        section.summary aria-label="Summary" {
            dl {
                dt { "Diagnosis" } dd { (diagnosis) }
                dt { "Pathway" } dd { (a.pathway.name()) }
                @if let Some(f) = a.iron.ferritin_ug_per_l {
                    dt { "Ferritin" } dd { (super::person::show_number(f)) " µg/L"
                        @if let Some(d) = a.iron.measured_on { " (" (d) ")" } }
                }
                @if let Some(t) = a.iron.tsat_percent {
                    dt { "Transferrin saturation" } dd { (super::person::show_number(t)) " %"
                        @if let Some(b) = &a.iron.tsat_basis { " (" (b) ")" } }
                }
                @if let Some(total) = a.severity.irls_total {
                    dt { "IRLS" } dd { (total) }
                }
            }
        }
    }
}

fn refs(sources: &[String], a: &Assessment) -> Markup {
    let keys: Vec<&String> = a.sources.keys().collect();
    html! {
        @for s in sources {
            @if let Some(n) = keys.iter().position(|k| *k == s) {
                sup { a href=(format!("#ref-{}", n + 1)) aria-label=(format!("reference {}", n + 1)) { "[" (n + 1) "]" } }
            }
        }
    }
}

fn warning(w: &Warning, a: &Assessment) -> Markup {
    let class = match w.level {
        Level::Danger => "warning danger",
        Level::Caution => "warning caution",
        Level::Info => "warning info",
    };
    html! {
        div class=(class) role=(if w.level == Level::Danger { "alert" } else { "note" }) data-id=(w.id.as_str()) {
            p.title { strong { (w.title) } (refs(&w.sources, a)) }
            @if !w.detail.is_empty() { p { (w.detail) } }
            @if !w.because.is_empty() {
                details { summary { "Why" } ul { @for b in &w.because { li { (b) } } } }
            }
        }
    }
}

fn step(s: &Step, a: &Assessment) -> Markup {
    html! {
        article.step data-id=(s.id.as_str()) {
            h3 { (s.title) (refs(&s.sources, a)) }
            @if let Some(due) = s.due { p.due { "Due " time datetime=(due) { (due.format("%-d %b %Y")) } } }
            @if !s.detail.is_empty() { p { (s.detail) } }
            @if !s.because.is_empty() {
                details { summary { "Why" } ul { @for b in &s.because { li { (b) } } } }
            }
            @if !s.differences.is_empty() {
                details { summary { "Other guidelines" }
                    ul { @for d in &s.differences { li { strong { (d.profile.id()) } ": " (d.says) } } } }
            }
        }
    }
}

fn references(a: &Assessment) -> Markup {
    html! {
        @if !a.sources.is_empty() {
            section aria-labelledby="refs" {
                h2 #refs { "References" }
                ol.refs {
                    @for (i, (_, s)) in a.sources.iter().enumerate() {
                        li id=(format!("ref-{}", i + 1)) { (s.citation) " " a href=(s.url) rel="noreferrer" { "source" } }
                    }
                }
            }
        }
    }
}
