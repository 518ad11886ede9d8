//! Change rules and timings: the quantity a contract service bills for a period.
//!
//! The formulas are DESIGN.md's ("Invoicing"), with D = the period's days and a(Q) = its
//! days inside the contract:
//!
//! | rule | quantity for period Q |
//! |---|---|
//! | `prorated` | Σ U(cs, d) / D |
//! | `end_of_period` | U(cs, last day of Q inside the contract) × a(Q) / D |
//! | `peak` | max U(cs, d) × a(Q) / D |
//!
//! and for `advance` timing V × a(Q) / D. Quantities come back unrounded: the line rounds
//! them once, to 4 decimals, when it is priced (see [`crate::money`]).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::period::{Period, days_inside};

/// Why a rule or timing was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Not one of `prorated`, `end_of_period`, `peak`.
    #[error("unknown change rule {0:?}: expected prorated, end_of_period or peak")]
    UnknownRule(String),
    /// Not one of `arrears`, `advance`.
    #[error("unknown timing {0:?}: expected arrears or advance")]
    UnknownTiming(String),
    /// `peak` needs the whole month's units, which an advance charge does not have yet.
    #[error(
        "the peak rule cannot be used on an advance contract: a period billed in advance is \
         charged before its peak is known; use prorated or end_of_period, or bill in arrears"
    )]
    PeakInAdvance,
}

/// How a contract service turns a month of daily units into a quantity. All billing types
/// mapped to one contract service share its rule.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeRule {
    /// Prorated daily: the average of the daily units over the month. Default of fixed
    /// services.
    #[default]
    Prorated,
    /// Adjusted at month end: the count of the last contract day, prorated by contract days.
    EndOfPeriod,
    /// The highest daily count of the month, prorated by contract days (arrears only).
    Peak,
}

impl ChangeRule {
    /// Every rule, for pickers and validation messages.
    pub const ALL: [ChangeRule; 3] = [
        ChangeRule::Prorated,
        ChangeRule::EndOfPeriod,
        ChangeRule::Peak,
    ];

    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeRule::Prorated => "prorated",
            ChangeRule::EndOfPeriod => "end_of_period",
            ChangeRule::Peak => "peak",
        }
    }
}

impl fmt::Display for ChangeRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeRule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChangeRule::ALL
            .into_iter()
            .find(|rule| rule.as_str() == s)
            .ok_or_else(|| RuleError::UnknownRule(s.to_owned()))
    }
}

/// Which period a contract charges when the run closing P is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// Charges the period just closed, P, by its rule.
    Arrears,
    /// Charges the next period, P+1, at the count known when it starts; the closed period
    /// is trued up by an adjustment.
    Advance,
}

impl Timing {
    /// Both timings, for pickers and validation messages.
    pub const ALL: [Timing; 2] = [Timing::Arrears, Timing::Advance];

    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::Arrears => "arrears",
            Timing::Advance => "advance",
        }
    }

    /// The period this timing charges in the run that closes `closed`.
    pub fn charged_period(self, closed: Period) -> Period {
        match self {
            Timing::Arrears => closed,
            Timing::Advance => closed.next(),
        }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Timing {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timing::ALL
            .into_iter()
            .find(|timing| timing.as_str() == s)
            .ok_or_else(|| RuleError::UnknownTiming(s.to_owned()))
    }
}

/// Refuses the combinations DESIGN.md forbids: `peak` with `advance`. Checked whenever a
/// rule or a timing is set, so the invoice run never meets one.
pub fn check_rule_timing(rule: ChangeRule, timing: Timing) -> Result<(), RuleError> {
    match (rule, timing) {
        (ChangeRule::Peak, Timing::Advance) => Err(RuleError::PeakInAdvance),
        _ => Ok(()),
    }
}

/// The days a recurring service contract covers: `[start, end]`, both inclusive, `end`
/// `None` for an open-ended contract. Units outside these days are 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContractDays {
    /// First day billed.
    pub start: Date,
    /// Last day billed, if the contract ends.
    pub end: Option<Date>,
}

