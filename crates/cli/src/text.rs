//! The assessment as text for people: grouped into what to do now, what to ask
//! the doctor and what comes later, with reasons, dates and numbered references,
//! wrapped for an 80-column terminal.

use std::collections::BTreeMap;
use std::fmt::Write;

use willis_core::assessment::{Category, DiagnosisStatus, Group, Level, SeverityBand};
use willis_core::Assessment;

const WIDTH: usize = 80;

/// Terminal styling; empty strings when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    bold: &'static str,
    warn: &'static str,
    danger: &'static str,
    dim: &'static str,
    reset: &'static str,
}

impl Style {
    pub fn new(colour: bool) -> Style {
        if colour {
            Style {
                bold: "\x1b[1m",
                warn: "\x1b[33m",
                danger: "\x1b[1;31m",
                dim: "\x1b[2m",
                reset: "\x1b[0m",
            }
        } else {
            Style {
                bold: "",
                warn: "",
                danger: "",
                dim: "",
                reset: "",
            }
        }
    }
}

fn group(category: Category) -> Group {
    category.group()
}

fn wrap(out: &mut String, text: &str, first: &str, rest: &str) {
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, options) {
        out.push_str(&line);
        out.push('\n');
    }
}

fn band(b: SeverityBand) -> &'static str {
    match b {
        SeverityBand::None => "none",
        SeverityBand::Mild => "mild",
        SeverityBand::Moderate => "moderate",
        SeverityBand::Severe => "severe",
        SeverityBand::VerySevere => "very severe",
    }
}

pub fn render(a: &Assessment, style: Style) -> String {
    let Style {
        bold,
        warn,
        danger,
        dim,
        reset,
    } = style;
    let mut out = String::new();

    // Number the sources in the order they are first cited.
    let mut numbers: BTreeMap<&str, usize> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    let cited = a
        .warnings
        .iter()
        .flat_map(|w| &w.sources)
        .chain(a.steps.iter().flat_map(|s| &s.sources));
    for id in cited {
        if !numbers.contains_key(id.as_str()) && a.sources.contains_key(id) {
            order.push(id);
            numbers.insert(id, order.len());
        }
    }
    let refs = |ids: &[String]| -> String {
        ids.iter()
            .filter_map(|id| numbers.get(id.as_str()))
            .map(|n| format!("[{n}]"))
            .collect::<Vec<_>>()
            .join("")
    };

    let _ = writeln!(
        out,
        "{bold}Willis plan for restless legs syndrome{reset} — {} ({})",
        a.as_of, a.guideline
    );
    let diagnosis = match a.diagnosis.status {
        DiagnosisStatus::LikelyRls => "likely RLS (all five criteria met)".to_string(),
        DiagnosisStatus::CriteriaNotMet => {
            format!("criteria not met ({} answered no)", a.diagnosis.unmet.len())
        }
        DiagnosisStatus::Incomplete => {
            format!("incomplete ({} not answered)", a.diagnosis.unknown.len())
        }
    };
    let severity = match (a.severity.irls_total, a.severity.band) {
        (Some(t), Some(b)) => format!("IRLS {t}/40, {}", band(b)),
        _ => match a.severity.clinically_significant {
            Some(true) => "no IRLS total; clinically significant by frequency".to_string(),
            Some(false) => "no IRLS total; not clinically significant by frequency".to_string(),
            None => "unknown (no IRLS total or days per week)".to_string(),
        },
    };
    let iron = match (a.iron.ferritin_ug_per_l, a.iron.measured_on) {
        (Some(f), Some(d)) => {
            let tsat = a
                .iron
                .tsat_percent
                .map(|t| format!(", TSAT {t}%"))
                .unwrap_or_else(|| ", no TSAT".to_string());
            format!("ferritin {f} µg/L{tsat} on {d}")
        }
        _ => "no ferritin on record".to_string(),
    };
    for (label, value) in [
        ("Pathway", a.pathway.name().to_string()),
        ("Diagnosis", diagnosis),
        ("Severity", severity),
        ("Iron", iron),
    ] {
        wrap(&mut out, &value, &format!("{label:>10}: "), &" ".repeat(12));
    }

    if !a.warnings.is_empty() {
        let _ = writeln!(out, "\n{bold}WARNINGS{reset}");
        for w in &a.warnings {
            let colour = if w.level == Level::Danger {
                danger
            } else {
                warn
            };
            let mark = if w.level == Level::Danger { "!!" } else { " !" };
            wrap(
                &mut out,
                &format!("{} {}", w.text, refs(&w.sources)),
                &format!("{colour}{mark}{reset} "),
                "   ",
            );
        }
    }

    let mut n = 0;
    for (title, wanted) in [
        ("DO NOW", Group::Now),
        ("ASK YOUR DOCTOR", Group::Doctor),
        ("LATER", Group::Later),
    ] {
        let steps: Vec<_> = a
            .steps
            .iter()
            .filter(|s| group(s.category) == wanted)
            .collect();
        let dates = if wanted == Group::Later {
            a.schedule.as_slice()
        } else {
            &[]
        };
        if steps.is_empty() && dates.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{bold}{title}{reset}");
        for s in steps {
            n += 1;
            let head = format!("{n:>2}. ");
            let mut t = format!("{bold}{}{reset}", s.title);
            if let Some(schedule) = &s.schedule {
                t.push_str(&format!(" [{schedule}]"));
            }
            if let Some(due) = s.due.filter(|d| *d > a.as_of) {
                t.push_str(&format!(" (from {due})"));
            }
            wrap(&mut out, &t, &head, "    ");
            wrap(&mut out, &s.detail, "    ", "    ");
            if !s.because.is_empty() {
                wrap(
                    &mut out,
                    &format!("{dim}Because: {}.{reset}", s.because.join("; ")),
                    "    ",
                    "    ",
                );
            }
            for d in &s.differences {
                wrap(&mut out, &format!("Differs in {}", d.says), "    ", "    ");
            }
            let r = refs(&s.sources);
            if !r.is_empty() {
                let _ = writeln!(out, "    {dim}Sources: {r}{reset}");
            }
        }
        for item in dates {
            wrap(
                &mut out,
                &item.what,
                &format!("  {}  ", item.date),
                &" ".repeat(14),
            );
        }
    }

    if !a.missing.is_empty() || !a.unrecognised.is_empty() {
        let _ = writeln!(out, "\n{bold}NOT KNOWN YET{reset}");
        for m in &a.missing {
            wrap(&mut out, m, "  - ", "    ");
        }
        for u in &a.unrecognised {
            wrap(
                &mut out,
                &format!("{u} is not recognised; it was not used"),
                "  - ",
                "    ",
            );
        }
    }

    if !order.is_empty() {
        let _ = writeln!(out, "\n{bold}REFERENCES{reset}");
        for (i, id) in order.iter().enumerate() {
            let s = &a.sources[*id];
            wrap(
                &mut out,
                &format!("{} {}", s.citation, s.url),
                &format!("{:>4} ", format!("[{}]", i + 1)),
                "     ",
            );
        }
    }
    out.push('\n');
    wrap(&mut out, &a.disclaimer, "", "");
    out
}
