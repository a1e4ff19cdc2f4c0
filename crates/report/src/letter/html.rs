//! The letter as one printable HTML page: no scripts, no external files, the
//! charts inline as SVG, A4 print styles. Every piece of text is escaped.

use std::fmt::Write as _;

use super::content::{LetterContent, Request, ResultRow};

const STYLE: &str = r#"
:root { --ink: #1b1b1b; --muted: #555; --rule: #c9c9c9; --flag: #a3243b; --soft: #f4f1ea; }
* { box-sizing: border-box; }
body { margin: 0; background: #e9e9e9; color: var(--ink);
  font: 10.5pt/1.38 "Libertinus Serif", Georgia, "Times New Roman", serif; }
.letter { background: #fff; max-width: 210mm; margin: 1.5rem auto; padding: 14mm 16mm; }
header { border-bottom: 2px solid var(--ink); margin-bottom: 0.6rem; }
h1 { font-size: 16pt; margin: 0 0 0.15rem; }
h2 { font-size: 11.5pt; margin: 0.9rem 0 0.3rem; border-bottom: 1px solid var(--rule); }
.meta { margin: 0 0 0.4rem; color: var(--muted); }
.meta strong { color: var(--ink); }
p { margin: 0.35rem 0; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem;
  margin: 0.5rem 0; padding: 0.4rem 0.6rem; background: var(--soft); }
dl.summary dt { font-weight: bold; }
dl.summary dd { margin: 0; }
ol.requests { padding-left: 1.3rem; margin: 0.2rem 0; }
ol.requests li { margin-bottom: 0.45rem; }
.lead { font-style: italic; }
.title { font-weight: bold; }
.because { margin: 0.1rem 0; }
.detail, .small { font-size: 9pt; color: var(--muted); margin: 0.1rem 0; }
.refs-inline { font-size: 8.5pt; color: var(--muted); }
.note { border-left: 3px solid var(--flag); padding: 0.3rem 0.6rem; background: #fbf3f4; margin: 0.4rem 0; }
.caution { margin: 0.25rem 0; }
.caution.danger .title { color: var(--flag); }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 0.2rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.15rem 0.4rem 0.15rem 0; border-bottom: 1px solid #e3e3e3; }
th { font-weight: bold; border-bottom: 1px solid var(--rule); }
td.num { white-space: nowrap; }
.flag { color: var(--flag); font-weight: bold; }
figure { margin: 0.3rem 0; break-inside: avoid; }
figure svg { width: 100%; max-width: 150mm; height: auto; display: block; }
ol.references { font-size: 8.5pt; padding-left: 1.6rem; color: var(--muted); }
ol.references a { color: inherit; }
footer { margin-top: 0.8rem; padding-top: 0.3rem; border-top: 1px solid var(--rule); font-size: 8.5pt; color: var(--muted); }
@page { size: A4; margin: 12mm 14mm; }
@media print {
  body { background: #fff; font-size: 10pt; }
  .letter { margin: 0; padding: 0; max-width: none; }
  h2 { break-after: avoid; }
  li, tr, .note, .caution { break-inside: avoid; }
  a { text-decoration: none; }
}
"#;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn refs(numbers: &[usize]) -> String {
    if numbers.is_empty() {
        return String::new();
    }
    let list: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
    format!(" <span class=\"refs-inline\">[{}]</span>", list.join(", "))
}

fn request(out: &mut String, r: &Request) {
    out.push_str("<li>");
    if let Some(lead) = &r.lead {
        let _ = write!(out, "<span class=\"lead\">{}</span> ", escape(lead));
    }
    let _ = write!(
        out,
        "<span class=\"title\">{}</span>{}",
        escape(&r.title),
        refs(&r.refs)
    );
    if !r.because.is_empty() {
        let _ = write!(
            out,
            "<p class=\"because\">Because: {}.</p>",
            escape(&r.because.join("; "))
        );
    }
    if !r.detail.is_empty() {
        let _ = write!(out, "<p class=\"detail\">{}</p>", escape(&r.detail));
    }
    for d in &r.differences {
        let _ = write!(out, "<p class=\"detail\">Differs in {}</p>", escape(d));
    }
    out.push_str("</li>\n");
}

fn result_row(out: &mut String, r: &ResultRow, with_range: bool) {
    let comment = r.comment.as_deref().map(escape).unwrap_or_default();
    let comment = if r.flag && !comment.is_empty() {
        format!("<span class=\"flag\">{comment}</span>")
    } else {
        comment
    };
    let basis = r
        .basis
        .as_deref()
        .map(|b| format!("<br><span class=\"small\">{}</span>", escape(b)))
        .unwrap_or_default();
    let earlier = if r.earlier.is_empty() {
        String::new()
    } else {
        format!(
            "<br><span class=\"small\">earlier: {}</span>",
            escape(&r.earlier.join(", "))
        )
    };
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td class=\"num\"><strong>{}</strong></td><td class=\"num\">{}</td>\
         {}<td>{comment}{}{basis}{earlier}</td></tr>",
        escape(&r.test),
        escape(&r.result),
        r.date,
        if with_range {
            format!(
                "<td class=\"num\">{}</td>",
                r.typical.as_deref().map(escape).unwrap_or_default()
            )
        } else {
            String::new()
        },
        refs(&r.refs),
    );
}

/// The letter as a complete HTML document.
pub fn render(c: &LetterContent) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let who = c.person.name.as_deref().unwrap_or("");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main class=\"letter\">\n",
        escape(&c.title),
        if who.is_empty() {
            String::new()
        } else {
            format!(" — {}", escape(who))
        }
    );

    // Header: what, who, when.
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", escape(&c.title));
    let mut meta = Vec::new();
    if let Some(name) = &c.person.name {
        meta.push(format!("<strong>{}</strong>", escape(name)));
    }
    if !c.person.details.is_empty() {
        meta.push(escape(&c.person.details));
    }
    meta.push(format!("letter of {}", c.date));
    let _ = writeln!(out, "<p class=\"meta\">{}</p>\n</header>", meta.join(" · "));

    let _ = writeln!(
        out,
        "<p>{}</p>\n<p>{}</p>",
        escape(&c.greeting),
        escape(&c.intro)
    );

    if !c.summary.is_empty() {
        out.push_str("<dl class=\"summary\">\n");
        for f in &c.summary {
            let _ = writeln!(
                out,
                "<dt>{}</dt><dd>{}</dd>",
                escape(&f.label),
                escape(&f.value)
            );
        }
        out.push_str("</dl>\n");
    }

    out.push_str("<section>\n<h2>Latest results</h2>\n");
    if c.results.is_empty() {
        out.push_str("<p>No blood results are on record.</p>\n");
    } else {
        let with_range = c.results.iter().any(|r| r.typical.is_some());
        let _ = write!(
            out,
            "<table class=\"results\">\n<thead><tr><th>Test</th><th>Result</th><th>Date</th>\
             {}<th>For RLS</th></tr></thead>\n<tbody>\n",
            if with_range {
                "<th>Typical range</th>"
            } else {
                ""
            }
        );
        for r in &c.results {
            result_row(&mut out, r, with_range);
        }
        let _ = writeln!(
            out,
            "</tbody>\n</table>\n<p class=\"small\">{}</p>",
            escape(&c.results_note)
        );
    }
    out.push_str("</section>\n");

    out.push_str("<section>\n<h2>Current medicines</h2>\n");
    if c.medicines.is_empty() {
        out.push_str("<p>None recorded.</p>\n");
    } else {
        out.push_str(
            "<table class=\"medicines\">\n<thead><tr><th>Medicine</th><th>Dose</th><th>Since</th>\
             <th>Note</th></tr></thead>\n<tbody>\n",
        );
        for m in &c.medicines {
            let mut notes: Vec<String> = m
                .marks
                .iter()
                .map(|mark| format!("<span class=\"flag\">⚠ {}</span>", escape(mark)))
                .collect();
            if let Some(o) = &m.outcome {
                notes.push(escape(o));
            }
            let _ = writeln!(
                out,
                "<tr><td>{}{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                if m.flagged { "⚠ " } else { "" },
                escape(&m.name),
                m.dose.as_deref().map(escape).unwrap_or_default(),
                m.since.map(|d| d.to_string()).unwrap_or_default(),
                notes.join("; ")
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");

    if !c.tried.is_empty() {
        out.push_str(
            "<section>\n<h2>Tried so far</h2>\n<table class=\"tried\">\n<thead><tr><th>Treatment</th>\
             <th>When</th><th>How it went</th></tr></thead>\n<tbody>\n",
        );
        for t in &c.tried {
            let outcome = if t.failed {
                format!("<span class=\"flag\">{}</span>", escape(&t.outcome))
            } else {
                escape(&t.outcome)
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{outcome}</td></tr>",
                escape(&t.what),
                escape(&t.when)
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    if !c.cautions.is_empty() {
        out.push_str("<section>\n<h2>Cautions</h2>\n");
        for w in &c.cautions {
            let _ = writeln!(
                out,
                "<p class=\"caution {}\"><span class=\"title\">{}.</span> {}{}</p>",
                escape(&w.level),
                escape(&w.title),
                escape(&w.text),
                refs(&w.refs)
            );
        }
        out.push_str("</section>\n");
    }

    if !c.requests.is_empty() {
        out.push_str("<section>\n<h2>What I would like to discuss</h2>\n<ol class=\"requests\">\n");
        for r in &c.requests {
            request(&mut out, r);
        }
        out.push_str("</ol>\n");
        if let Some(note) = &c.opioid_note {
            let _ = writeln!(
                out,
                "<div class=\"note\"><span class=\"title\">{}.</span> {}{}</div>",
                escape(&note.title),
                escape(&note.text),
                refs(&note.refs)
            );
        }
        out.push_str("</section>\n");
    }

    if !c.charts.is_empty() {
        out.push_str("<section>\n<h2>Over time</h2>\n");
        for f in &c.charts {
            // The SVG is generated by `crate::chart`, which escapes its own text.
            let _ = writeln!(
                out,
                "<figure role=\"img\" aria-label=\"{}\">\n{}\n</figure>",
                escape(&f.title),
                f.svg.trim()
            );
        }
        out.push_str("</section>\n");
    }

    if !c.follow_up.is_empty() || !c.self_care.is_empty() {
        out.push_str("<section>\n<h2>Follow-up and self-care</h2>\n<ul>\n");
        for d in &c.follow_up {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong>: {}{}</li>",
                d.date,
                escape(&d.title),
                if d.detail.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"small\">{}</span>", escape(&d.detail))
                }
            );
        }
        for s in &c.self_care {
            let _ = writeln!(out, "<li>{}</li>", escape(s));
        }
        out.push_str("</ul>\n</section>\n");
    }

    if !c.not_known.is_empty() {
        out.push_str("<section>\n<h2>Notes</h2>\n<ul>\n");
        for n in &c.not_known {
            let _ = writeln!(out, "<li>{}</li>", escape(n));
        }
        out.push_str("</ul>\n</section>\n");
    }

    let _ = writeln!(out, "<p>{}</p>", escape(&c.closing));
    if let Some(sig) = &c.signature {
        let _ = writeln!(out, "<p>{}</p>", escape(sig));
    }

    if !c.references.is_empty() {
        out.push_str("<section>\n<h2>References</h2>\n<ol class=\"references\">\n");
        for r in &c.references {
            let _ = writeln!(
                out,
                "<li value=\"{}\">{} <a href=\"{url}\">{url}</a></li>",
                r.number,
                escape(&r.citation),
                url = escape(&r.url)
            );
        }
        out.push_str("</ol>\n</section>\n");
    }

    let _ = writeln!(
        out,
        "<footer>\n<p>{}</p>\n<p>{}</p>\n</footer>\n</main>\n</body>\n</html>",
        escape(&c.basis),
        escape(&c.disclaimer)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