impl ContractDays {
    /// a(Q): the days of `period` inside the contract.
    pub fn active_days(&self, period: Period) -> i64 {
        days_inside(period, self.start, self.end)
    }

    /// Whether the contract bills `date`.
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && self.end.is_none_or(|end| date <= end)
    }

    /// The first day of `period` inside the contract: the day an advance count V(Q) is
    /// taken for. `None` when the contract has no day in the period.
    pub fn first_active_day(&self, period: Period) -> Option<Date> {
        (self.active_days(period) > 0).then(|| self.start.max(period.first_day()))
    }

    /// The last day of `period` inside the contract: the day `end_of_period` reads.
    /// `None` when the contract has no day in the period.
    pub fn last_active_day(&self, period: Period) -> Option<Date> {
        (self.active_days(period) > 0).then(|| {
            self.end
                .map_or(period.last_day(), |end| end.min(period.last_day()))
        })
    }

    /// The first day whose billing changes when the contract's days go from `self` to
    /// `other` (the days from there on must be recomputed); `None` when they are the same.
    /// Moving the start changes the days from the earlier start; moving or removing the end
    /// changes the days after the earlier end.
    pub fn first_changed_day(&self, other: &ContractDays) -> Option<Date> {
        if self.start != other.start {
            return Some(self.start.min(other.start));
        }
        match (self.end, other.end) {
            (a, b) if a == b => None,
            (Some(a), Some(b)) => a.min(b).tomorrow().ok(),
            (Some(e), None) | (None, Some(e)) => e.tomorrow().ok(),
            (None, None) => None,
        }
    }

    /// The daily units of `period` with the days outside the contract read as 0, whatever
    /// the slice says. Days missing from a short slice read as 0 too.
    fn units_inside<'a>(
        &'a self,
        period: Period,
        daily_units: &'a [Decimal],
    ) -> impl Iterator<Item = Decimal> + 'a {
        period.dates().enumerate().map(move |(i, day)| {
            if self.contains(day) {
                daily_units.get(i).copied().unwrap_or(Decimal::ZERO)
            } else {
                Decimal::ZERO
            }
        })
    }
}

/// `value × a / D`, multiplying before dividing so a whole month stays exact.
fn prorate(value: Decimal, active_days: i64, period: Period) -> Decimal {
    if active_days == 0 || value.is_zero() {
        return Decimal::ZERO;
    }
    (value * Decimal::from(active_days) / Decimal::from(period.days())).normalize()
}

/// The quantity a contract service bills for `period` under `rule`, unrounded.
///
/// `daily_units[i]` is U(cs, day i of the period) and must hold `period.days()` values; days
/// outside the contract count as 0 whatever the slice says, so a caller may pass the raw
/// unit history.
///
/// # Panics
/// When `daily_units` does not have one value per day of the period: a caller bug that would
/// otherwise bill the wrong days.
pub fn rule_quantity(
    rule: ChangeRule,
    period: Period,
    contract: &ContractDays,
    daily_units: &[Decimal],
) -> Decimal {
    assert_eq!(
        daily_units.len() as i64,
        period.days(),
        "rule_quantity needs one unit count per day of {period}"
    );
    let days = Decimal::from(period.days());
    match rule {
        ChangeRule::Prorated => {
            let total: Decimal = contract.units_inside(period, daily_units).sum();
            if total.is_zero() {
                Decimal::ZERO
            } else {
                (total / days).normalize()
            }
        }
        ChangeRule::EndOfPeriod => match contract.last_active_day(period) {
            Some(last) => {
                let index = period
                    .day_index(last)
                    .expect("the last active day is in the period");
                prorate(daily_units[index], contract.active_days(period), period)
            }
            None => Decimal::ZERO,
        },
        ChangeRule::Peak => {
            let peak = contract
                .units_inside(period, daily_units)
                .max()
                .unwrap_or(Decimal::ZERO);
            prorate(peak, contract.active_days(period), period)
        }
    }
}

