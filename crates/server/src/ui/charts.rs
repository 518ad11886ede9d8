//! Charts drawn on the server as inline SVG: no script, no library. The SVG holds only shapes
//! built from numbers and dates (never text a person typed), so it is inserted unescaped; the
//! page around it gives the labels and a text summary for screen readers.
//!
//! Colours come from `app.css` (classes on the shapes): the page's CSP allows no inline style.

use std::fmt::Write;

use jiff::civil::Date;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Width and height of a step chart's view box; it is stretched to its box, so strokes use
/// `vector-effect: non-scaling-stroke` and nothing round is drawn.
const STEP_W: f64 = 720.0;
const STEP_H: f64 = 160.0;

/// One day of a series: units, whether they rest on carried-forward (stale) usage; `None`
/// for a day with no data (not synced yet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DayPoint {
    pub day: Date,
    pub units: Option<Decimal>,
    pub stale: bool,
}

/// A step chart of daily units, and what the page prints around it.
#[derive(Debug, Clone)]
pub(crate) struct StepChart {
    pub svg: String,
    /// The top of the scale and its middle, as labels.
    pub top: String,
    pub middle: String,
    pub from: String,
    pub to: String,
    /// A sentence for people who do not see the chart.
    pub summary: String,
    pub stale_days: usize,
    pub has_data: bool,
}

/// Text for SVG markup (labels and tooltips are built from numbers and dates, escaped anyway).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A round number at or above `max` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × a power of ten), so
/// the scale reads well and the data fills most of the chart.
pub(crate) fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let exp = max.log10().floor();
    let base = 10f64.powf(exp);
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * base >= max - 1e-9 {
            return m * base;
        }
    }
    10.0 * base
}

