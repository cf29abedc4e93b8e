//! The results table: one [`Row`] per figure, with its baseline, ratio, target and whether the
//! target is met. Benchmarks report; they never fail for being slow.

use std::fmt::Write as _;

/// What a figure measures, which decides how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A size in bytes, printed in KB (1000 bytes, like the targets).
    Bytes,
    /// A size in bytes, printed in MB (1 000 000 bytes, like the targets).
    MemoryBytes,
    /// A duration in milliseconds.
    Millis,
    /// A duration in nanoseconds (micro-benchmarks).
    Nanos,
    /// Requests per second.
    PerSecond,
    /// A count (connections, open files).
    Count,
}

impl Unit {
    /// `value` written in this unit, e.g. `182.4 KB`, `3.21 ms`.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Bytes => format!("{:.1} KB", value / 1000.0),
            Unit::MemoryBytes => format!("{:.1} MB", value / 1_000_000.0),
            Unit::Millis if value < 10.0 => format!("{value:.2} ms"),
            Unit::Millis => format!("{value:.1} ms"),
            Unit::Nanos if value >= 10_000.0 => format!("{:.1} µs", value / 1000.0),
            Unit::Nanos => format!("{value:.0} ns"),
            Unit::PerSecond => format!("{value:.0}/s"),
            Unit::Count => format!("{value:.0}"),
        }
    }
}

/// The target a row is checked against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// The value must not exceed this (in the row's unit's base: bytes, ms, …).
    ValueAtMost(f64),
    /// The ratio value/baseline must not exceed this.
    RatioAtMost(f64),
    /// The ratio value/baseline must reach at least this.
    RatioAtLeast(f64),
    /// No target: the figure is for information.
    None,
}

/// Whether a row meets its goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The target is met.
    Met,
    /// The target is missed (reported, not a failure).
    Missed,
    /// No target.
    Info,
    /// Not measured in this run, with the reason.
    Skipped(String),
    /// The measurement could not be made, with the reason: the benchmark itself is broken.
    Failed(String),
    /// Measured in a smoke run (debug builds, tiny inputs): not compared with the target.
    Unchecked,
}

