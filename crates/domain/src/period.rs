//! Billing periods: the calendar months of the tenant.
//!
//! Every invoice run closes one period, every rule quantity is computed over one period, and
//! every adjustment names the period it settles. A period is a civil year and month, with no
//! time zone: which month "today" is in is decided by the tenant's time zone before a
//! [`Period`] is made.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Earliest and latest years a period can have: those of [`jiff::civil::Date`].
const MIN_YEAR: i16 = -9999;
const MAX_YEAR: i16 = 9999;
/// The years a billing period may name ([`Period::parse_billing`]).
pub const BILLING_YEARS: (i16, i16) = (1900, 2999);

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// A period outside the years a tenant can bill.
    #[error("period {0:?} is out of range: billing periods are 1900-01 to 2999-12")]
    OutOfBillingRange(String),
    /// The text is not of the form `YYYY-MM`.
    #[error("invalid period {0:?}: expected a year and month such as 2026-11 (YYYY-MM)")]
    Syntax(String),
    /// The month is not 1..=12.
    #[error("invalid month {month} in period {year}-{month:02}: months are 01 to 12")]
    Month {
        /// Year as given.
        year: i64,
        /// Month as given.
        month: i64,
    },
    /// The year is outside the calendar unitbill supports.
    #[error("period year {0} is out of range (-9999 to 9999)")]
    Year(i64),
}

/// A calendar month of the tenant: what an invoice run closes and what a line is for.
///
/// Ordered chronologically. Serialized and displayed as `YYYY-MM` (`2026-11`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i16,
    month: i8,
}

impl Period {
    /// The period of a year and month (1..=12).
    pub fn new(year: i16, month: i8) -> Result<Period, PeriodError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(PeriodError::Year(year.into()));
        }
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month {
                year: year.into(),
                month: month.into(),
            });
        }
        Ok(Period { year, month })
    }

    /// Reads a period written `YYYY-MM`, as in URLs, the API and the CLI.
    ///
    /// Strict: exactly four year digits (an optional leading `-` for the far past) and two
    /// month digits, so one period has one spelling.
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let syntax = || PeriodError::Syntax(s.to_owned());
        let (negative, rest) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (year, month) = rest.split_once('-').ok_or_else(syntax)?;
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || month.len() != 2 || !all_digits(year) || !all_digits(month) {
            return Err(syntax());
        }
        let year: i16 = year.parse().map_err(|_| syntax())?;
        if negative && year == 0 {
            return Err(syntax()); // year 0 is written 0000
        }
        let month: i8 = month.parse().map_err(|_| syntax())?;
        Period::new(if negative { -year } else { year }, month)
    }

    /// Reads a period a tenant can bill: `YYYY-MM` with a year from 1900 to 2999. Input from
    /// people and scripts goes through this, so no request can name a period whose
    /// neighbours (the lookback, the next period of an advance charge) leave the calendar.
    pub fn parse_billing(s: &str) -> Result<Period, PeriodError> {
        let p = Period::parse(s)?;
        if !(BILLING_YEARS.0..=BILLING_YEARS.1).contains(&p.year) {
            return Err(PeriodError::OutOfBillingRange(s.to_owned()));
        }
        Ok(p)
    }

    /// The period a date falls in: the month a day of usage is billed with.
    pub fn of(date: Date) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    /// The year of the period.
    pub fn year(self) -> i16 {
        self.year
    }

    /// The month of the period, 1..=12.
    pub fn month(self) -> i8 {
        self.month
    }

    /// The first day: the day an `advance` period's count is taken for and from which terms
    /// take effect.
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).expect("a period's year and month are valid")
    }

    /// The last day: an `arrears` run closes the period after it.
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// D in DESIGN.md: the number of days every rule quantity is divided by (28..=31).
    pub fn days(self) -> i64 {
        self.first_day().days_in_month().into()
    }

    /// The following month, or `None` after 9999-12.
    pub fn checked_next(self) -> Option<Period> {
        self.checked_add_months(1)
    }

    /// The preceding month, or `None` before -9999-01.
    pub fn checked_prev(self) -> Option<Period> {
        self.checked_add_months(-1)
    }

    /// The following month: P+1, the period an `advance` contract charges when P closes.
    ///
    /// # Panics
    /// After 9999-12, the end of the supported calendar.
    pub fn next(self) -> Period {
        self.checked_next().expect("no period after 9999-12")
    }

    /// The preceding month: the lookback walks back with it.
    ///
    /// # Panics
    /// Before -9999-01, the start of the supported calendar.
    pub fn prev(self) -> Period {
        self.checked_prev().expect("no period before -9999-01")
    }

    /// The period `months` months later (earlier when negative), or `None` outside the
    /// supported calendar.
    pub fn checked_add_months(self, months: i32) -> Option<Period> {
        let index = i64::from(self.year) * 12 + i64::from(self.month - 1) + i64::from(months);
        let year = i16::try_from(index.div_euclid(12)).ok()?;
        let month = i8::try_from(index.rem_euclid(12) + 1).ok()?;
        Period::new(year, month).ok()
    }

    /// The period `months` months later (earlier when negative): e.g. the first of the N
    /// lookback periods is `charged.add_months(-N)`.
    ///
    /// # Panics
    /// Outside the supported calendar (-9999-01 to 9999-12).
    pub fn add_months(self, months: i32) -> Period {
        self.checked_add_months(months)
            .expect("period out of the supported calendar (-9999-01 to 9999-12)")
    }

    /// Months from `self` to `later` (negative when `later` is earlier): how far back an
    /// adjustment reaches.
    pub fn months_until(self, later: Period) -> i64 {
        (i64::from(later.year) - i64::from(self.year)) * 12
            + (i64::from(later.month) - i64::from(self.month))
    }

    /// Whether a day belongs to this period.
    pub fn contains(self, date: Date) -> bool {
        Period::of(date) == self
    }

    /// Every day of the period in order: the days the units of a rule are read for.
    pub fn dates(self) -> impl Iterator<Item = Date> + Clone {
        let days = self.first_day().days_in_month();
        (1..=days).map(move |day| {
            Date::new(self.year, self.month, day).expect("a day of the month is valid")
        })
    }

    /// The 0-based position of a day in the period (the index into a month of daily units),
    /// or `None` for a day of another period.
    pub fn day_index(self, date: Date) -> Option<usize> {
        self.contains(date)
            .then(|| usize::try_from(date.day() - 1).expect("days start at 1"))
    }
}