/// The quantity an `advance` contract charges for `period` (P+1 of the run closing P):
/// V × a(Q) / D when the contract is active on the period's first day, otherwise zero (a
/// contract starting mid-period is charged from the next one, and its first days are settled
/// by the adjustments).
pub fn advance_quantity(v: Decimal, period: Period, contract: &ContractDays) -> Decimal {
    if contract.contains(period.first_day()) {
        prorate(v, contract.active_days(period), period)
    } else {
        Decimal::ZERO
    }
}

/// The quantity due for `period` under `advance` + `end_of_period`: V(Q) × a(Q) / D, with no
/// first-day condition (the caller takes V on Q's first day inside the contract), so what an
/// adjustment settles includes a contract's partial first month.
pub fn advance_due_quantity(v: Decimal, period: Period, contract: &ContractDays) -> Decimal {
    prorate(v, contract.active_days(period), period)
}

#[cfg(test)]
mod tests {

    #[test]
    fn contract_date_changes_name_the_first_day_they_change() {
        use jiff::civil::date;
        let days = |start, end| ContractDays { start, end };
        let a = days(date(2026, 1, 1), Some(date(2026, 3, 15)));
        assert_eq!(a.first_changed_day(&a), None);
        assert_eq!(
            a.first_changed_day(&days(date(2026, 1, 1), None)),
            Some(date(2026, 3, 16))
        );
        assert_eq!(
            a.first_changed_day(&days(date(2026, 1, 1), Some(date(2026, 2, 10)))),
            Some(date(2026, 2, 11))
        );
        assert_eq!(
            a.first_changed_day(&days(date(2025, 12, 1), Some(date(2026, 3, 15)))),
            Some(date(2025, 12, 1))
        );
        assert_eq!(
            a.first_changed_day(&days(date(2026, 2, 1), None)),
            Some(date(2026, 1, 1))
        );
    }

    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn open(start: Date) -> ContractDays {
        ContractDays { start, end: None }
    }

    fn constant(period: Period, units: i64) -> Vec<Decimal> {
        vec![Decimal::from(units); period.days() as usize]
    }

    /// All three rules for one month of units.
    fn quantities(period: Period, contract: &ContractDays, units: &[Decimal]) -> [Decimal; 3] {
        ChangeRule::ALL.map(|rule| rule_quantity(rule, period, contract, units))
    }

    #[test]
    fn rules_and_timings_use_snake_case_everywhere() {
        for (rule, text) in [
            (ChangeRule::Prorated, "prorated"),
            (ChangeRule::EndOfPeriod, "end_of_period"),
            (ChangeRule::Peak, "peak"),
        ] {
            assert_eq!(rule.to_string(), text);
            assert_eq!(text.parse::<ChangeRule>(), Ok(rule));
            assert_eq!(serde_json::to_string(&rule).unwrap(), format!("\"{text}\""));
            assert_eq!(
                serde_json::from_str::<ChangeRule>(&format!("\"{text}\"")).unwrap(),
                rule
            );
        }
        for (timing, text) in [(Timing::Arrears, "arrears"), (Timing::Advance, "advance")] {
            assert_eq!(timing.to_string(), text);
            assert_eq!(text.parse::<Timing>(), Ok(timing));
            assert_eq!(
                serde_json::to_string(&timing).unwrap(),
                format!("\"{text}\"")
            );
        }
        assert_eq!(
            "EndOfPeriod".parse::<ChangeRule>(),
            Err(RuleError::UnknownRule("EndOfPeriod".into()))
        );
        assert_eq!(
            "arrear".parse::<Timing>(),
            Err(RuleError::UnknownTiming("arrear".into()))
        );
        assert_eq!(ChangeRule::default(), ChangeRule::Prorated);
    }

