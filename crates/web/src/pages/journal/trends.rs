//! Trends: the iron and diary charts, each with its data as a table.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use chrono::{NaiveDate, Utc};
use maud::html;
use willis_core::units::LabTest;
use willis_store::PersonId;

use super::{day, num, query_of};
use crate::api::render;
use crate::auth::PageCaller;
use crate::pages::plan::{about, PlanParams};
use crate::pages::{layout, page, About, PageResult};
use crate::Web;

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let who = about(&web, &c, id).await?;
    let q = params.query()?;
    let when = q.when(&web)?;
    let record = web
        .pages()
        .record(c.user.id, PersonId(id), when, Utc::now())
        .await?;
    let as_of = when.as_of;

    // Ferritin and TSAT by the day they were drawn.
    let mut iron: BTreeMap<NaiveDate, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for l in record
        .labs
        .iter()
        .filter(|l| l.test == LabTest::Ferritin && l.date <= as_of)
    {
        iron.entry(l.date).or_default().0.push(num(l.value));
    }
    for t in willis_core::tsat_series(&record, as_of) {
        let text = if t.derived() {
            format!("{} (calculated)", num(t.percent))
        } else {
            num(t.percent)
        };
        iron.entry(t.date).or_default().1.push(text);
    }
    let nights: Vec<_> = record.diary.iter().filter(|n| n.date <= as_of).collect();
    let query = query_of(&params);
    let base = format!("/people/{id}");
    let about = About {
        person: &who.person,
        access: who.access,
    };
    Ok(page(layout(
        &format!("Trends for {}", who.person.display_name),
        Some(&c),
        Some(&about),
        html! {
            h1 { "Trends for " (who.person.display_name) }
            form.controls.print-hide method="get" action=(format!("{base}/trends")) {
                label for="as_of" { "Up to" }
                input #as_of type="date" name="as_of" value=(as_of) max=(web.today());
                button type="submit" { "Show" }
            }
            section aria-labelledby="iron-title" {
                h2 #iron-title { "Iron" }
                img.chart #iron-chart src=(format!("{base}/charts/iron.svg{query}"))
                    alt="Chart of ferritin and transferrin saturation (TSAT) over time, with the thresholds the plan uses. The table below lists the same values.";
                @if iron.is_empty() {
                    p { "No ferritin or TSAT results yet." }
                } @else {
                    div.table-wrap {
                        table #iron-table {
                            caption { "Ferritin and transferrin saturation by date" }
                            thead { tr { th scope="col" { "Date" } th scope="col" { "Ferritin (µg/L)" } th scope="col" { "TSAT (%)" } } }
                            tbody {
                                @for (date, (ferritin, tsat)) in iron.iter().rev() {
                                    tr {
                                        th scope="row" { time datetime=(date) { (day(*date)) } }
                                        td { (if ferritin.is_empty() { "—".to_string() } else { ferritin.join(", ") }) }
                                        td { (if tsat.is_empty() { "—".to_string() } else { tsat.join(", ") }) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="diary-title" {
                h2 #diary-title { "Symptom diary" }
                img.chart #diary-chart src=(format!("{base}/charts/diary.svg{query}"))
                    alt="Chart of nightly symptom severity (0 to 10) and the time symptoms started. The table below lists the same nights.";
                @if nights.is_empty() {
                    p { "No diary nights yet." }
                } @else {
                    div.table-wrap {
                        table #diary-table {
                            caption { "Diary by night" }
                            thead { tr { th scope="col" { "Night" } th scope="col" { "Severity (0–10)" } th scope="col" { "Symptoms began" } th scope="col" { "Sleep (hours)" } } }
                            tbody {
                                @for n in nights.iter().rev() {
                                    tr {
                                        th scope="row" { time datetime=(n.date) { (day(n.date)) } }
                                        td { (n.severity.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) }
                                        td { (n.onset_time.map(|t| t.format("%H:%M").to_string()).unwrap_or_else(|| "—".into())) }
                                        td { (n.sleep_hours.map(num).unwrap_or_else(|| "—".into())) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )))
}

pub async fn iron_svg(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let q = params.query()?;
    Ok(render::chart(&web, web.pages(), c.user.id, id, &q, false).await?)
}

pub async fn diary_svg(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(params): Query<PlanParams>,
) -> PageResult {
    let q = params.query()?;
    Ok(render::chart(&web, web.pages(), c.user.id, id, &q, true).await?)
}
