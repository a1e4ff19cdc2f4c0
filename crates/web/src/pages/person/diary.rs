//! `/people/{id}/diary`: the nightly diary, a few taps on a phone: the date
//! (today), a 0–10 rating, and optionally when it started, where, and how
//! long the person slept. A second entry for the same night replaces the
//! first (as a correction, so the history keeps both).

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use chrono::{NaiveDate, Utc};
use maud::{html, Markup};
use willis_core::DiaryFile;
use willis_store::{Access, EntryId, Payload, PersonId};

use super::*;
use crate::auth::PageCaller;
use crate::pages::{csrf, layout, notice, page, About, PageResult};

const KNOWN: [&str; 5] = [
    "date",
    "severity",
    "onset_time",
    "body_parts",
    "sleep_hours",
];

/// How many nights the table shows.
const NIGHTS: usize = 14;

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let who = reader(&web, &c, id).await?;
    let r = record(&web, &c, id).await?;
    let mut f = Fields::default();
    f.set("date", web.today().to_string());
    Ok(render(
        &web,
        &c,
        &who,
        id,
        &r,
        &f,
        &Errors::default(),
        q.done.as_deref(),
    ))
}

#[allow(clippy::too_many_arguments)]
fn render(
    web: &Web,
    c: &Caller,
    who: &Authorized,
    id: i64,
    r: &RecordFile,
    f: &Fields,
    e: &Errors,
    done: Option<&str>,
) -> Response {
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let body = html! {
        h1 { "Diary" }
        (notice(done))
        @if who.access == Access::Write {
            (e.top())
            (form(web, c, id, f, e))
        } @else {
            p.hint { "You may read this journal but not change it." }
        }
        (nights(r))
    };
    page(layout("Diary", Some(c), Some(&about), body))
}

fn form(web: &Web, c: &Caller, id: i64, f: &Fields, e: &Errors) -> Markup {
    let severity = f.get("severity");
    html! {
        form.card.diary method="post" action=(format!("/people/{id}/diary")) {
            (csrf(c))
            fieldset.scale.big aria-describedby=[e.describe("severity")] {
                legend { "How bad was it tonight? 0 none – 10 worst" }
                @for n in 0..=10 {
                    @let v = n.to_string();
                    @let rid = format!("severity-{n}");
                    label for=(rid) {
                        input type="radio" id=(rid) name="severity" value=(v) required checked[severity == v];
                        (n)
                    }
                }
            }
            (e.at("severity"))
            label for="date" { "Night of" }
            input #date name="date" type="date" required max=(web.today()) value=(f.get("date"))
                aria-describedby=[e.describe("date")];
            (e.at("date"))
            details open[!f.get("onset_time").is_empty() || !f.all("body_parts").is_empty() || !f.get("sleep_hours").is_empty() || !e.is_empty()] {
                summary { "More (optional)" }
                label for="onset_time" { "When did it start?" }
                input #onset_time name="onset_time" type="time" value=(f.get("onset_time"))
                    aria-describedby=[e.describe("onset_time")];
                (e.at("onset_time"))
                (body_parts(f, "", "Where?"))
                (e.at("body_parts"))
                label for="sleep_hours" { "Hours of sleep" }
                input #sleep_hours name="sleep_hours" inputmode="decimal" value=(f.get("sleep_hours"))
                    placeholder="e.g. 6.5" aria-describedby=[e.describe("sleep_hours")];
                (e.at("sleep_hours"))
            }
            button #save-night type="submit" { "Save the night" }
        }
    }
}