    #[test]
    fn peak_is_refused_in_advance_only() {
        for rule in ChangeRule::ALL {
            assert_eq!(check_rule_timing(rule, Timing::Arrears), Ok(()));
        }
        assert_eq!(
            check_rule_timing(ChangeRule::Prorated, Timing::Advance),
            Ok(())
        );
        assert_eq!(
            check_rule_timing(ChangeRule::EndOfPeriod, Timing::Advance),
            Ok(())
        );
        let err = check_rule_timing(ChangeRule::Peak, Timing::Advance).unwrap_err();
        assert_eq!(err, RuleError::PeakInAdvance);
        assert!(
            err.to_string()
                .contains("peak rule cannot be used on an advance contract")
        );
    }

    #[test]
    fn timing_decides_the_charged_period() {
        assert_eq!(Timing::Arrears.charged_period(p("2026-12")), p("2026-12"));
        assert_eq!(Timing::Advance.charged_period(p("2026-12")), p("2027-01"));
    }

    #[test]
    fn contract_days_in_a_period() {
        let nov = p("2026-11");
        let contract = ContractDays {
            start: date(2026, 11, 5),
            end: Some(date(2026, 11, 24)),
        };
        assert_eq!(contract.active_days(nov), 20);
        assert_eq!(contract.first_active_day(nov), Some(date(2026, 11, 5)));
        assert_eq!(contract.last_active_day(nov), Some(date(2026, 11, 24)));
        assert!(contract.contains(date(2026, 11, 5)));
        assert!(contract.contains(date(2026, 11, 24)));
        assert!(!contract.contains(date(2026, 11, 4)));
        assert!(!contract.contains(date(2026, 11, 25)));
        assert_eq!(contract.active_days(p("2026-12")), 0);
        assert_eq!(contract.first_active_day(p("2026-12")), None);
        assert_eq!(contract.last_active_day(p("2026-10")), None);

        let running = open(date(2025, 6, 15));
        assert_eq!(running.first_active_day(nov), Some(date(2026, 11, 1)));
        assert_eq!(running.last_active_day(nov), Some(date(2026, 11, 30)));
        assert_eq!(running.active_days(p("2025-06")), 16);
        assert!(running.contains(date(2099, 1, 1)));
    }

    #[test]
    fn full_thirty_day_month() {
        // November 2026: 15 days at 10 units, then 15 days at 20.
        let nov = p("2026-11");
        let mut units = constant(nov, 10);
        units[15..].fill(Decimal::from(20));
        let [prorated, end, peak] = quantities(nov, &open(date(2026, 1, 1)), &units);
        assert_eq!(prorated, d("15")); // (15×10 + 15×20) / 30
        assert_eq!(end, d("20")); // U(Nov 30) × 30/30
        assert_eq!(peak, d("20"));
    }

    #[test]
    fn full_thirty_one_day_month_with_a_one_day_spike() {
        let jan = p("2026-01");
        let mut units = constant(jan, 10);
        units[12] = Decimal::from(41);
        let [prorated, end, peak] = quantities(jan, &open(date(2025, 1, 1)), &units);
        assert_eq!(prorated, d("11")); // (30×10 + 41) / 31 = 341/31
        assert_eq!(end, d("10"));
        assert_eq!(peak, d("41"));
    }

    #[test]
    fn a_drop_on_the_last_day_decides_end_of_period() {
        let apr = p("2026-04");
        let mut units = constant(apr, 50);
        units[29] = Decimal::from(40);
        let [prorated, end, peak] = quantities(apr, &open(date(2026, 1, 1)), &units);
        // (29×50 + 40) / 30 = 1490/30 = 49.666…, kept unrounded.
        assert_eq!(prorated.round_dp(20), d("49.66666666666666666667"));
        assert_eq!(crate::money::round_quantity(prorated), d("49.6667"));
        assert_eq!(end, d("40"));
        assert_eq!(peak, d("50"));
    }

    #[test]
    fn mid_month_start_in_a_thirty_one_day_month() {
        // Starts January 11: a = 21 of D = 31. The slice says 10 every day, but the ten days
        // before the start count as 0.
        let jan = p("2026-01");
        let units = constant(jan, 10);
        let contract = open(date(2026, 1, 11));
        let [prorated, end, peak] = quantities(jan, &contract, &units);
        let expected = d("210") / d("31");
        assert_eq!(prorated, expected);
        assert_eq!(end, expected);
        assert_eq!(peak, expected);
        assert_eq!(crate::money::round_quantity(expected), d("6.7742"));
    }

