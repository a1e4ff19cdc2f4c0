//! SVG charts of a record over time: iron (ferritin and TSAT) and the symptom
//! diary (severity and onset time).
//!
//! Honest charts: one circle per measurement and no line invented between
//! sparse measurements; nothing dated after `as_of`; a series with fewer than
//! [`MIN_POINTS`] points says "Not enough data yet". Threshold lines are the
//! numbers the rules use (`knowledge/thresholds.toml`), so the picture and the
//! plan cannot disagree. Hand-written SVG 1.1, no clock and no randomness:
//! the same record and date give the same bytes.

use std::fmt::{self, Write as _};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Timelike};
use willis_core::knowledge::Knowledge;
use willis_core::record::LabResult;
use willis_core::units::LabTest;
use willis_core::Record;

/// A rendered chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// A complete, standalone SVG document (`<svg xmlns=…>…</svg>`).
    pub svg: String,
    /// Data points drawn: the number of `<circle>` elements in `svg`.
    pub points: usize,
    /// At least one series has [`MIN_POINTS`] points or more, so the chart
    /// shows a trend. Each series below that says [`NOT_ENOUGH_DATA`].
    pub enough_data: bool,
}

/// Fewer points than this in a series is not a trend.
pub const MIN_POINTS: usize = 3;
/// What a series with too few points says.
pub const NOT_ENOUGH_DATA: &str = "Not enough data yet";

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
/// The plot area's left and right edges; the margins hold tick and threshold labels.
const LEFT: f64 = 52.0;
const RIGHT: f64 = 572.0;
/// Inner padding so that a point on the first or last day is not cut by the frame.
const PAD: f64 = 10.0;
/// The shortest date axis of the iron chart, in days: at least two month ticks.
const IRON_MIN_SPAN_DAYS: i64 = 91;
/// The shortest date axis of the diary chart, in days: six weeks.
const DIARY_MIN_SPAN_DAYS: i64 = 42;
/// Shorter axes than this have weekly ticks, longer ones monthly ticks.
const WEEKLY_BELOW_DAYS: i64 = 80;
const AXIS_LABEL_Y: f64 = 257.0;

const FERRITIN_COLOUR: &str = "#1f5fa8";
const TSAT_COLOUR: &str = "#b8520f";
const SEVERITY_COLOUR: &str = "#a3243b";
const ONSET_COLOUR: &str = "#5b3a9e";
const INFUSION_COLOUR: &str = "#1d7a3a";
const ORAL_FILL: &str = "#f1e3b3";
const THRESHOLD_COLOUR: &str = "#777777";
const GRID_COLOUR: &str = "#e6e6e6";
const FRAME_COLOUR: &str = "#b0b0b0";
const TEXT_COLOUR: &str = "#333333";
const NOTE_COLOUR: &str = "#555555";

