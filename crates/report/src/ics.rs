//! The plan as an iCalendar file (RFC 5545): every dated follow-up of the
//! assessment's schedule as an all-day event with a reminder the day before,
//! and, when the plan has an `iron.oral` step, the evening doses as one
//! repeating event (daily or every other day, as the step says).
//!
//! Nothing clinical is decided here: the dates, the dosing schedule and every
//! word come from the [`Assessment`]. Written by hand: CRLF line endings, TEXT
//! escaping and folding at 75 octets, no clock inside (`now` is only the
//! DTSTAMP), so the same assessment and `now` give the same bytes.

use chrono::{DateTime, NaiveDate, Utc};
use willis_core::{Assessment, OralSchedule};

/// How far ahead oral iron doses are put in the calendar, unless told otherwise.
pub const DEFAULT_HORIZON_DAYS: u32 = 84;
/// The domain part of every UID.
pub const UID_DOMAIN: &str = "willis";

/// Longest content line in octets, excluding CRLF (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;
/// When the evening dose reminder starts and how long it lasts (floating local time).
const DOSE_AT: &str = "200000";
const DOSE_UNTIL: &str = "201500";

/// The plan's calendar. `now` is used for DTSTAMP only; oral iron doses are
/// listed from the step's due date (or `assessment.as_of`) for `horizon_days`
/// days after `assessment.as_of`.
pub fn calendar(assessment: &Assessment, now: DateTime<Utc>, horizon_days: u32) -> String {
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut ics = Ics::default();
    ics.line("BEGIN:VCALENDAR");
    ics.line("VERSION:2.0");
    ics.line(&format!(
        "PRODID:-//Willis//willis-report {}//EN",
        env!("CARGO_PKG_VERSION")
    ));
    ics.line("CALSCALE:GREGORIAN");
    ics.line("METHOD:PUBLISH");
    ics.prop_text(
        "X-WR-CALNAME",
        &format!("Willis plan of {}", assessment.as_of),
    );

    let mut uids: Vec<String> = Vec::new();
    let mut unique_uid = |id: &str, date: NaiveDate| {
        let base = format!("{id}-{date}");
        let mut uid = format!("{base}@{UID_DOMAIN}");
        let mut n = 1;
        while uids.contains(&uid) {
            n += 1;
            uid = format!("{base}-{n}@{UID_DOMAIN}");
        }
        uids.push(uid.clone());
        uid
    };

    for item in &assessment.schedule {
        let uid = unique_uid(&item.id, item.date);
        let summary = item.title.as_str();
        ics.line("BEGIN:VEVENT");
        ics.prop_text("UID", &uid);
        ics.line(&format!("DTSTAMP:{stamp}"));
        ics.line(&format!("DTSTART;VALUE=DATE:{}", ics_date(item.date)));
        ics.line(&format!(
            "DTEND;VALUE=DATE:{}",
            ics_date(item.date.succ_opt().unwrap_or(item.date))
        ));
        ics.prop_text("SUMMARY", summary);
        ics.prop_text(
            "DESCRIPTION",
            &format!(
                "{}\n\nFrom the Willis plan of {} ({}).\n\n{}",
                item.what, assessment.as_of, item.id, assessment.disclaimer
            ),
        );
        ics.line("CATEGORIES:Willis");
        ics.line("TRANSP:TRANSPARENT");
        ics.line("BEGIN:VALARM");
        ics.line("ACTION:DISPLAY");
        // The event starts at midnight: 15 hours before is 09:00 the day before.
        ics.line("TRIGGER:-PT15H");
        ics.prop_text("DESCRIPTION", &format!("Tomorrow: {summary}"));
        ics.line("END:VALARM");
        ics.line("END:VEVENT");
    }

    if let Some(step) = assessment.step("iron.oral") {
        let schedule = step.schedule.unwrap_or(OralSchedule::Daily);
        let interval: i64 = match schedule {
            OralSchedule::AlternateDay => 2,
            OralSchedule::Daily => 1,
        };
        let first = step
            .due
            .map_or(assessment.as_of, |d| d.max(assessment.as_of));
        let days_left = i64::from(horizon_days) - (first - assessment.as_of).num_days();
        // Doses on days 0, interval, 2 × interval … before the horizon.
        let count = (days_left + interval - 1).div_euclid(interval);
        if count > 0 {
            let uid = unique_uid("iron.oral", first);
            ics.line("BEGIN:VEVENT");
            ics.prop_text("UID", &uid);
            ics.line(&format!("DTSTAMP:{stamp}"));
            ics.line(&format!("DTSTART:{}T{DOSE_AT}", ics_date(first)));
            ics.line(&format!("DTEND:{}T{DOSE_UNTIL}", ics_date(first)));
            ics.line(&format!(
                "RRULE:FREQ=DAILY;INTERVAL={interval};COUNT={count}"
            ));
            let how_often = if interval == 2 {
                "every other evening"
            } else {
                "every evening"
            };
            ics.prop_text("SUMMARY", &format!("Iron tablet ({how_often})"));
            ics.prop_text(
                "DESCRIPTION",
                &format!(
                    "{}\n\n{}\n\nFrom the Willis plan of {} (iron.oral, {}).\n\n{}",
                    step.title, step.detail, assessment.as_of, schedule, assessment.disclaimer
                ),
            );
            ics.line("CATEGORIES:Willis");
            ics.line("TRANSP:TRANSPARENT");
            ics.line("BEGIN:VALARM");
            ics.line("ACTION:DISPLAY");
            ics.line("TRIGGER:PT0S");
            ics.prop_text("DESCRIPTION", &format!("Iron tablet: {}", step.title));
            ics.line("END:VALARM");
            ics.line("END:VEVENT");
        }
    }

    ics.line("END:VCALENDAR");
    ics.out
}

/// The number of events (VEVENT components) in a calendar written by [`calendar`].
pub fn event_count(ics: &str) -> usize {
    ics.split("\r\n").filter(|l| *l == "BEGIN:VEVENT").count()
}

fn ics_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// Content lines being written.
#[derive(Default)]
struct Ics {
    out: String,
}

impl Ics {
    /// Appends one content line, folded at 75 octets, with CRLF.
    fn line(&mut self, line: &str) {
        let mut octets = 0;
        for c in line.chars() {
            let len = c.len_utf8();
            if octets + len > MAX_LINE_OCTETS {
                self.out.push_str("\r\n ");
                // The leading space of a continuation line counts.
                octets = 1;
            }
            self.out.push(c);
            octets += len;
        }
        self.out.push_str("\r\n");
    }

    /// A property whose value is TEXT (RFC 5545 §3.3.11).
    fn prop_text(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}:{}", escape_text(value)));
    }
}

/// Escapes backslash, semicolon, comma and newlines in a TEXT value.
fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            // Other control characters are not allowed in TEXT.
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut ics = Ics::default();
        let long = format!("DESCRIPTION:{}", "µg/L ".repeat(40));
        ics.line(&long);
        for line in ics.out.split("\r\n") {
            assert!(line.len() <= MAX_LINE_OCTETS, "{line:?}");
        }
        let unfolded = ics.out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
