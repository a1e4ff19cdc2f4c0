//! Facts dated after a given day, left out of an imported record.

use chrono::NaiveDate;

use super::{Imported, Skipped};

impl Imported {
    /// The import with every fact dated after `today` moved to `skipped`:
    /// results, diary nights, medicines and iron started later, and planned
    /// stops (the course is then still taken). An EHR's result drawn this
    /// morning in a time zone ahead of the reader's, or a screen made "as of"
    /// an earlier day, must not use what had not happened yet, nor refuse the
    /// whole chart for it. (A record file's future dates stay errors: there
    /// they are typing mistakes for the person to fix.)
    pub fn leave_out_after(mut self, today: NaiveDate) -> Imported {
        let later = |date: &str| date.parse::<NaiveDate>().is_ok_and(|d| d > today);
        let reason = |what: String| Skipped {
            resource: what,
            reason: format!("dated after today ({today}); not used until that day"),
        };
        let file = &mut self.record;
        let skipped = &mut self.skipped;
        file.labs.retain(|l| {
            let keep = !later(&l.date);
            if !keep {
                skipped.push(reason(format!("{} result of {}", l.test, l.date)));
            }
            keep
        });
        file.diary.retain(|d| {
            let keep = !later(&d.date);
            if !keep {
                skipped.push(reason(format!("diary night of {}", d.date)));
            }
            keep
        });
        file.medications.retain_mut(|m| {
            if m.started.as_deref().is_some_and(later) {
                skipped.push(reason(format!(
                    "{} started {}",
                    m.name,
                    m.started.as_deref().unwrap_or("")
                )));
                return false;
            }
            if let Some(stop) = m.stopped.take_if(|s| later(s)) {
                skipped.push(reason(format!(
                    "the planned stop of {} on {stop} (still taken)",
                    m.name
                )));
            }
            true
        });
        file.iron_treatments.retain(|t| {
            let first = t.date.as_deref().or(t.started.as_deref());
            let keep = !first.is_some_and(later);
            if !keep {
                skipped.push(reason(format!("iron treatment of {}", first.unwrap_or(""))));
            }
            keep
        });
        for t in &mut file.iron_treatments {
            if let Some(stop) = t.stopped.take_if(|s| later(s)) {
                skipped.push(reason(format!(
                    "the planned end of an iron course on {stop}"
                )));
            }
        }
        if let Some(p) = file.patient.as_mut() {
            if let Some(birth) = p.birth_date.take_if(|b| later(b)) {
                skipped.push(reason(format!("the birth date {birth}")));
            }
        }
        self
    }
}