/// Ferritin (µg/L) and TSAT (%) over time, in two panels that share the date
/// axis, with the rules' threshold lines ([`willis_core::iron_thresholds`]),
/// IV infusions as labelled vertical lines and oral iron courses
/// shaded from start to stop (or to `as_of`). TSAT comes from
/// [`willis_core::tsat_series`] (reported, or derived from iron and TIBC or
/// transferrin drawn on the same day), and a derived point says so.
pub fn iron_chart(record: &Record, as_of: NaiveDate) -> Chart {
    let mut ferritin: Vec<Point> = labs(record, LabTest::Ferritin, as_of)
        .map(|l| Point {
            date: l.date,
            value: l.value,
            label: format!("{}: ferritin {} µg/L", l.date, num(l.value)),
            hollow: false,
        })
        .collect();
    let mut tsat = tsat_points(record, as_of);
    // Iron given wherever the record wrote it (an infusion on the medicine
    // list too), as the engine counts it.
    let given = willis_core::iron_given(record, as_of);
    mark_post_infusion(&given.infusions, &mut ferritin);
    mark_post_infusion(&given.infusions, &mut tsat);
    let infusions: Vec<_> = given.infusions.iter().collect();
    let courses: Vec<_> = given.oral_courses.iter().collect();

    let axis = TimeAxis::new(
        ferritin
            .iter()
            .chain(&tsat)
            .map(|p| p.date)
            .chain(infusions.iter().map(|i| i.date))
            .chain(courses.iter().map(|c| c.started)),
        as_of,
        IRON_MIN_SPAN_DAYS,
    );
    let thresholds = willis_core::iron_thresholds();

    let ferritin_top = nice_top(
        max_of(ferritin.iter().map(|p| p.value)).max(max_of(thresholds.ferritin.iter().copied())),
        &[
            50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0,
        ],
    );
    let tsat_top = nice_top(
        max_of(tsat.iter().map(|p| p.value)).max(max_of(thresholds.tsat.iter().copied())),
        &[10.0, 20.0, 25.0],
    );
    let ferritin_panel = Panel {
        top: 36.0,
        bottom: 146.0,
        at_top: ferritin_top.0,
        at_bottom: 0.0,
    };
    let tsat_panel = Panel {
        top: 171.0,
        bottom: 241.0,
        at_top: tsat_top.0,
        at_bottom: 0.0,
    };

    let title = "Iron: ferritin and transferrin saturation (TSAT) over time";
    let desc = iron_description(&ferritin, &tsat, &infusions, &courses, as_of);
    let mut svg = Svg::start("willis-iron-chart", title, &desc);

    // Oral iron courses first, so that everything else is drawn over them.
    for course in &courses {
        let end = course.stopped.map_or(as_of, |s| s.min(as_of));
        let x0 = axis.x(course.started.max(axis.start));
        let x1 = axis.x(end).max(x0 + 2.0);
        for panel in [&ferritin_panel, &tsat_panel] {
            svg.put(format_args!(
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{ORAL_FILL}" fill-opacity="0.6"/>"#,
                panel.top,
                x1 - x0,
                panel.bottom - panel.top
            ));
        }
        let what = course.product.as_deref().unwrap_or("oral iron");
        let until = course
            .stopped
            .filter(|s| *s <= as_of)
            .map_or_else(|| "ongoing".to_string(), |s| format!("to {s}"));
        svg.text_titled(
            x0 + 3.0,
            tsat_panel.bottom - 4.0,
            "start",
            9.0,
            TEXT_COLOUR,
            "oral iron",
            &format!("{what}: from {} {until}", course.started),
        );
    }

    svg.panel_frame(&axis, &ferritin_panel, "Ferritin, µg/L");
    svg.value_ticks(&ferritin_panel, ferritin_top.1);
    svg.panel_frame(&axis, &tsat_panel, "TSAT, %");
    svg.value_ticks(&tsat_panel, tsat_top.1);
    svg.thresholds(
        &ferritin_panel,
        &thresholds
            .ferritin
            .iter()
            .map(|v| (*v, format!("{} µg/L", num(*v))))
            .collect::<Vec<_>>(),
    );
    svg.thresholds(
        &tsat_panel,
        &thresholds
            .tsat
            .iter()
            .map(|v| (*v, format!("{} %", num(*v))))
            .collect::<Vec<_>>(),
    );

    for (n, infusion) in infusions.iter().enumerate() {
        let x = axis.x(infusion.date);
        svg.put(format_args!(
            r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{INFUSION_COLOUR}" stroke-width="1.5"/>"#,
            ferritin_panel.top, tsat_panel.bottom
        ));
        let (tx, anchor) = if x > RIGHT - 120.0 {
            (x - 3.0, "end")
        } else {
            (x + 3.0, "start")
        };
        // Alternate rows so that two infusions close together stay readable.
        let ty = ferritin_panel.top + 11.0 + 11.0 * (n % 2) as f64;
        let mut about = format!("IV iron on {}", infusion.date);
        if let Some(product) = &infusion.product {
            about.push_str(&format!(": {product}"));
        }
        if let Some(mg) = infusion.dose_mg {
            about.push_str(&format!(", {} mg", num(mg)));
        }
        svg.text_titled(
            tx,
            ty,
            anchor,
            9.0,
            INFUSION_COLOUR,
            &format!("IV iron {}", infusion.date),
            &about,
        );
    }

    if ferritin.iter().chain(&tsat).any(|p| p.hollow) {
        let window = Knowledge::get().common.post_infusion_blind_days;
        svg.text(
            RIGHT,
            ferritin_panel.top - 5.0,
            "end",
            9.0,
            TEXT_COLOUR,
            &format!("ring: drawn within {window} days of an infusion, reads falsely high"),
        );
    }
    svg.date_ticks(&axis);
    let mut points = 0;
    points += svg.series(&axis, &ferritin_panel, &ferritin, FERRITIN_COLOUR);
    points += svg.series(&axis, &tsat_panel, &tsat, TSAT_COLOUR);
    Chart {
        svg: svg.finish(),
        points,
        enough_data: ferritin.len() >= MIN_POINTS || tsat.len() >= MIN_POINTS,
    }
}