    #[test]
    fn mid_month_end_in_a_twenty_eight_day_month() {
        // February 2026 (28 days), contract ends the 14th; units grow 1, 2, … 28.
        let feb = p("2026-02");
        let units: Vec<Decimal> = (1..=28).map(Decimal::from).collect();
        let contract = ContractDays {
            start: date(2024, 3, 1),
            end: Some(date(2026, 2, 14)),
        };
        let [prorated, end, peak] = quantities(feb, &contract, &units);
        assert_eq!(prorated, d("3.75")); // (1 + … + 14) / 28 = 105/28
        assert_eq!(end, d("7")); // U(Feb 14) = 14, × 14/28
        assert_eq!(peak, d("7")); // max over the contract days = 14, × 14/28
    }

    #[test]
    fn leap_february_start_on_the_tenth() {
        let feb = p("2028-02"); // 29 days
        let units = constant(feb, 29);
        let [prorated, end, peak] = quantities(feb, &open(date(2028, 2, 10)), &units);
        assert_eq!(prorated, d("20")); // 20 days × 29 / 29
        assert_eq!(end, d("20"));
        assert_eq!(peak, d("20"));
    }

    #[test]
    fn start_and_end_in_the_same_month() {
        let apr = p("2026-04");
        let contract = ContractDays {
            start: date(2026, 4, 5),
            end: Some(date(2026, 4, 24)),
        };
        let [prorated, end, peak] = quantities(apr, &contract, &constant(apr, 3));
        assert_eq!([prorated, end, peak], [d("2"), d("2"), d("2")]); // 3 × 20/30
    }

    #[test]
    fn a_period_outside_the_contract_bills_nothing() {
        let nov = p("2026-11");
        let units = constant(nov, 7);
        let ended = ContractDays {
            start: date(2025, 1, 1),
            end: Some(date(2026, 10, 31)),
        };
        assert_eq!(quantities(nov, &ended, &units), [Decimal::ZERO; 3]);
        assert_eq!(
            quantities(nov, &open(date(2026, 12, 1)), &units),
            [Decimal::ZERO; 3]
        );
    }

    #[test]
    #[should_panic(expected = "one unit count per day of 2026-02")]
    fn a_slice_of_the_wrong_length_is_a_bug() {
        let feb = p("2026-02");
        rule_quantity(
            ChangeRule::Prorated,
            feb,
            &open(date(2026, 1, 1)),
            &[Decimal::ONE; 30],
        );
    }

    #[test]
    fn advance_charges_only_contracts_active_on_the_first_day() {
        let nov = p("2026-11");
        let v = Decimal::from(12);
        assert_eq!(advance_quantity(v, nov, &open(date(2026, 11, 1))), d("12"));
        assert_eq!(advance_quantity(v, nov, &open(date(2020, 2, 29))), d("12"));
        // Starts mid-month: nothing in advance; the adjustment settles it.
        assert_eq!(
            advance_quantity(v, nov, &open(date(2026, 11, 11))),
            Decimal::ZERO
        );
        // Ends mid-month: prorated to its 15 days.
        let ending = ContractDays {
            start: date(2026, 1, 1),
            end: Some(date(2026, 11, 15)),
        };
        assert_eq!(advance_quantity(v, nov, &ending), d("6"));
        // Ended before the period.
        let ended = ContractDays {
            start: date(2026, 1, 1),
            end: Some(date(2026, 10, 31)),
        };
        assert_eq!(advance_quantity(v, nov, &ended), Decimal::ZERO);
    }