impl Status {
    fn label(&self) -> String {
        match self {
            Status::Met => "met".to_owned(),
            Status::Missed => "MISSED".to_owned(),
            Status::Info => "info".to_owned(),
            Status::Skipped(why) => format!("skipped: {why}"),
            Status::Failed(why) => format!("FAILED: {why}"),
            Status::Unchecked => "ran (smoke: target not checked)".to_owned(),
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is measured, e.g. `proxy req/s, 8 connections`.
    pub metric: String,
    /// The measured figure (median), if measured.
    pub value: Option<f64>,
    /// The same figure for the baseline, measured in the same run.
    pub baseline: Option<f64>,
    /// What the baseline is, e.g. `nginx`.
    pub baseline_name: String,
    /// How the figures are printed.
    pub unit: Unit,
    /// The target, in words, e.g. `≤ 2× baseline`.
    pub target: String,
    /// The target, checked.
    pub goal: Goal,
    /// Set when the row could not be measured.
    pub problem: Option<Status>,
}

impl Row {
    /// A measured row.
    pub fn new(metric: impl Into<String>, unit: Unit, value: f64) -> Self {
        Row {
            metric: metric.into(),
            value: Some(value),
            baseline: None,
            baseline_name: String::new(),
            unit,
            target: "—".to_owned(),
            goal: Goal::None,
            problem: None,
        }
    }

    /// A row that could not be measured (`status` is [`Status::Skipped`] or [`Status::Failed`]).
    pub fn unmeasured(
        metric: impl Into<String>,
        unit: Unit,
        target: impl Into<String>,
        status: Status,
    ) -> Self {
        Row {
            target: target.into(),
            problem: Some(status),
            value: None,
            ..Row::new(metric, unit, 0.0)
        }
    }

    /// Adds the baseline figure and its name.
    #[must_use]
    pub fn baseline(mut self, name: impl Into<String>, value: f64) -> Self {
        self.baseline_name = name.into();
        self.baseline = Some(value);
        self
    }

    /// Adds the target, in words and as a check.
    #[must_use]
    pub fn goal(mut self, words: impl Into<String>, goal: Goal) -> Self {
        self.target = words.into();
        self.goal = goal;
        self
    }

    /// value / baseline, when both are known and the baseline is not zero.
    pub fn ratio(&self) -> Option<f64> {
        match (self.value, self.baseline) {
            (Some(value), Some(baseline)) if baseline != 0.0 => Some(value / baseline),
            _ => None,
        }
    }

    /// Marks a measured row as not compared with its target (smoke runs).
    #[must_use]
    pub fn unchecked(mut self) -> Self {
        if self.problem.is_none() {
            self.problem = Some(Status::Unchecked);
        }
        self
    }

    /// The row's status.
    pub fn status(&self) -> Status {
        if let Some(problem) = &self.problem {
            return problem.clone();
        }
        let Some(value) = self.value else {
            return Status::Failed("no value".to_owned());
        };
        let met = match (self.goal, self.ratio()) {
            (Goal::None, _) => return Status::Info,
            (Goal::ValueAtMost(limit), _) => value <= limit,
            (Goal::RatioAtMost(limit), Some(ratio)) => ratio <= limit,
            (Goal::RatioAtLeast(limit), Some(ratio)) => ratio >= limit,
            (Goal::RatioAtMost(_) | Goal::RatioAtLeast(_), None) => {
                return Status::Failed("no baseline to compare with".to_owned());
            }
        };
        if met { Status::Met } else { Status::Missed }
    }

    fn cells(&self) -> [String; 6] {
        let value = self
            .value
            .map_or_else(|| "—".to_owned(), |v| self.unit.format(v));
        let baseline = match self.baseline {
            Some(b) => format!("{} ({})", self.unit.format(b), self.baseline_name),
            None => "—".to_owned(),
        };
        let ratio = self
            .ratio()
            .map_or_else(|| "—".to_owned(), |r| format!("{r:.2}×"));
        [
            self.metric.clone(),
            value,
            baseline,
            ratio,
            self.target.clone(),
            self.status().label(),
        ]
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const HEADERS: [&str; 6] = ["metric", "value", "baseline", "ratio", "target", "status"];

/// The rows as an aligned plain-text table.
pub fn text_table(rows: &[Row]) -> String {
    let cells: Vec<[String; 6]> = rows.iter().map(Row::cells).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = width.saturating_sub(cell.chars().count());
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&HEADERS.map(str::to_owned));
    out.push_str(&line(&widths.map(|w| "-".repeat(w))));
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}

/// The rows as a Markdown table (for BENCHMARKS.md).
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = format!(
        "| {} |\n|{}\n",
        HEADERS.join(" | "),
        "---|".repeat(HEADERS.len())
    );
    for row in rows {
        let cells = row.cells().map(|c| c.replace('|', "\\|"));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_goals_compare_value_with_baseline() {
        let faster = Row::new("req/s", Unit::PerSecond, 900.0)
            .baseline("nginx", 1000.0)
            .goal("≥ 0.8× nginx", Goal::RatioAtLeast(0.8));
        assert_eq!(faster.status(), Status::Met);
        let slower = Row {
            value: Some(700.0),
            ..faster
        };
        assert_eq!(slower.status(), Status::Missed);
        let slow_page = Row::new("tti", Unit::Millis, 250.0)
            .baseline("counter", 100.0)
            .goal("≤ 2×", Goal::RatioAtMost(2.0));
        assert_eq!(slow_page.status(), Status::Missed);
    }

    #[test]
    fn value_goals_ignore_the_baseline() {
        let row =
            Row::new("gzip", Unit::Bytes, 150_000.0).goal("≤ 200 KB", Goal::ValueAtMost(200_000.0));
        assert_eq!(row.status(), Status::Met);
        assert_eq!(
            Row {
                value: Some(200_001.0),
                ..row
            }
            .status(),
            Status::Missed
        );
    }

    #[test]
    fn a_ratio_goal_without_baseline_is_a_failure_not_a_pass() {
        let row = Row::new("tti", Unit::Millis, 10.0).goal("≤ 2×", Goal::RatioAtMost(2.0));
        assert!(matches!(row.status(), Status::Failed(_)));
    }

    #[test]
    fn smoke_rows_are_not_checked_but_failures_stay_failures() {
        let slow = Row::new("tti", Unit::Millis, 900.0)
            .baseline("counter", 100.0)
            .goal("≤ 2×", Goal::RatioAtMost(2.0));
        assert_eq!(slow.clone().unchecked().status(), Status::Unchecked);
        let broken = Row::unmeasured(
            "tti",
            Unit::Millis,
            "≤ 2×",
            Status::Failed("no browser".to_owned()),
        );
        assert_eq!(
            broken.unchecked().status(),
            Status::Failed("no browser".to_owned())
        );
    }

    #[test]
    fn unmeasured_rows_keep_their_reason() {
        let row = Row::unmeasured(
            "nginx",
            Unit::PerSecond,
            "—",
            Status::Skipped("not installed".to_owned()),
        );
        assert_eq!(row.status(), Status::Skipped("not installed".to_owned()));
        assert!(text_table(&[row]).contains("skipped: not installed"));
    }

    #[test]
    fn tables_align_and_escape() {
        let rows = [
            Row::new("a", Unit::Millis, 1.5)
                .baseline("b|c", 3.0)
                .goal("≤ 2×", Goal::RatioAtMost(2.0)),
            Row::new("longer metric", Unit::Bytes, 123_456.0),
        ];
        let text = text_table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        // Every value column starts at the same offset.
        let offset = lines[0].find("value").expect("header");
        assert_eq!(lines[2].find("1.50 ms"), Some(offset));
        assert_eq!(lines[3].find("123.5 KB"), Some(offset));
        assert!(text.contains("0.50×"));
        let markdown = markdown_table(&rows);
        assert!(markdown.contains("b\\|c"), "{markdown}");
        assert_eq!(markdown.lines().count(), 4);
    }

    #[test]
    fn dates_from_day_counts() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn units_print_readably() {
        assert_eq!(Unit::Bytes.format(199_500.0), "199.5 KB");
        assert_eq!(Unit::MemoryBytes.format(15_040_000.0), "15.0 MB");
        assert_eq!(Unit::Millis.format(3.214), "3.21 ms");
        assert_eq!(Unit::Millis.format(31.26), "31.3 ms");
        assert_eq!(Unit::Nanos.format(812.4), "812 ns");
        assert_eq!(Unit::Nanos.format(12_500.0), "12.5 µs");
        assert_eq!(Unit::PerSecond.format(1234.4), "1234/s");
    }
}