/// Diary severity (0–10) and onset time over time, in two panels that share
/// the date axis. The onset axis is an evening-centred clock running down from
/// 12:00 (or earlier, if an onset was earlier) to 06:00 the next morning, so an
/// onset that creeps earlier — a sign of augmentation — climbs visibly.
pub fn diary_chart(record: &Record, as_of: NaiveDate) -> Chart {
    let entries: Vec<_> = record.diary.iter().filter(|e| e.date <= as_of).collect();
    let parts = |e: &willis_core::record::DiaryEntry| {
        if e.body_parts.is_empty() {
            String::new()
        } else {
            let names: Vec<_> = e.body_parts.iter().map(|p| p.name()).collect();
            format!(" ({})", names.join(", "))
        }
    };
    let severity: Vec<Point> = entries
        .iter()
        .filter_map(|e| {
            e.severity.map(|s| Point {
                date: e.date,
                value: f64::from(s),
                label: format!("{}: severity {s}/10{}", e.date, parts(e)),
                hollow: false,
            })
        })
        .collect();
    let onset: Vec<Point> = entries
        .iter()
        .filter_map(|e| {
            e.onset_time.map(|t| Point {
                date: e.date,
                value: evening_minutes(t),
                label: format!("{}: onset {}{}", e.date, t.format("%H:%M"), parts(e)),
                hollow: false,
            })
        })
        .collect();

    let axis = TimeAxis::new(entries.iter().map(|e| e.date), as_of, DIARY_MIN_SPAN_DAYS);
    let severity_panel = Panel {
        top: 36.0,
        bottom: 116.0,
        at_top: 10.0,
        at_bottom: 0.0,
    };
    // Minutes after 06:00: 12:00 is 360, 06:00 next morning 1440. Whole hours
    // above the earliest onset, never lower than 12:00.
    let earliest = min_of(onset.iter().map(|p| p.value)).unwrap_or(NOON);
    let onset_panel = Panel {
        top: 141.0,
        bottom: 241.0,
        at_top: ((earliest / 60.0).floor() * 60.0).min(NOON),
        at_bottom: DAY_MINUTES,
    };

    let title = "Symptom diary: severity and onset time over time";
    let desc = diary_description(&severity, &onset, as_of);
    let mut svg = Svg::start("willis-diary-chart", title, &desc);
    svg.panel_frame(&axis, &severity_panel, "Severity, 0 (none) to 10 (worst)");
    svg.value_ticks(&severity_panel, 2.0);
    svg.panel_frame(
        &axis,
        &onset_panel,
        "Onset time (higher = earlier in the day)",
    );
    svg.clock_ticks(&onset_panel);
    svg.date_ticks(&axis);
    let mut points = 0;
    points += svg.series(&axis, &severity_panel, &severity, SEVERITY_COLOUR);
    points += svg.series(&axis, &onset_panel, &onset, ONSET_COLOUR);
    Chart {
        svg: svg.finish(),
        points,
        enough_data: severity.len() >= MIN_POINTS || onset.len() >= MIN_POINTS,
    }
}

const NOON: f64 = 360.0;
const DAY_MINUTES: f64 = 1440.0;

/// Minutes after 06:00 on the evening-centred clock (06:00 is 0, 05:59 is 1439).
fn evening_minutes(t: NaiveTime) -> f64 {
    f64::from((t.hour() * 60 + t.minute() + 24 * 60 - 6 * 60) % (24 * 60))
}