    #[test]
    fn advance_due_prorates_a_partial_first_month() {
        let nov = p("2026-11");
        let v = Decimal::from(12);
        assert_eq!(
            advance_due_quantity(v, nov, &open(date(2026, 11, 11))),
            d("8")
        ); // 12 × 20/30
        assert_eq!(
            advance_due_quantity(v, nov, &open(date(2026, 1, 1))),
            d("12")
        );
        assert_eq!(
            advance_due_quantity(v, nov, &open(date(2026, 12, 1))),
            Decimal::ZERO
        );
        let jan = p("2027-01");
        let third = advance_due_quantity(Decimal::ONE, jan, &open(date(2027, 1, 21)));
        assert_eq!(third, d("11") / d("31"));
    }

    fn periods() -> impl Strategy<Value = Period> {
        (2000i16..=2100, 1i8..=12).prop_map(|(y, m)| Period::new(y, m).unwrap())
    }

    /// A period, a contract overlapping it or not, and a month of units.
    fn cases() -> impl Strategy<Value = (Period, ContractDays, Vec<Decimal>)> {
        periods().prop_flat_map(|period| {
            let first = period.first_day();
            let day = move |offset: i64| first.checked_add(jiff::Span::new().days(offset)).unwrap();
            (
                Just(period),
                (-40i64..40, proptest::option::of(-40i64..70)).prop_map(move |(s, e)| {
                    ContractDays {
                        start: day(s),
                        end: e.map(day),
                    }
                }),
                proptest::collection::vec(
                    (0i64..2_000_000, 0u32..=2).prop_map(|(m, s)| Decimal::new(m, s)),
                    period.days() as usize,
                ),
            )
        })
    }

    proptest! {
        #[test]
        fn quantities_are_between_zero_and_the_peak((period, contract, units) in cases()) {
            let max_inside = contract.units_inside(period, &units).max().unwrap_or_default();
            for rule in ChangeRule::ALL {
                let q = rule_quantity(rule, period, &contract, &units);
                prop_assert!(q >= Decimal::ZERO);
                prop_assert!(q <= max_inside, "{rule}: {q} > {max_inside}");
            }
            let peak = rule_quantity(ChangeRule::Peak, period, &contract, &units);
            prop_assert!(rule_quantity(ChangeRule::Prorated, period, &contract, &units) <= peak);
            prop_assert!(rule_quantity(ChangeRule::EndOfPeriod, period, &contract, &units) <= peak);
        }

        #[test]
        fn days_outside_the_contract_never_count(
            (period, contract, units) in cases(),
            noise in 1i64..1_000_000,
        ) {
            let noisy: Vec<Decimal> = period
                .dates()
                .zip(&units)
                .map(|(day, u)| if contract.contains(day) { *u } else { *u + Decimal::from(noise) })
                .collect();
            for rule in ChangeRule::ALL {
                prop_assert_eq!(
                    rule_quantity(rule, period, &contract, &units),
                    rule_quantity(rule, period, &contract, &noisy)
                );
            }
        }

        #[test]
        fn constant_units_give_the_same_quantity_under_every_rule(
            (period, contract, _units) in cases(),
            count in 0i64..100_000,
        ) {
            let units = vec![Decimal::from(count); period.days() as usize];
            let a = contract.active_days(period);
            let expected = Decimal::from(count) * Decimal::from(a) / Decimal::from(period.days());
            for rule in ChangeRule::ALL {
                prop_assert_eq!(rule_quantity(rule, period, &contract, &units), expected);
            }
            prop_assert_eq!(advance_due_quantity(Decimal::from(count), period, &contract), expected);
            let advance = advance_quantity(Decimal::from(count), period, &contract);
            if contract.contains(period.first_day()) {
                prop_assert_eq!(advance, expected);
            } else {
                prop_assert_eq!(advance, Decimal::ZERO);
            }
        }

        #[test]
        fn first_and_last_active_days_bound_the_contract_days((period, contract, _u) in cases()) {
            let inside: Vec<Date> = period.dates().filter(|d| contract.contains(*d)).collect();
            prop_assert_eq!(inside.len() as i64, contract.active_days(period));
            prop_assert_eq!(contract.first_active_day(period), inside.first().copied());
            prop_assert_eq!(contract.last_active_day(period), inside.last().copied());
        }
    }
}