fn nights(r: &RecordFile) -> Markup {
    let mut nights: Vec<&DiaryFile> = r.diary.iter().collect();
    nights.sort_by(|a, b| b.date.cmp(&a.date));
    nights.truncate(NIGHTS);
    html! {
        h2 { "The last " (NIGHTS) " nights" }
        @if nights.is_empty() {
            p { "No nights recorded yet." }
        } @else {
            div.table-wrap { table.nights {
                thead { tr { th scope="col" { "Night" } th scope="col" { "Rating" } th scope="col" { "Started" } th scope="col" { "Where" } th scope="col" { "Sleep" } } }
                tbody {
                    @for d in nights {
                        tr {
                            td { time datetime=(d.date) { (show_date(&d.date)) } }
                            td { @if let Some(s) = d.severity { (s) " / 10" } @else { "—" } }
                            td { (d.onset_time.as_deref().unwrap_or("—")) }
                            td { (if d.body_parts.is_empty() { "—".to_string() } else { d.body_parts.join(", ") }) }
                            td { @if let Some(h) = d.sleep_hours { (show_number(h)) " h" } @else { "—" } }
                        }
                    }
                }
            } }
        }
    }
}

/// The live diary entry of a night, if one was entered before.
async fn earlier_entry(
    web: &Web,
    c: &Caller,
    id: i64,
    night: NaiveDate,
) -> Result<Option<EntryId>, PageError> {
    let entries = web
        .pages()
        .entries(c.user.id, PersonId(id), None, Utc::now())
        .await?;
    let replaced: HashSet<EntryId> = entries.iter().filter_map(|e| e.supersedes).collect();
    Ok(entries
        .iter()
        .rev()
        .find(|e| {
            e.effective == night
                && !replaced.contains(&e.id)
                && matches!(e.payload, Payload::Diary(_))
        })
        .map(|e| e.id))
}

fn night_of(f: &Fields, today: NaiveDate) -> Result<(NaiveDate, DiaryFile), Errors> {
    let mut e = Errors::default();
    let date = match form_date("date", f.opt("date"), today) {
        Ok(d) => d.unwrap_or(today),
        Err(m) => {
            e.add(&m, "", &KNOWN);
            today
        }
    };
    let severity = match f.opt("severity") {
        None => {
            e.add(
                "severity: choose a number from 0 (none) to 10 (worst)",
                "",
                &KNOWN,
            );
            None
        }
        some => match form_integer("severity", some) {
            Ok(v) => v,
            Err(m) => {
                e.add(&m, "", &KNOWN);
                None
            }
        },
    };
    let sleep_hours = match form_number("sleep_hours", f.opt("sleep_hours")) {
        Ok(v) => v,
        Err(m) => {
            e.add(&m, "", &KNOWN);
            None
        }
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok((
        date,
        DiaryFile {
            date: date.to_string(),
            severity,
            onset_time: f.opt("onset_time").map(|t| t.chars().take(5).collect()),
            body_parts: f.all("body_parts"),
            sleep_hours,
        },
    ))
}

pub async fn save(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let who = writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let today = web.today();
    let e = match night_of(&f, today) {
        Err(e) => e,
        Ok((date, night)) => {
            let result = match willis_app::facts::diary(night) {
                Err(err) => Err(err),
                Ok((effective, payload)) => match earlier_entry(&web, &c, id, date).await? {
                    Some(old) => web
                        .pages()
                        .correct(
                            c.user.id,
                            PersonId(id),
                            old,
                            effective,
                            payload,
                            web.clock(),
                        )
                        .await
                        .map(|_| true),
                    None => web
                        .pages()
                        .append_many(
                            c.user.id,
                            PersonId(id),
                            vec![(effective, payload)],
                            web.clock(),
                        )
                        .await
                        .map(|_| false),
                },
            };
            match result {
                Ok(replaced) => {
                    let when = if date == today {
                        "tonight".to_string()
                    } else {
                        show_date(&date.to_string())
                    };
                    let message = if replaced {
                        format!("Saved {when}; it replaces what you entered for that night before.")
                    } else {
                        format!("Saved {when}. Good night.")
                    };
                    return Ok(done(&format!("/people/{id}/diary"), &message));
                }
                Err(AppError::Invalid(m)) => Errors::from_message(&m, "", &KNOWN),
                Err(other) => return Err(other.into()),
            }
        }
    };
    let r = record(&web, &c, id).await?;
    Ok(invalid(render(&web, &c, &who, id, &r, &f, &e, None)))
}