/// a(Q) in DESIGN.md: the days of `period` inside the inclusive contract range
/// `[start, end]` (`end` `None`: open-ended). A full month gives `period.days()`, a contract
/// starting on the 11th of a 30-day month gives 20, an end before the start gives 0.
pub fn days_inside(period: Period, start: Date, end: Option<Date>) -> i64 {
    let first = start.max(period.first_day());
    let last = end.map_or(period.last_day(), |end| end.min(period.last_day()));
    if first > last {
        0
    } else {
        // Both days are in `period`, so their distance is the difference of their days.
        i64::from(last.day() - first.day()) + 1
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year < 0 {
            f.write_str("-")?;
        }
        write!(f, "{:04}-{:02}", self.year.unsigned_abs(), self.month)
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({self})")
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Period::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn billing_periods_stay_inside_a_sane_calendar() {
        assert_eq!(Period::parse_billing("2026-11"), Ok(p("2026-11")));
        assert!(matches!(
            Period::parse_billing("9999-12"),
            Err(PeriodError::OutOfBillingRange(_))
        ));
        assert!(matches!(
            Period::parse_billing("0000-01"),
            Err(PeriodError::OutOfBillingRange(_))
        ));
        assert!(matches!(
            Period::parse_billing("2026-13"),
            Err(PeriodError::Month { .. })
        ));
    }

    #[test]
    fn parses_and_displays_yyyy_mm() {
        let period = p("2026-11");
        assert_eq!((period.year(), period.month()), (2026, 11));
        assert_eq!(period.to_string(), "2026-11");
        assert_eq!(format!("{period:?}"), "Period(2026-11)");
        assert_eq!("0987-01".parse::<Period>().unwrap().to_string(), "0987-01");
        assert_eq!(p("-0044-03").to_string(), "-0044-03");
        assert_eq!(p("-0044-03").year(), -44);
    }

    #[test]
    fn refuses_malformed_periods() {
        for bad in [
            "",
            "2026",
            "2026-1",
            "2026-011",
            "26-11",
            "2026/11",
            "2026-11-01",
            " 2026-11",
            "2026-11 ",
            "+2026-11",
            "-0000-01",
            "2026-+1",
            "２０２６-11",
            "2026--1",
        ] {
            assert_eq!(
                Period::parse(bad),
                Err(PeriodError::Syntax(bad.into())),
                "{bad:?}"
            );
        }
        assert_eq!(
            Period::parse("2026-13"),
            Err(PeriodError::Month {
                year: 2026,
                month: 13
            })
        );
        assert!(matches!(
            Period::parse("2026-00"),
            Err(PeriodError::Month { .. })
        ));
        assert_eq!(
            Period::parse("2026-13").unwrap_err().to_string(),
            "invalid month 13 in period 2026-13: months are 01 to 12"
        );
        assert_eq!(Period::new(10_000, 1), Err(PeriodError::Year(10_000)));
        assert!(Period::new(2026, 0).is_err());
    }

    #[test]
    fn serializes_as_a_string() {
        assert_eq!(serde_json::to_string(&p("2026-02")).unwrap(), "\"2026-02\"");
        let period: Period = serde_json::from_str("\"2025-12\"").unwrap();
        assert_eq!(period, p("2025-12"));
        assert!(serde_json::from_str::<Period>("\"2025-13\"").is_err());
        assert!(serde_json::from_str::<Period>("202512").is_err());
    }

    #[test]
    fn days_follow_the_calendar() {
        assert_eq!(p("2026-01").days(), 31);
        assert_eq!(p("2026-04").days(), 30);
        assert_eq!(p("2026-02").days(), 28);
        assert_eq!(p("2028-02").days(), 29);
        assert_eq!(p("2100-02").days(), 28);
        assert_eq!(p("2000-02").days(), 29);
        assert_eq!(p("2028-02").first_day(), date(2028, 2, 1));
        assert_eq!(p("2028-02").last_day(), date(2028, 2, 29));
    }

    #[test]
    fn months_roll_over_years() {
        assert_eq!(p("2026-12").next(), p("2027-01"));
        assert_eq!(p("2027-01").prev(), p("2026-12"));
        assert_eq!(p("2026-11").add_months(-3), p("2026-08"));
        assert_eq!(p("2026-11").add_months(-11), p("2025-12"));
        assert_eq!(p("2026-11").add_months(14), p("2028-01"));
        assert_eq!(p("2026-11").add_months(0), p("2026-11"));
        assert_eq!(p("2026-11").months_until(p("2028-01")), 14);
        assert_eq!(p("9999-12").checked_next(), None);
        assert_eq!(p("-9999-01").checked_prev(), None);
        assert_eq!(p("2026-01").checked_add_months(i32::MAX), None);
        assert_eq!(p("2026-01").checked_add_months(i32::MIN), None);
        assert!(p("2025-12") < p("2026-01"));
        assert_eq!(Period::of(date(2026, 3, 31)), p("2026-03"));
    }

    #[test]
    fn day_positions_in_a_period() {
        let period = p("2026-02");
        assert!(period.contains(date(2026, 2, 28)));
        assert!(!period.contains(date(2026, 3, 1)));
        assert!(!period.contains(date(2025, 2, 10)));
        assert_eq!(period.day_index(date(2026, 2, 1)), Some(0));
        assert_eq!(period.day_index(date(2026, 2, 28)), Some(27));
        assert_eq!(period.day_index(date(2026, 1, 31)), None);
        let dates: Vec<Date> = period.dates().collect();
        assert_eq!(dates.len(), 28);
        assert_eq!(dates[0], date(2026, 2, 1));
        assert_eq!(dates[27], date(2026, 2, 28));
    }

    #[test]
    fn days_inside_counts_the_contract_days_of_a_period() {
        let nov = p("2026-11"); // 30 days
        assert_eq!(days_inside(nov, date(2020, 1, 1), None), 30);
        assert_eq!(days_inside(nov, date(2026, 11, 11), None), 20);
        assert_eq!(days_inside(nov, date(2026, 11, 30), None), 1);
        assert_eq!(days_inside(nov, date(2026, 12, 1), None), 0);
        assert_eq!(
            days_inside(nov, date(2026, 1, 1), Some(date(2026, 11, 10))),
            10
        );
        assert_eq!(
            days_inside(nov, date(2026, 1, 1), Some(date(2026, 11, 1))),
            1
        );
        assert_eq!(
            days_inside(nov, date(2026, 1, 1), Some(date(2026, 10, 31))),
            0
        );
        assert_eq!(
            days_inside(nov, date(2026, 11, 5), Some(date(2026, 11, 24))),
            20
        );
        assert_eq!(
            days_inside(nov, date(2026, 11, 5), Some(date(2026, 11, 5))),
            1
        );
        // An end before the start is an empty contract.
        assert_eq!(
            days_inside(nov, date(2026, 11, 20), Some(date(2026, 11, 10))),
            0
        );
        assert_eq!(days_inside(p("2028-02"), date(2028, 2, 15), None), 15);
    }

    fn periods() -> impl Strategy<Value = Period> {
        (1i16..=9998, 1i8..=12).prop_map(|(y, m)| Period::new(y, m).unwrap())
    }

    fn dates_around(period: Period) -> impl Strategy<Value = Date> {
        let first = period.add_months(-2).first_day();
        (0i64..150).prop_map(move |offset| {
            first
                .checked_add(jiff::Span::new().days(offset))
                .expect("in range")
        })
    }

    proptest! {
        #[test]
        fn next_and_prev_round_trip(period in periods()) {
            prop_assert_eq!(period.next().prev(), period);
            prop_assert_eq!(period.prev().next(), period);
            prop_assert!(period < period.next());
            prop_assert_eq!(period.next().first_day(), period.last_day().tomorrow().unwrap());
        }

        #[test]
        fn add_months_composes(period in periods(), a in -500i32..500, b in -500i32..500) {
            let (Some(ab), Some(a_then_b)) = (
                period.checked_add_months(a + b),
                period.checked_add_months(a).and_then(|x| x.checked_add_months(b)),
            ) else {
                return Ok(());
            };
            prop_assert_eq!(ab, a_then_b);
            prop_assert_eq!(period.months_until(ab), i64::from(a + b));
        }

        #[test]
        fn twelve_months_make_a_year(year in 1i16..=9999) {
            let total: i64 = (1..=12).map(|m| Period::new(year, m).unwrap().days()).sum();
            let first = Period::new(year, 1).unwrap().first_day();
            prop_assert_eq!(total, i64::from(first.days_in_year()));
            prop_assert!(total == 365 || total == 366);
        }

        #[test]
        fn dates_are_the_consecutive_days_of_the_period(period in periods()) {
            let dates: Vec<Date> = period.dates().collect();
            prop_assert_eq!(dates.len() as i64, period.days());
            prop_assert!((28..=31).contains(&period.days()));
            prop_assert_eq!(dates[0], period.first_day());
            prop_assert_eq!(*dates.last().unwrap(), period.last_day());
            for pair in dates.windows(2) {
                prop_assert_eq!(pair[0].tomorrow().unwrap(), pair[1]);
            }
            for (i, day) in dates.iter().enumerate() {
                prop_assert_eq!(period.day_index(*day), Some(i));
                prop_assert_eq!(Period::of(*day), period);
            }
        }

        #[test]
        fn display_and_parse_round_trip(year in -9999i16..=9999, month in 1i8..=12) {
            let period = Period::new(year, month).unwrap();
            prop_assert_eq!(Period::parse(&period.to_string()), Ok(period));
        }

        #[test]
        fn days_inside_is_the_count_of_contract_days(
            (period, start, end) in periods().prop_flat_map(|period| {
                (Just(period), dates_around(period), proptest::option::of(dates_around(period)))
            })
        ) {
            let inside = days_inside(period, start, end);
            prop_assert!((0..=period.days()).contains(&inside));
            let counted = period
                .dates()
                .filter(|d| *d >= start && end.is_none_or(|end| *d <= end))
                .count();
            prop_assert_eq!(inside, counted as i64);
        }
    }
}