/// One measurement: a date, a value on its panel's scale, and what its
/// tooltip says.
struct Point {
    date: NaiveDate,
    value: f64,
    label: String,
    /// Drawn as a ring: a value the plan does not use (drawn too soon after an
    /// infusion).
    hollow: bool,
}

fn labs(record: &Record, test: LabTest, as_of: NaiveDate) -> impl Iterator<Item = &LabResult> {
    record
        .labs
        .iter()
        .filter(move |l| l.test == test && l.date <= as_of)
}

/// TSAT as reported, or else derived from iron and TIBC (or transferrin)
/// drawn on the same day, as the plan reads it ([`willis_core::tsat_series`]);
/// a derived value that cannot be real (above 100 %) is not drawn.
fn tsat_points(record: &Record, as_of: NaiveDate) -> Vec<Point> {
    willis_core::tsat_series(record, as_of)
        .into_iter()
        .filter(|r| r.plausible())
        .map(|r| Point {
            date: r.date,
            value: r.percent,
            label: if r.derived() {
                format!(
                    "{}: TSAT {} % ({})",
                    r.date,
                    num(r.percent),
                    r.basis.words()
                )
            } else {
                format!("{}: TSAT {} %", r.date, num(r.percent))
            },
            hollow: false,
        })
        .collect()
}

/// Rings instead of dots for iron values drawn within the post-infusion
/// window (`post_infusion_blind_days`), which read falsely high and which the
/// plan does not act on.
fn mark_post_infusion(infusions: &[willis_core::record::IvInfusion], points: &mut [Point]) {
    let window = Knowledge::get().common.post_infusion_blind_days;
    for p in points.iter_mut() {
        if willis_core::interpret::soon_after_infusion(infusions, p.date) {
            p.hollow = true;
            p.label.push_str(&format!(
                " (within {window} days of an infusion: reads falsely high, not used by the plan)"
            ));
        }
    }
}

fn max_of(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, f64::max)
}

fn min_of(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.reduce(f64::min)
}

/// The top of a value axis starting at 0: room above `max`, rounded up to a
/// whole number of the smallest step (from `steps`, then doublings of the
/// last) that needs at most five intervals. Returns (top, step).
fn nice_top(max: f64, steps: &[f64]) -> (f64, f64) {
    let want = (max * 1.1).max(1.0);
    if !want.is_finite() {
        return (1.0, 1.0);
    }
    let mut step = steps.first().copied().unwrap_or(1.0);
    let mut given = steps.iter().copied().skip(1);
    // Doubling reaches `want / 5` after finitely many steps: `want` is finite.
    while (want / step).ceil() > 5.0 {
        step = given.next().unwrap_or(step * 2.0);
    }
    ((want / step).ceil() * step, step)
}

/// Dates to x positions: from the first date shown (at least `min_span_days`
/// before `as_of`) to `as_of`.
struct TimeAxis {
    start: NaiveDate,
    end: NaiveDate,
}

impl TimeAxis {
    fn new(
        dates: impl Iterator<Item = NaiveDate>,
        as_of: NaiveDate,
        min_span_days: i64,
    ) -> TimeAxis {
        let earliest = as_of
            .checked_sub_signed(Duration::days(min_span_days))
            .unwrap_or(NaiveDate::MIN);
        let start = dates.fold(earliest, NaiveDate::min);
        TimeAxis { start, end: as_of }
    }

    fn x(&self, date: NaiveDate) -> f64 {
        let span = (self.end - self.start).num_days().max(1) as f64;
        let at = (date - self.start).num_days() as f64;
        LEFT + PAD + at / span * (RIGHT - LEFT - 2.0 * PAD)
    }

