//! Invoice math: priced lines, taxes, totals and credit notes.
//!
//! DESIGN.md ("Money") requires, on every document, exactly:
//! - each line: `amount = currency.round(quantity × unit price)`, the quantity rounded to 4
//!   decimals first, each rounding done once;
//! - each tax rate applied to the sum of the taxable lines it covers (negative lines
//!   included) and rounded once per document;
//! - `subtotal = Σ line amounts` and `total = subtotal + Σ taxes`.
//!
//! The functions here are the only place these sums are made, so invoices, credit notes,
//! previews and exports all agree to the minor unit.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, line_amount, round_quantity};

/// What a line is on a document, printed on it and used to tell charges from settlements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A contract service charged for the period its timing charges.
    Charge,
    /// due(Q) − billed(Q) for an earlier period: quantity 1, unit price = amount.
    Adjustment,
    /// A one-off charge or credit added to a company for the period.
    OneOff,
}

impl LineKind {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Charge => "charge",
            LineKind::Adjustment => "adjustment",
            LineKind::OneOff => "one_off",
        }
    }
}

impl fmt::Display for LineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Returned when a stored line kind is not one of `charge`, `adjustment`, `one_off`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown line kind {0:?}: expected charge, adjustment or one_off")]
pub struct UnknownLineKind(pub String);

impl FromStr for LineKind {
    type Err = UnknownLineKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [LineKind::Charge, LineKind::Adjustment, LineKind::OneOff]
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownLineKind(s.to_owned()))
    }
}

/// A named tax rate of the tenant (e.g. "NY State" at 4%), as assigned to a company.
///
/// Two rates are the same tax when both name and percent are equal: the lines of a parent
/// and of a child sharing it are taxed together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaxRate {
    /// Name printed on the tax line.
    pub name: String,
    /// Percent: `4` means 4%.
    pub percent: Decimal,
}

/// A line before pricing: what the engine knows about a charge, adjustment or one-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    /// Charge, adjustment or one-off.
    pub kind: LineKind,
    /// Unrounded quantity, as a rule computed it.
    pub quantity: Decimal,
    /// Unit price in the document's currency.
    pub unit_price: Decimal,
    /// Whether the service (or one-off) is taxable.
    pub taxable: bool,
    /// The rates of the company the line is for (a child's own rates on its parent's
    /// invoice); empty when that company is exempt.
    pub tax_rates: Vec<TaxRate>,
}

/// A line as printed on a document: its quantity rounded to 4 decimals and its amount
/// rounded once to the minor unit, so `amount = currency.round(quantity × unit_price)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    /// Charge, adjustment or one-off.
    pub kind: LineKind,
    /// Quantity, at most 4 decimals.
    pub quantity: Decimal,
    /// Unit price in the document's currency.
    pub unit_price: Decimal,
    /// `currency.round(quantity × unit_price)`.
    pub amount: Decimal,
    /// Whether the line is taxed.
    pub taxable: bool,
    /// The rates of the company the line is for; empty when it is exempt.
    pub tax_rates: Vec<TaxRate>,
}

/// Prices a line: rounds its quantity to 4 decimals, then its amount once to the currency.
pub fn price_line(input: &LineInput, currency: Currency) -> PricedLine {
    let quantity = round_quantity(input.quantity);
    PricedLine {
        kind: input.kind,
        quantity,
        unit_price: input.unit_price,
        amount: line_amount(quantity, input.unit_price, currency),
        taxable: input.taxable,
        tax_rates: input.tax_rates.clone(),
    }
}

/// An adjustment line settling due(Q) − billed(Q): quantity 1 and unit price = amount, so
/// it too satisfies `amount = quantity × unit price`.
///
/// `amount` is a difference of currency amounts, already on the minor unit; it is stated
/// with the currency's scale (`-80` USD becomes `-80.00`).
pub fn adjustment_line(
    amount: Decimal,
    taxable: bool,
    tax_rates: Vec<TaxRate>,
    currency: Currency,
) -> PricedLine {
    let amount = currency.round(amount);
    PricedLine {
        kind: LineKind::Adjustment,
        quantity: round_quantity(Decimal::ONE),
        unit_price: amount,
        amount,
        taxable,
        tax_rates,
    }
}

