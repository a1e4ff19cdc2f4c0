//! The letter for the doctor: its key parts on a page, the printable
//! standalone letter and the PDF.

use axum::extract::{Path, Query, State};
use chrono::Utc;
use maud::html;
use willis_core::Profile;
use willis_store::PersonId;

use super::{day, query_of};
use crate::api::render;
use crate::auth::PageCaller;
use crate::pages::plan::{about, PlanParams};
use crate::pages::{layout, page, paragraphs, About, PageResult};
use crate::Web;

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    let q = params.query()?;
    let (when, profile) = (q.when(&web)?, q.profile()?);
    let letter = web
        .pages()
        .letter(c.user.id, PersonId(id), when, profile, None, Utc::now())
        .await?;
    let query = query_of(&params);
    let base = format!("/people/{id}");
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let pdf = cfg!(feature = "pdf");
    Ok(page(layout(
        &format!("Letter for {}", who.person.display_name),
        Some(&c),
        Some(&about),
        html! {
            h1 { "Letter for the doctor" }
            p { "A letter to take to your doctor, dated " (day(letter.date))
                ", with what Willis suggests asking for and the results it is based on." }
            form.controls.print-hide method="get" action=(format!("{base}/letter")) {
                label for="as_of" { "Letter dated" }
                input #as_of type="date" name="as_of" value=(letter.date) max=(web.today());
                label for="guideline" { "Guideline" }
                select #guideline name="guideline" {
                    @for p in Profile::ALL {
                        option value=(p.id()) selected[p == profile] { (p.id()) }
                    }
                }
                button type="submit" { "Show" }
            }
            ul.actions.print-hide {
                li { a.button #print href=(format!("{base}/letter.html{query}")) { "Print" }
                    " " span.hint { "(opens the letter on its own; use your browser's Print)" } }
                @if pdf {
                    li { a.button #pdf href=(format!("{base}/letter.pdf{query}")) { "Download PDF" } }
                } @else {
                    li #pdf-unavailable { "PDF is unavailable on this server; print the letter instead (most browsers can print to PDF)." }
                }
            }
            article.letter aria-label="The letter" {
                h2 { (letter.title) }
                p { (letter.greeting) }
                (paragraphs(&letter.intro))
                @if !letter.summary.is_empty() {
                    h3 { "Summary" }
                    dl { @for f in &letter.summary { dt { (f.label) } dd { (f.value) } } }
                }
                @if !letter.requests.is_empty() {
                    h3 #requests { "What I would like to ask for" }
                    ol.requests {
                        @for r in &letter.requests {
                            li data-id=(r.id) {
                                @if let Some(lead) = &r.lead { em { (lead) } " " }
                                strong { (r.title) }
                                @if !r.detail.is_empty() { p { (r.detail) } }
                                @if !r.because.is_empty() {
                                    details { summary { "Why" } ul { @for b in &r.because { li { (b) } } } }
                                }
                            }
                        }
                    }
                }
                @if !letter.cautions.is_empty() {
                    h3 { "Cautions" }
                    ul { @for w in &letter.cautions { li { strong { (w.title) } @if !w.text.is_empty() { " — " (w.text) } } } }
                }
                @if !letter.results.is_empty() {
                    h3 #results { "Results" }
                    div.table-wrap {
                        table {
                            caption.visually-hidden { "Blood results" }
                            thead { tr { th scope="col" { "Test" } th scope="col" { "Result" } th scope="col" { "Date" } th scope="col" { "Typical range" } th scope="col" { "Comment" } } }
                            tbody {
                                @for r in &letter.results {
                                    tr {
                                        th scope="row" { (r.test) }
                                        td { (r.result) @if let Some(b) = &r.basis { br; span.hint { (b) } } }
                                        td { time datetime=(r.date) { (day(r.date)) } }
                                        td { (r.typical.as_deref().unwrap_or("—")) }
                                        td { @if let Some(cm) = &r.comment { @if r.flag { strong { (cm) } } @else { (cm) } } }
                                    }
                                }
                            }
                        }
                    }
                    p.hint { (letter.results_note) }
                }
                @if !letter.medicines.is_empty() {
                    h3 { "Medicines" }
                    ul {
                        @for m in &letter.medicines {
                            li { (m.name) @if let Some(d) = &m.dose { " " (d) }
                                @if let Some(s) = m.since { ", since " (day(s)) }
                                @if let Some(o) = &m.outcome { " — " (o) }
                                @for mark in &m.marks { " " span.badge { (mark) } } }
                        }
                    }
                }
                @if !letter.follow_up.is_empty() {
                    h3 { "Follow-up" }
                    ul { @for f in &letter.follow_up { li { time datetime=(f.date) { (day(f.date)) } " — " (f.title) } } }
                }
                @if !letter.not_known.is_empty() {
                    h3 { "Not known yet" }
                    ul { @for n in &letter.not_known { li { (n) } } }
                }
                (paragraphs(&letter.closing))
                p.disclaimer { (letter.disclaimer) }
            }
        },
    )))
}

/// `GET /people/{id}/letter.html`: the standalone, printable letter.
pub async fn html(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let q = params.query()?;
    Ok(render::letter_html(&web, web.pages(), c.user.id, id, &q).await?)
}

/// `GET /people/{id}/letter.pdf` (501 without the `pdf` feature).
pub async fn pdf(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let q = params.query()?;
    Ok(render::letter_pdf(&web, web.pages(), c.user.id, id, &q).await?)
}