    /// Ticks and their labels, at most seven: Mondays ("2 Nov") on an axis
    /// shorter than [`WEEKLY_BELOW_DAYS`], else first days of months ("Nov
    /// 2026") every 1, 2, 3, 6 or 12 months or more (steps of 3 and more start
    /// on January; from 12 months on, labelled by year alone).
    fn ticks(&self) -> Vec<(NaiveDate, String)> {
        if (self.end - self.start).num_days() < WEEKLY_BELOW_DAYS {
            let weeks = (self.end - self.start).num_days() / 7 + 1;
            let step = (weeks + 6) / 7;
            let to_monday = (7 - i64::from(self.start.weekday().num_days_from_monday())) % 7;
            let monday = self.start.checked_add_signed(Duration::days(to_monday));
            return (0..)
                .map_while(|n| monday?.checked_add_signed(Duration::weeks(n * step)))
                .take_while(|d| *d <= self.end)
                .map(|d| (d, d.format("%-d %b").to_string()))
                .collect();
        }
        let index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
        let (first, last) = (index(self.start), index(self.end));
        let months = last - first;
        let mut step = 1;
        for s in [1, 2, 3, 6, 12, 24, 60, 120] {
            step = s;
            if months / s < 7 {
                break;
            }
        }
        let format = if step >= 12 { "%Y" } else { "%b %Y" };
        (first..=last)
            .filter(|m| m.rem_euclid(step) == 0)
            .filter_map(|m| {
                NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1)
            })
            .filter(|d| *d >= self.start && *d <= self.end)
            .map(|d| (d, d.format(format).to_string()))
            .collect()
    }
}

/// A horizontal band of the chart with a linear value scale.
struct Panel {
    top: f64,
    bottom: f64,
    /// The values at the top and bottom edges (top may be the smaller one).
    at_top: f64,
    at_bottom: f64,
}

impl Panel {
    fn y(&self, value: f64) -> f64 {
        let span = self.at_top - self.at_bottom;
        let share = if span == 0.0 {
            0.5
        } else {
            (value - self.at_bottom) / span
        };
        self.bottom - share * (self.bottom - self.top)
    }

    fn contains(&self, value: f64) -> bool {
        let (lo, hi) = if self.at_top < self.at_bottom {
            (self.at_top, self.at_bottom)
        } else {
            (self.at_bottom, self.at_top)
        };
        (lo..=hi).contains(&value)
    }
}

/// An SVG document being written.
struct Svg {
    out: String,
}