/// One tax of a document: a rate, the sum of the lines it covers, and the tax rounded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    /// The rate's name.
    pub name: String,
    /// The rate's percent (`4` = 4%).
    pub percent: Decimal,
    /// Σ amounts of the taxable lines the rate covers, negative lines included.
    pub base: Decimal,
    /// `currency.round(base × percent / 100)`.
    pub amount: Decimal,
}

/// The sums printed at the foot of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Σ line amounts.
    pub subtotal: Decimal,
    /// One entry per rate covering at least one line, ordered by name (then percent).
    pub taxes: Vec<TaxLine>,
    /// `subtotal + Σ taxes[i].amount`.
    pub total: Decimal,
}

impl Totals {
    /// Σ tax amounts.
    pub fn tax_total(&self) -> Decimal {
        self.taxes.iter().map(|tax| tax.amount).sum()
    }
}

/// States an exact sum with at least the currency's decimals (`0` USD as `0.00`) and without
/// a minus sign on zero. Never rounds: the sums must stay exact.
fn stated(mut value: Decimal, currency: Currency) -> Decimal {
    if value.scale() < currency.minor_units() {
        value.rescale(currency.minor_units());
    }
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    value
}

/// Subtotal, taxes and total of a document (invoice or credit note) made of `lines`.
///
/// Each distinct rate (name + percent) is applied once, to the sum of the amounts of the
/// taxable lines listing it, whichever company of the document each line is for; a line
/// listing the same rate twice is taxed once. A rate appears as soon as one line covers it,
/// even if its base sums to zero; rates no line covers do not appear.
pub fn document_totals(lines: &[PricedLine], currency: Currency) -> Totals {
    let subtotal = stated(lines.iter().map(|line| line.amount).sum(), currency);

    // Keyed by (name, percent): ordered by name, and `4` and `4.00` are one rate.
    let mut bases: BTreeMap<(&str, Decimal), (Decimal, Decimal)> = BTreeMap::new();
    for line in lines.iter().filter(|line| line.taxable) {
        let mut seen: Vec<(&str, Decimal)> = Vec::with_capacity(line.tax_rates.len());
        for rate in &line.tax_rates {
            let key = (rate.name.as_str(), rate.percent);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let (_, base) = bases.entry(key).or_insert((rate.percent, Decimal::ZERO));
            *base += line.amount;
        }
    }

    let taxes: Vec<TaxLine> = bases
        .into_iter()
        .map(|((name, _), (percent, base))| TaxLine {
            name: name.to_owned(),
            percent,
            base: stated(base, currency),
            amount: currency.round(base * percent / Decimal::ONE_HUNDRED),
        })
        .collect();
    let total = stated(
        subtotal + taxes.iter().map(|tax| tax.amount).sum::<Decimal>(),
        currency,
    );
    Totals {
        subtotal,
        taxes,
        total,
    }
}

/// The line of a credit note taking back `line`: its quantity negated, or for an
/// adjustment its unit price, and its amount negated, so `amount = quantity × unit price`
/// still holds and the credit note's totals are exactly the negation of the invoice's.
pub fn credit_note_line(line: &PricedLine) -> PricedLine {
    let (quantity, unit_price) = match line.kind {
        LineKind::Adjustment => (line.quantity, negate(line.unit_price)),
        LineKind::Charge | LineKind::OneOff => (negate(line.quantity), line.unit_price),
    };
    PricedLine {
        kind: line.kind,
        quantity,
        unit_price,
        amount: negate(line.amount),
        taxable: line.taxable,
        tax_rates: line.tax_rates.clone(),
    }
}

/// Negation that never produces a "-0".
fn negate(value: Decimal) -> Decimal {
    let mut negated = -value;
    if negated.is_zero() {
        negated.set_sign_positive(true);
    }
    negated
}

