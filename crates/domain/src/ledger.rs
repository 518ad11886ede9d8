//! What a company owes and is owed: open amounts, paid status and the credit balance
//! (DESIGN.md, "Lifecycle"). Pure functions over the amounts the store reads, so a payment
//! and a credit application compute the same thing inside their transaction as every view.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::document::DocumentStatus;

/// A payment received from a company, recorded against one invoice (or none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: i64,
    pub company_id: i64,
    pub document_id: Option<i64>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The part applied to the document; the rest is the company's credit balance.
    #[serde(with = "rust_decimal::serde::str")]
    pub applied: Decimal,
    pub paid_on: Date,
    pub method: String,
    pub reference: String,
}

/// The status a posted invoice takes once `open` of its `total` is still owed.
pub fn paid_status(open: Decimal, total: Decimal) -> DocumentStatus {
    if open <= Decimal::ZERO {
        DocumentStatus::Paid
    } else if open < total {
        DocumentStatus::PartiallyPaid
    } else {
        DocumentStatus::Posted
    }
}

/// What a payment of `amount` settles of an invoice with `open` still owed (nothing on a
/// voided invoice): the rest becomes credit balance.
pub fn payment_applied(amount: Decimal, open: Decimal, voided: bool) -> Decimal {
    if voided {
        Decimal::ZERO
    } else {
        amount.min(open.max(Decimal::ZERO))
    }
}

/// One payment as the credit balance sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentEntry {
    pub amount: Decimal,
    pub applied: Decimal,
    /// The invoice it was recorded against has since been voided: all of it is credit.
    pub on_voided_invoice: bool,
}

/// The company's credit balance: overpayments, payments on voided invoices, run and
/// goodwill credit notes, less the credit already applied to invoices.
pub fn credit_balance(
    payments: &[PaymentEntry],
    credit_note_totals: Decimal,
    applied: Decimal,
) -> Decimal {
    let from_payments: Decimal = payments
        .iter()
        .map(|p| {
            if p.on_voided_invoice {
                p.amount
            } else {
                p.amount - p.applied
            }
        })
        .sum();
    from_payments + credit_note_totals - applied
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_payment_settles_at_most_what_is_open() {
        assert_eq!(payment_applied(dec("150"), dec("100"), false), dec("100"));
        assert_eq!(payment_applied(dec("40"), dec("100"), false), dec("40"));
        assert_eq!(payment_applied(dec("40"), dec("-5"), false), dec("0"));
        assert_eq!(payment_applied(dec("40"), dec("100"), true), dec("0"));
    }

    #[test]
    fn status_follows_the_open_amount() {
        assert_eq!(paid_status(dec("0"), dec("100")), DocumentStatus::Paid);
        assert_eq!(
            paid_status(dec("60"), dec("100")),
            DocumentStatus::PartiallyPaid
        );
        assert_eq!(paid_status(dec("100"), dec("100")), DocumentStatus::Posted);
    }

    #[test]
    fn credit_balance_counts_overpayments_voided_payments_and_notes() {
        let payments = [
            PaymentEntry {
                amount: dec("150"),
                applied: dec("100"),
                on_voided_invoice: false,
            },
            PaymentEntry {
                amount: dec("30"),
                applied: dec("30"),
                on_voided_invoice: true,
            },
        ];
        assert_eq!(credit_balance(&payments, dec("20"), dec("10")), dec("90"));
    }
}