impl Svg {
    fn start(id: &str, title: &str, desc: &str) -> Svg {
        let mut svg = Svg { out: String::new() };
        svg.put(format_args!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="10">"#
        ));
        svg.put(format_args!(
            r#"<title id="{id}-title">{}</title>"#,
            escape(title)
        ));
        svg.put(format_args!(
            r#"<desc id="{id}-desc">{}</desc>"#,
            escape(desc)
        ));
        svg.put(format_args!(
            r#"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
        ));
        svg.put(format_args!(
            r#"<text x="8" y="17" font-size="13" font-weight="bold" fill="{TEXT_COLOUR}">{}</text>"#,
            escape(title)
        ));
        svg
    }

    /// Appends one line of markup.
    fn put(&mut self, markup: fmt::Arguments) {
        // Writing to a String never fails: fmt::Write for String always returns Ok.
        let _ = self.out.write_fmt(markup);
        self.out.push('\n');
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }

    fn text(&mut self, x: f64, y: f64, anchor: &str, size: f64, fill: &str, text: &str) {
        self.put(format_args!(
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}" fill="{fill}">{}</text>"#,
            escape(text)
        ));
    }

    /// A label over the plot, with a white halo and a tooltip.
    #[allow(clippy::too_many_arguments)]
    fn text_titled(
        &mut self,
        x: f64,
        y: f64,
        anchor: &str,
        size: f64,
        fill: &str,
        text: &str,
        tooltip: &str,
    ) {
        self.put(format_args!(
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" stroke="white" stroke-width="3" paint-order="stroke"><title>{}</title>{}</text>"#,
            escape(tooltip),
            escape(text)
        ));
    }

    fn panel_frame(&mut self, axis: &TimeAxis, panel: &Panel, label: &str) {
        self.put(format_args!(
            r#"<text x="{LEFT}" y="{:.1}" font-size="11" font-weight="bold" fill="{TEXT_COLOUR}">{}</text>"#,
            panel.top - 5.0,
            escape(label)
        ));
        for (tick, _) in axis.ticks() {
            let x = axis.x(tick);
            self.put(format_args!(
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{GRID_COLOUR}"/>"#,
                panel.top, panel.bottom
            ));
        }
        self.put(format_args!(
            r#"<rect x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="{FRAME_COLOUR}"/>"#,
            panel.top,
            RIGHT - LEFT,
            panel.bottom - panel.top
        ));
    }

    /// Grid lines and labels every `step` from the bottom value up.
    fn value_ticks(&mut self, panel: &Panel, step: f64) {
        let mut value = panel.at_bottom;
        while value <= panel.at_top + step * 1e-9 {
            let y = panel.y(value);
            if value > panel.at_bottom {
                self.grid(y);
            }
            self.text(LEFT - 4.0, y + 3.5, "end", 10.0, TEXT_COLOUR, &num(value));
            value += step;
        }
    }

    /// Clock labels every three hours on an evening-centred panel.
    fn clock_ticks(&mut self, panel: &Panel) {
        let mut minutes = (panel.at_top / 180.0).ceil() * 180.0;
        while minutes <= panel.at_bottom {
            let y = panel.y(minutes);
            if minutes > panel.at_top && minutes < panel.at_bottom {
                self.grid(y);
            }
            // Whole minutes below 1440: exact in f64.
            let clock = ((minutes as u32) / 60 + 6) % 24;
            self.text(
                LEFT - 4.0,
                y + 3.5,
                "end",
                10.0,
                TEXT_COLOUR,
                &format!("{clock:02}:00"),
            );
            minutes += 180.0;
        }
    }

    fn grid(&mut self, y: f64) {
        self.put(format_args!(
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{RIGHT}" y2="{y:.1}" stroke="{GRID_COLOUR}"/>"#
        ));
    }

    /// Dashed threshold lines, labelled in the right margin; labels that would
    /// touch are pushed apart.
    fn thresholds(&mut self, panel: &Panel, lines: &[(f64, String)]) {
        let mut last_label_y = f64::INFINITY;
        // From the bottom up, so each label moves up from the one below.
        for (value, label) in lines.iter().filter(|(v, _)| panel.contains(*v)) {
            let y = panel.y(*value);
            self.put(format_args!(
                r#"<line x1="{LEFT}" y1="{y:.1}" x2="{RIGHT}" y2="{y:.1}" stroke="{THRESHOLD_COLOUR}" stroke-width="1" stroke-dasharray="5 3"><title>{}</title></line>"#,
                escape(&format!("threshold {label}"))
            ));
            let label_y = (y + 3.5).min(last_label_y - 11.0);
            last_label_y = label_y;
            self.text(RIGHT + 4.0, label_y, "start", 10.0, THRESHOLD_COLOUR, label);
        }
    }

    fn date_ticks(&mut self, axis: &TimeAxis) {
        for (tick, label) in axis.ticks() {
            self.text(
                axis.x(tick),
                AXIS_LABEL_Y,
                "middle",
                10.0,
                TEXT_COLOUR,
                &label,
            );
        }
    }

    /// The points of one series as circles, or the "not enough data" note (and
    /// whatever points there are) below [`MIN_POINTS`]. Returns the circles drawn.
    fn series(&mut self, axis: &TimeAxis, panel: &Panel, points: &[Point], colour: &str) -> usize {
        if points.len() < MIN_POINTS {
            self.put(format_args!(
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="{NOTE_COLOUR}" stroke="white" stroke-width="4" paint-order="stroke">{NOT_ENOUGH_DATA}</text>"#,
                (LEFT + RIGHT) / 2.0,
                (panel.top + panel.bottom) / 2.0 + 4.0,
            ));
        }
        for p in points {
            let (fill, stroke) = if p.hollow {
                ("white", colour)
            } else {
                (colour, "white")
            };
            self.put(format_args!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"><title>{}</title></circle>"#,
                axis.x(p.date),
                panel.y(p.value),
                escape(&p.label)
            ));
        }
        points.len()
    }
}

