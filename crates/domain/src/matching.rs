//! Mapping suggestions: which of the MSP's companies is this module organization?
//!
//! Modules name clients the way someone typed them ("ACME CORP - HQ", "Acme Inc.",
//! "acme corp (Main Office)"). [`Matcher`] suggests the company (say "Acme Corporation") with a
//! confidence in [0, 1], and above [`DEFAULT_ACCEPT_THRESHOLD`] the suggestion may be accepted
//! in bulk. A wrong mapping bills the wrong client, so the confidence is built for precision:
//!
//! 1. **Normalization** ([`normalize_name`]): case, accents, punctuation, legal forms (Inc, LLC,
//!    GmbH, B.V., Pty Ltd...), "&" / "and", "The", abbreviations (Intl, Mfg, Svcs, Ctr...) and
//!    site tails ("- HQ", "(Branch 2)", "Site 3"). An org name is read several ways (its core,
//!    the whole name with its tails, each " - " segment, a "dba" name) and each reading is
//!    scored, the less likely ones at a small discount.
//! 2. **Score** of a reading against a company name: tokens are aligned (exactly, through
//!    typos of one or two edits, across a missing space: "Northstar" ~ "North Star", and at a
//!    lower similarity as an abbreviation "Dyn." ~ "Dynamics", a shared stem "Distillery" ~
//!    "Distilling", or initials "FCU" ~ "Federal Credit Union") and weighted by rarity in the
//!    tenant's company list (IDF), with common words such as "group" or "services" discounted
//!    further. The score is an F-measure of how much of the org name's weight and how much of
//!    the company name's weight is matched, so both a missing word ("Acme Dental" vs "Acme
//!    Dental Lab") and an extra one cost, and both at once (another business with a similar
//!    name: "Oak Tree Dental" vs "Oak Tree Accounting") cost more. Words unknown to the
//!    company list weigh the most: "Acme Roofing" is not "Acme Corporation".
//! 3. **Evidence from other modules**: an org already mapped to a company (in any module) whose
//!    name matches scores for that company too.
//! 4. **Margin**: the confidence is the score times the share of a softmax over the
//!    candidates' scores, so a runner-up close behind (look-alike clients "Acme Dental" and
//!    "Acme Dental Lab") pulls the confidence of both down, below the bulk-accept threshold.
//!    When the org name is only part of the best company's name, the share is also taken over
//!    how much of the org name each candidate covers: "Coastal Insurance" is contained in both
//!    "Coastal Insurance Group" and "Coastal Insurance Brokers" and tells them apart by nothing.
//!
//! The [`Matcher`] is built once per tenant (an inverted token index, a deletion index for
//! typos, sorted spellings for abbreviations, an index of initials), so a suggestion only
//! scores the few dozen names that share a word with the org: tens of microseconds for a
//! tenant of 5,000 companies. [`evaluate`] measures the whole on the labelled set in
//! `data/matching/`.

mod eval;
mod index;
mod normalize;
mod score;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use eval::{EvalReport, MatchingError, evaluate, evaluate_holdout, evaluate_on};
pub use index::Matcher;

/// The confidence from which a suggestion may be accepted in bulk. Tuned on the labelled set
/// (`data/matching/eval.csv`) for precision first: there, no org is accepted wrongly from
/// 0.80 up, and 0.90 leaves a margin above the look-alikes of clients missing from the list
/// (a one-letter variant of a short name scores about 0.84-0.90); see [`evaluate`].
pub const DEFAULT_ACCEPT_THRESHOLD: f64 = 0.9;

/// A company a module organization can be mapped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyCandidate {
    pub id: i64,
    pub name: String,
}

/// An existing mapping, in any module: evidence for orgs with the same or a similar name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedOrg {
    pub module: String,
    pub org_name: String,
    pub company_id: i64,
}

/// A suggested company for one module organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub company_id: i64,
    /// In [0, 1]; accept in bulk from [`DEFAULT_ACCEPT_THRESHOLD`].
    pub confidence: f64,
    /// Short human text: why this company.
    pub reason: String,
}

/// The display form of a name: lowercase ASCII words without legal form, site tail, "the",
/// "and" or punctuation, abbreviations spelt out ("The ACME Corp. - HQ" -> "acme",
/// "Smith Bros. Mfg, Inc." -> "smith brothers manufacturing"). Word order is kept.
pub fn normalize_name(name: &str) -> String {
    normalize::normalize(name)
}

/// The knobs of the score; the defaults are the tuned values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    /// Weight of the company-name coverage relative to the org-name coverage (F-beta).
    pub beta: f64,
    /// Softmax temperature over candidate scores: the smaller, the smaller a margin suffices.
    pub temperature: f64,
    /// Discount of the readings of an org name: joined segments, whole, one segment, dba name.
    pub joined_discount: f64,
    pub whole_discount: f64,
    pub segment_discount: f64,
    pub alias_name_discount: f64,
    /// Factor on the score against an org already mapped in another module, and in the same one.
    pub mapped_factor: f64,
    pub same_module_factor: f64,
    /// Share of the remaining headroom added when the name and a mapped org agree.
    pub agree_bonus: f64,
    /// Exponent on the score against a mapped org: only (nearly) the same name is evidence.
    pub mapped_power: f64,
    /// Penalty when both names have words the other lacks ("Oak Tree Dental" vs "Oak Tree
    /// Accounting"): the score is multiplied by `1 - penalty * min(unmatched shares)`.
    pub mutual_penalty: f64,
    /// Similarity of an unknown dotted abbreviation to a word it starts ("Dyn." ~ "dynamics"),
    /// and of an unknown undotted one ("Ortho" ~ "orthopedics").
    pub prefix_similarity: f64,
    pub undotted_prefix_similarity: f64,
    /// Similarity of two words sharing a long stem ("distillery" ~ "distilling").
    pub stem_similarity: f64,
    /// Similarity of an unknown short word to the initials of adjacent words ("FCU" ~
    /// "federal credit union").
    pub initials_similarity: f64,
    /// How many documents (company names and mapped orgs) are scored fully per suggestion.
    pub candidates: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            beta: 1.0,
            temperature: 0.025,
            joined_discount: 0.99,
            whole_discount: 0.97,
            segment_discount: 0.95,
            alias_name_discount: 0.97,
            mapped_factor: 1.0,
            same_module_factor: 0.98,
            agree_bonus: 0.3,
            mapped_power: 2.0,
            mutual_penalty: 1.0,
            prefix_similarity: 0.85,
            undotted_prefix_similarity: 0.6,
            stem_similarity: 0.75,
            initials_similarity: 0.7,
            candidates: 48,
        }
    }
}