/// The adjustment an invoice carries for an earlier period: due(Q) − billed(Q), or `None`
/// when they agree and no line is printed.
pub fn due_minus_billed(due: Decimal, billed: Decimal) -> Option<Decimal> {
    let difference = due - billed;
    (!difference.is_zero()).then_some(difference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn rate(name: &str, percent: &str) -> TaxRate {
        TaxRate {
            name: name.into(),
            percent: d(percent),
        }
    }

    fn charge(quantity: &str, price: &str, rates: &[TaxRate], currency: Currency) -> PricedLine {
        price_line(
            &LineInput {
                kind: LineKind::Charge,
                quantity: d(quantity),
                unit_price: d(price),
                taxable: !rates.is_empty(),
                tax_rates: rates.to_vec(),
            },
            currency,
        )
    }

    #[test]
    fn line_kinds_use_snake_case() {
        for (kind, text) in [
            (LineKind::Charge, "charge"),
            (LineKind::Adjustment, "adjustment"),
            (LineKind::OneOff, "one_off"),
        ] {
            assert_eq!(kind.to_string(), text);
            assert_eq!(text.parse::<LineKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{text}\""));
        }
        assert!("oneoff".parse::<LineKind>().is_err());
    }

    #[test]
    fn a_line_rounds_its_quantity_then_its_amount_once() {
        // 41.516129… devices at 12.50: quantity 41.5161, amount 518.95125 → 518.95.
        let quantity = d("1287") / d("31");
        let line = price_line(
            &LineInput {
                kind: LineKind::Charge,
                quantity,
                unit_price: d("12.50"),
                taxable: false,
                tax_rates: vec![],
            },
            Currency::USD,
        );
        assert_eq!(line.quantity.to_string(), "41.5161");
        assert_eq!(line.amount.to_string(), "518.95");
        assert_eq!(line.unit_price.to_string(), "12.50");
        let yen = charge("2.5", "333", &[], Currency::JPY);
        assert_eq!(yen.amount.to_string(), "833"); // 832.5 → 833
    }

    #[test]
    fn an_adjustment_is_one_times_its_amount() {
        let line = adjustment_line(d("-80"), true, vec![rate("VAT", "20")], Currency::EUR);
        assert_eq!(line.kind, LineKind::Adjustment);
        assert_eq!(line.quantity, Decimal::ONE);
        assert_eq!(line.unit_price.to_string(), "-80.00");
        assert_eq!(line.amount.to_string(), "-80.00");
        assert_eq!(line.quantity * line.unit_price, line.amount);
    }

    #[test]
    fn each_rate_is_applied_to_the_document_sum_and_rounded_once() {
        // Three lines of 0.10 at 5%: per line 0.005 would round to 0.01 each (0.03);
        // the document rounds 0.015 once, to 0.02.
        let vat = [rate("VAT", "5")];
        let lines = vec![charge("1", "0.10", &vat, Currency::USD); 3];
        let totals = document_totals(&lines, Currency::USD);
        assert_eq!(totals.subtotal.to_string(), "0.30");
        assert_eq!(totals.taxes.len(), 1);
        assert_eq!(totals.taxes[0].base.to_string(), "0.30");
        assert_eq!(totals.taxes[0].amount.to_string(), "0.02");
        assert_eq!(totals.total.to_string(), "0.32");
    }

    #[test]
    fn negative_lines_reduce_the_base_and_exempt_or_untaxed_lines_add_none() {
        let rates = [rate("NY State", "4"), rate("NYC", "4.5")];
        let mut untaxed = charge("2", "50", &rates, Currency::USD);
        untaxed.taxable = false;
        let lines = vec![
            charge("1", "100", &rates, Currency::USD),
            adjustment_line(d("-40"), true, rates.to_vec(), Currency::USD),
            untaxed,
            // Taxable service, exempt company: no rate covers it.
            charge("1", "1000", &[], Currency::USD),
        ];
        let totals = document_totals(&lines, Currency::USD);
        assert_eq!(totals.subtotal, d("1160"));
        assert_eq!(
            totals.taxes,
            vec![
                TaxLine {
                    name: "NY State".into(),
                    percent: d("4"),
                    base: d("60.00"),
                    amount: d("2.40"),
                },
                TaxLine {
                    name: "NYC".into(),
                    percent: d("4.5"),
                    base: d("60.00"),
                    amount: d("2.70"),
                },
            ]
        );
        assert_eq!(totals.total.to_string(), "1165.10");
    }

    #[test]
    fn a_parent_and_a_child_sharing_a_rate_are_taxed_together() {
        // Parent: NY State 4% + NYC 4.5%; child (another county): NY State 4% + Nassau 4.25%.
        let parent = [rate("NY State", "4"), rate("NYC", "4.5")];
        let child = [rate("Nassau", "4.25"), rate("NY State", "4.00")];
        let lines = [
            charge("1", "10.05", &parent, Currency::USD),
            charge("1", "10.05", &child, Currency::USD),
        ];
        let totals = document_totals(&lines, Currency::USD);
        let summary: Vec<(String, String, String)> = totals
            .taxes
            .iter()
            .map(|t| (t.name.clone(), t.base.to_string(), t.amount.to_string()))
            .collect();
        assert_eq!(
            summary,
            [
                ("NY State".into(), "20.10".into(), "0.80".into()), // 0.804, not 0.40 + 0.40
                ("NYC".into(), "10.05".into(), "0.45".into()),      // 0.45225
                ("Nassau".into(), "10.05".into(), "0.43".into()),   // 0.427125
            ]
        );
        assert_eq!(totals.total, d("21.78"));
    }

    #[test]
    fn rates_ordered_by_name_and_kept_when_their_base_nets_to_zero() {
        let lines = [
            charge("1", "10", &[rate("b", "10")], Currency::USD),
            charge("-1", "10", &[rate("b", "10")], Currency::USD),
            charge("1", "10", &[rate("a", "1"), rate("a", "1")], Currency::USD),
        ];
        let totals = document_totals(&lines, Currency::USD);
        let names: Vec<&str> = totals.taxes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(totals.taxes[0].amount, d("0.10")); // listed twice, taxed once
        assert_eq!(totals.taxes[1].base.to_string(), "0.00");
        assert_eq!(totals.taxes[1].amount.to_string(), "0.00");
        assert_eq!(totals.total, d("10.10"));
    }

    #[test]
    fn an_empty_document_is_zero_in_the_currency() {
        let totals = document_totals(&[], Currency::USD);
        assert_eq!(totals.subtotal.to_string(), "0.00");
        assert_eq!(totals.total.to_string(), "0.00");
        assert!(totals.taxes.is_empty());
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(document_totals(&[], kwd).total.to_string(), "0.000");
    }

    #[test]
    fn a_run_credit_note_states_a_negative_draft_as_positive_amounts() {
        let draft = [
            adjustment_line(d("-80.00"), false, vec![], Currency::USD),
            charge("3", "10.00", &[], Currency::USD),
        ];
        assert_eq!(document_totals(&draft, Currency::USD).total, d("-50"));
        let credit: Vec<PricedLine> = draft.iter().map(credit_note_line).collect();
        let shown: Vec<(String, String, String)> = credit
            .iter()
            .map(|l| {
                (
                    l.quantity.to_string(),
                    l.unit_price.to_string(),
                    l.amount.to_string(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("1.0000".into(), "80.00".into(), "80.00".into()),
                ("-3.0000".into(), "10.00".into(), "-30.00".into()),
            ]
        );
        assert_eq!(credit[0].kind, LineKind::Adjustment);
        let totals = document_totals(&credit, Currency::USD);
        assert_eq!(totals.total.to_string(), "50.00");
    }

    #[test]
    fn adjustments_only_when_due_and_billed_differ() {
        assert_eq!(due_minus_billed(d("120.00"), d("100.00")), Some(d("20.00")));
        assert_eq!(due_minus_billed(d("80"), d("100.00")), Some(d("-20")));
        assert_eq!(due_minus_billed(d("100.00"), d("100")), None);
        assert_eq!(due_minus_billed(Decimal::ZERO, Decimal::ZERO), None);
    }

    fn currencies() -> impl Strategy<Value = Currency> {
        prop::sample::select(vec![
            Currency::USD,
            Currency::EUR,
            Currency::JPY,
            Currency::parse("KWD").unwrap(),
            Currency::parse("BHD").unwrap(),
        ])
    }

    fn rates() -> impl Strategy<Value = Vec<TaxRate>> {
        let pool = vec![
            rate("County", "4.5"),
            rate("NY State", "4"),
            rate("NY State", "4.375"),
            rate("VAT", "20"),
            rate("GST", "8.875"),
            rate("Zero", "0"),
        ];
        prop::sample::subsequence(pool, 0..=3)
    }

    fn lines(currency: Currency) -> impl Strategy<Value = Vec<PricedLine>> {
        let line = (
            0u8..3,
            (-5_000_000_000i64..5_000_000_000, 0u32..=9).prop_map(|(m, s)| Decimal::new(m, s)),
            (-10_000_000i64..10_000_000, 0u32..=4).prop_map(|(m, s)| Decimal::new(m, s)),
            any::<bool>(),
            rates(),
            1i64..=31,
        )
            .prop_map(
                move |(kind, quantity, price, taxable, tax_rates, days)| match kind {
                    0 => adjustment_line(price, taxable, tax_rates, currency),
                    _ => price_line(
                        &LineInput {
                            kind: if kind == 1 {
                                LineKind::Charge
                            } else {
                                LineKind::OneOff
                            },
                            // A rule quantity: often a repeating fraction.
                            quantity: quantity / Decimal::from(days),
                            unit_price: price,
                            taxable,
                            tax_rates,
                        },
                        currency,
                    ),
                },
            );
        proptest::collection::vec(line, 0..12)
    }

    fn documents() -> impl Strategy<Value = (Currency, Vec<PricedLine>)> {
        currencies().prop_flat_map(|currency| (Just(currency), lines(currency)))
    }

    proptest! {
        #[test]
        fn every_line_satisfies_amount_equals_quantity_times_price((currency, lines) in documents()) {
            for line in &lines {
                prop_assert!(line.quantity.scale() <= 4);
                prop_assert_eq!(line.amount, currency.round(line.quantity * line.unit_price));
                prop_assert_eq!(line.amount.scale(), currency.minor_units());
                let credit = credit_note_line(line);
                prop_assert!(credit.quantity.scale() <= 4);
                prop_assert_eq!(credit.amount, currency.round(credit.quantity * credit.unit_price));
                prop_assert_eq!(credit.amount, -line.amount);
            }
        }

        #[test]
        fn totals_add_up_exactly((currency, lines) in documents()) {
            let totals = document_totals(&lines, currency);
            let subtotal: Decimal = lines.iter().map(|l| l.amount).sum();
            prop_assert_eq!(totals.subtotal, subtotal);
            prop_assert_eq!(totals.total, totals.subtotal + totals.tax_total());
            prop_assert_eq!(totals.total.scale(), currency.minor_units());
            for tax in &totals.taxes {
                prop_assert_eq!(
                    tax.amount,
                    currency.round(tax.base * tax.percent / Decimal::ONE_HUNDRED)
                );
                let base: Decimal = lines
                    .iter()
                    .filter(|l| l.taxable && l.tax_rates.iter().any(|r| r.name == tax.name && r.percent == tax.percent))
                    .map(|l| l.amount)
                    .sum();
                prop_assert_eq!(tax.base, base);
            }
            let names: Vec<(&str, Decimal)> =
                totals.taxes.iter().map(|t| (t.name.as_str(), t.percent)).collect();
            prop_assert!(names.windows(2).all(|w| w[0] < w[1]), "ordered and distinct");
            let covered = |name: &str, percent: Decimal| lines.iter().any(|l| {
                l.taxable && l.tax_rates.iter().any(|r| r.name == name && r.percent == percent)
            });
            prop_assert!(totals.taxes.iter().all(|t| covered(&t.name, t.percent)));
            prop_assert_eq!(
                totals.taxes.len(),
                {
                    let mut keys: Vec<(&str, Decimal)> = lines
                        .iter()
                        .filter(|l| l.taxable)
                        .flat_map(|l| l.tax_rates.iter().map(|r| (r.name.as_str(), r.percent)))
                        .collect();
                    keys.sort();
                    keys.dedup();
                    keys.len()
                }
            );
        }

        #[test]
        fn a_credit_note_of_every_line_negates_the_totals((currency, lines) in documents()) {
            let invoice = document_totals(&lines, currency);
            let credit_lines: Vec<PricedLine> = lines.iter().map(credit_note_line).collect();
            let credit = document_totals(&credit_lines, currency);
            prop_assert_eq!(credit.subtotal, -invoice.subtotal);
            prop_assert_eq!(credit.total, -invoice.total);
            prop_assert_eq!(credit.taxes.len(), invoice.taxes.len());
            for (c, i) in credit.taxes.iter().zip(&invoice.taxes) {
                prop_assert_eq!(&c.name, &i.name);
                prop_assert_eq!(c.percent, i.percent);
                prop_assert_eq!(c.base, -i.base);
                prop_assert_eq!(c.amount, -i.amount);
            }
            // Crediting a credit gives the invoice back.
            let back: Vec<PricedLine> = credit_lines.iter().map(credit_note_line).collect();
            prop_assert_eq!(back, lines);
        }
    }
}
