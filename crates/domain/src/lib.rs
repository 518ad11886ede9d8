//! The billing domain of unitbill: pure types and rules, no I/O.
//!
//! Every rule of `DESIGN.md` that can be stated without a database lives here, so a reader
//! finds the meaning of a number in one crate:
//! - [`money`] and [`period`]: exact decimals, rounding, tenant calendar months;
//! - [`catalog`]: the known modules and their billing types (a data file operators extend);
//! - [`usage`]: a module's daily snapshot, validated when parsed ([`json`] reads it strictly);
//! - [`setup`]: companies, contracts, contract services and effective-dated mappings;
//! - [`rules`]: change rules and timings, the quantity a contract service bills for a period;
//! - [`invoice`]: invoice lines, taxes, totals and credit notes;
//! - [`document`]: invoices and credit notes as stored, their kind, status and lifecycle;
//! - [`ledger`]: open amounts, paid status and the credit balance;
//! - [`matching`]: suggestions of a company for an unmapped module organization.

pub mod billing;
pub mod catalog;
pub mod document;
pub mod invoice;
pub mod json;
pub mod ledger;
pub mod matching;
pub mod money;
pub mod numbering;
pub mod period;
pub mod rules;
pub mod setup;
pub mod text;
pub mod units;
pub mod usage;
pub mod usage_points;