fn iron_description(
    ferritin: &[Point],
    tsat: &[Point],
    infusions: &[&willis_core::record::IvInfusion],
    courses: &[&willis_core::record::OralCourse],
    as_of: NaiveDate,
) -> String {
    let mut parts = vec![
        series_summary("Ferritin", ferritin, |v| format!("{} µg/L", num(v))),
        series_summary("TSAT", tsat, |v| format!("{} %", num(v))),
    ];
    if !infusions.is_empty() {
        let dates: Vec<String> = infusions.iter().map(|i| i.date.to_string()).collect();
        parts.push(format!("IV iron infusions on {}.", dates.join(", ")));
    }
    for c in courses {
        let until = c
            .stopped
            .filter(|s| *s <= as_of)
            .map_or_else(|| "ongoing".to_string(), |s| format!("to {s}"));
        parts.push(format!("Oral iron from {} {until}.", c.started));
    }
    parts.push(format!("Data up to {as_of}."));
    parts.join(" ")
}

fn diary_description(severity: &[Point], onset: &[Point], as_of: NaiveDate) -> String {
    let clock = |v: f64| {
        // Minutes after 06:00, whole and below 1440.
        let m = (v as u32 + 6 * 60) % (24 * 60);
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    [
        series_summary("Severity", severity, |v| format!("{}/10", num(v))),
        series_summary("Onset", onset, clock),
        format!("Data up to {as_of}."),
    ]
    .join(" ")
}

fn series_summary(name: &str, points: &[Point], show: impl Fn(f64) -> String) -> String {
    match (points.first(), points.last()) {
        (Some(first), Some(last)) if points.len() > 1 => format!(
            "{name}: {} points from {} ({}) to {} ({}).",
            points.len(),
            first.date,
            show(first.value),
            last.date,
            show(last.value)
        ),
        (Some(only), _) => format!("{name}: one point, {} ({}).", only.date, show(only.value)),
        _ => format!("{name}: no data."),
    }
}

/// A value as people write it: whole numbers without decimals, else one decimal.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Escapes text for XML character data and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evening_clock_puts_noon_above_midnight() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(evening_minutes(t(6, 0)), 0.0);
        assert_eq!(evening_minutes(t(12, 0)), NOON);
        assert_eq!(evening_minutes(t(0, 0)), 1080.0);
        assert_eq!(evening_minutes(t(5, 59)), 1439.0);
        assert!(evening_minutes(t(19, 30)) < evening_minutes(t(21, 0)));
    }

    #[test]
    fn nice_tops() {
        assert_eq!(nice_top(300.0, &[50.0, 100.0, 200.0]), (400.0, 100.0));
        assert_eq!(nice_top(45.0, &[10.0, 20.0, 25.0]), (50.0, 10.0));
        let (top, step) = nice_top(90_000.0, &[50.0]);
        assert!(top >= 99_000.0 && top / step <= 5.0);
    }

    #[test]
    fn numbers_and_escapes() {
        assert_eq!(num(45.0), "45");
        assert_eq!(num(17.74), "17.7");
        assert_eq!(num(99.96), "100");
        assert_eq!(
            escape("a<b & \"c\"'\u{1}"),
            "a&lt;b &amp; &quot;c&quot;&apos;"
        );
    }

    #[test]
    fn ticks_by_week_month_or_year() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let dates = |axis: &TimeAxis| axis.ticks().into_iter().map(|t| t.0).collect::<Vec<_>>();
        let weeks = TimeAxis::new(std::iter::empty(), d(2026, 11, 22), DIARY_MIN_SPAN_DAYS);
        let ticks = weeks.ticks();
        assert_eq!(ticks.len(), 6);
        assert_eq!(ticks[0], (d(2026, 10, 12), "12 Oct".to_string()));
        assert!(ticks.iter().all(|t| t.0.weekday() == chrono::Weekday::Mon));
        let months = TimeAxis::new(std::iter::empty(), d(2026, 11, 22), IRON_MIN_SPAN_DAYS);
        assert_eq!(
            dates(&months),
            [d(2026, 9, 1), d(2026, 10, 1), d(2026, 11, 1)]
        );
        assert_eq!(months.ticks()[0].1, "Sep 2026");
        let years = TimeAxis::new([d(2020, 3, 5)].into_iter(), d(2026, 11, 22), 91);
        let ticks = years.ticks();
        assert!(ticks.len() <= 7 && ticks.iter().all(|t| t.0.month() == 1 && t.0.day() == 1));
        assert_eq!(ticks[0].1, "2021");
    }
}