/// A number of units as people read it: no trailing zeros, thousands grouped.
pub(crate) fn units_text(d: Decimal) -> String {
    let d = d.round_dp(2).normalize();
    let s = d.abs().to_string();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (s, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!(
        "{}{grouped}{}",
        if d.is_sign_negative() && !d.is_zero() {
            "−"
        } else {
            ""
        },
        frac.map(|f| format!(".{f}")).unwrap_or_default()
    )
}

fn scale_label(v: f64) -> String {
    units_text(Decimal::from_f64_retain(v).unwrap_or_default())
}

/// The step chart of `points` (one per day, in order).
pub(crate) fn step_chart(points: &[DayPoint]) -> StepChart {
    let n = points.len().max(1) as f64;
    let max = points
        .iter()
        .filter_map(|p| p.units)
        .map(f)
        .fold(0.0, f64::max);
    let top = nice_ceiling(max);
    let x = |i: usize| (i as f64) * STEP_W / n;
    let y = |v: f64| STEP_H - (v / top) * (STEP_H - 8.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart-svg step" viewBox="0 0 {STEP_W} {STEP_H}" preserveAspectRatio="none" aria-hidden="true" focusable="false">"#
    );
    for frac in [0.5, 1.0] {
        let gy = y(top * frac);
        let _ = write!(
            svg,
            r#"<line class="chart-grid" x1="0" x2="{STEP_W}" y1="{gy:.1}" y2="{gy:.1}"/>"#
        );
    }
    // Stale days: a band over the day, and a tick at the bottom.
    for (i, p) in points.iter().enumerate() {
        if p.stale {
            let (x0, w) = (x(i), STEP_W / n);
            let _ = write!(
                svg,
                r#"<g class="chart-stale"><title>{} rests on carried-forward usage</title><rect class="chart-stale-band" x="{x0:.2}" y="0" width="{w:.2}" height="{STEP_H}"/><rect class="chart-stale-tick" x="{x0:.2}" y="{:.1}" width="{w:.2}" height="6"/></g>"#,
                p.day,
                STEP_H - 6.0
            );
        }
    }
    // One path per run of days with data.
    let mut runs: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current: Vec<(usize, f64)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        match p.units {
            Some(u) => current.push((i, f(u))),
            None if !current.is_empty() => runs.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    for run in &runs {
        let mut line = String::new();
        for (k, (i, v)) in run.iter().enumerate() {
            let (x0, x1, yv) = (x(*i), x(i + 1), y(*v));
            if k == 0 {
                let _ = write!(line, "M{x0:.2} {yv:.2}");
            } else {
                let _ = write!(line, " V{yv:.2}");
            }
            let _ = write!(line, " H{x1:.2}");
        }
        let _ = write!(
            svg,
            r#"<path class="chart-area" d="{line} V{STEP_H} H{:.2} Z"/><path class="chart-line" d="{line}"/>"#,
            x(run[0].0)
        );
    }
    svg.push_str("</svg>");

    let with_data: Vec<&DayPoint> = points.iter().filter(|p| p.units.is_some()).collect();
    let stale_days = points.iter().filter(|p| p.stale).count();
    let summary = match (with_data.first(), with_data.last()) {
        (Some(first), Some(last)) => {
            let peak = with_data
                .iter()
                .filter_map(|p| p.units)
                .max()
                .unwrap_or_default();
            let low = with_data
                .iter()
                .filter_map(|p| p.units)
                .min()
                .unwrap_or_default();
            format!(
                "From {} to {}: {} units on the last day, between {} and {}{}.",
                first.day,
                last.day,
                units_text(last.units.unwrap_or_default()),
                units_text(low),
                units_text(peak),
                match stale_days {
                    0 => String::new(),
                    1 => "; 1 day rests on carried-forward usage".to_owned(),
                    n => format!("; {n} days rest on carried-forward usage"),
                }
            )
        }
        _ => "No units in this range yet.".to_owned(),
    };
    StepChart {
        svg,
        top: scale_label(top),
        middle: scale_label(top / 2.0),
        from: points
            .first()
            .map(|p| p.day.to_string())
            .unwrap_or_default(),
        to: points.last().map(|p| p.day.to_string()).unwrap_or_default(),
        summary,
        stale_days,
        has_data: !with_data.is_empty(),
    }
}

/// One bar of a bar chart: a solid part and, stacked on it, a lighter one (drafts).
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    /// Under the bar (a month, a day number); may be empty to leave a gap in the labels.
    pub label: String,
    pub solid: Decimal,
    pub light: Decimal,
    /// Drawn in the accent colour (this month).
    pub highlight: bool,
    /// Marked as resting on carried-forward usage.
    pub stale: bool,
    /// The tooltip.
    pub title: String,
}

/// A bar chart with labels under the bars and the value over them when `values` is set.
/// Uniformly scaled (its text stays round), so it suits a handful to a few dozen bars.
pub(crate) fn bar_chart(bars: &[Bar], values: bool) -> String {
    let (w, h, bottom, top_pad) = (360.0, 150.0, 18.0, if values { 16.0 } else { 6.0 });
    let n = bars.len().max(1) as f64;
    let max = bars
        .iter()
        .map(|b| f(b.solid + b.light.max(Decimal::ZERO)))
        .fold(0.0, f64::max);
    let top = nice_ceiling(max);
    let slot = w / n;
    let bw = (slot * 0.7).max(1.0);
    let plot = h - bottom - top_pad;
    let y = |v: f64| h - bottom - (v.max(0.0) / top) * plot;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart-svg bars" viewBox="0 0 {w} {h}" aria-hidden="true" focusable="false">"#
    );
    let base = h - bottom;
    let _ = write!(
        svg,
        r#"<line class="chart-axis" x1="0" x2="{w}" y1="{base}" y2="{base}"/>"#
    );
    let label_every = (bars.len() / 12).max(1);
    for (i, b) in bars.iter().enumerate() {
        let x0 = i as f64 * slot + (slot - bw) / 2.0;
        let solid_top = y(f(b.solid));
        let class = if b.highlight { "bar now" } else { "bar" };
        let _ = write!(
            svg,
            r#"<g class="{class}"><title>{}</title>"#,
            esc(&b.title)
        );
        if b.solid > Decimal::ZERO {
            let _ = write!(
                svg,
                r#"<rect class="bar-solid" x="{x0:.2}" y="{solid_top:.2}" width="{bw:.2}" height="{:.2}"/>"#,
                base - solid_top
            );
        }
        if b.light > Decimal::ZERO {
            let light_top = y(f(b.solid.max(Decimal::ZERO) + b.light));
            let _ = write!(
                svg,
                r#"<rect class="bar-light" x="{x0:.2}" y="{light_top:.2}" width="{bw:.2}" height="{:.2}"/>"#,
                solid_top - light_top
            );
        }
        if b.stale {
            let _ = write!(
                svg,
                r#"<rect class="chart-stale-tick" x="{x0:.2}" y="{:.1}" width="{bw:.2}" height="3"/>"#,
                base + 1.0
            );
        }
        let cx = x0 + bw / 2.0;
        if values {
            let total = b.solid + b.light;
            let vy = y(f(total)) - 4.0;
            let _ = write!(
                svg,
                r#"<text class="bar-value" x="{cx:.2}" y="{vy:.2}" text-anchor="middle">{}</text>"#,
                units_text(total.round())
            );
        }
        if !b.label.is_empty() && i % label_every == 0 {
            // Narrow bars: a label starts at its bar (the first and last stay inside).
            let (lx, anchor) = if slot >= 28.0 {
                (cx, "middle")
            } else if i + 1 == bars.len() {
                (x0 + bw, "end")
            } else {
                (x0, "start")
            };
            let _ = write!(
                svg,
                r#"<text class="bar-label" x="{lx:.2}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                h - 4.0,
                esc(&b.label)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: i8) -> Date {
        Date::constant(2026, 11, d)
    }

    #[test]
    fn scales_are_round() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(44.0), 50.0);
        assert_eq!(nice_ceiling(51.0), 60.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(101.0), 120.0);
        assert_eq!(nice_ceiling(1800.0), 2000.0);
    }

    #[test]
    fn units_read_well() {
        assert_eq!(units_text(Decimal::new(12345678, 2)), "123,456.78");
        assert_eq!(units_text(Decimal::new(440000, 4)), "44");
        assert_eq!(units_text(Decimal::new(-1500, 0)), "−1,500");
        assert_eq!(units_text(Decimal::ZERO), "0");
    }

    #[test]
    fn a_step_chart_marks_stale_days_and_gaps() {
        let points = vec![
            DayPoint {
                day: day(1),
                units: Some(Decimal::from(41)),
                stale: false,
            },
            DayPoint {
                day: day(2),
                units: Some(Decimal::from(44)),
                stale: true,
            },
            DayPoint {
                day: day(3),
                units: None,
                stale: false,
            },
        ];
        let c = step_chart(&points);
        assert!(c.has_data);
        assert_eq!(c.stale_days, 1);
        assert_eq!(c.top, "50");
        assert_eq!(c.middle, "25");
        assert_eq!(c.svg.matches("class=\"chart-line\"").count(), 1);
        assert!(c.svg.contains("2026-11-02 rests on carried-forward usage"));
        assert!(
            c.summary.contains("44 units on the last day"),
            "{}",
            c.summary
        );
        assert!(c.svg.starts_with("<svg") && c.svg.ends_with("</svg>"));
    }

    #[test]
    fn an_empty_chart_says_so() {
        let c = step_chart(&[]);
        assert!(!c.has_data);
        assert_eq!(c.summary, "No units in this range yet.");
    }

    #[test]
    fn bars_stack_drafts_on_posted() {
        let svg = bar_chart(
            &[Bar {
                label: "Nov".into(),
                solid: Decimal::from(100),
                light: Decimal::from(50),
                highlight: true,
                stale: false,
                title: "Nov".into(),
            }],
            true,
        );
        assert!(svg.contains("bar-solid") && svg.contains("bar-light"));
        assert!(svg.contains(">150<"));
        assert!(svg.contains("bar now"));
    }
}
