//! Usage as change points: how a module's complete snapshots are stored as runs, and how the
//! sync reads them back day by day.
//!
//! A **run** says that (org, billing type) had one quantity on every complete snapshot day of
//! the module in `[from, until)` (`until` None: on every later one). Runs start and end on
//! complete snapshot days only, and two runs of one key never touch with the same quantity,
//! so a set of snapshots has exactly one representation whatever order they arrived in. A
//! re-sent or mostly unchanged day writes only the keys whose quantity differs; a day without a
//! snapshot reads the run of the latest earlier complete day, which is DESIGN.md's
//! carry-forward. Days with only partial snapshots keep their listed values apart.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use crate::catalog::BillingTypeCode;
use crate::units::UsageKey;
use crate::usage::UsageValue;

/// One stored run of a key's quantity over the module's complete snapshot days.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsageRun {
    pub org_id: String,
    pub billing_type: BillingTypeCode,
    /// The first complete day of the run.
    pub from: Date,
    /// The first complete day after the run; None while the run reaches the last one.
    pub until: Option<Date>,
    pub quantity: i64,
}

impl UsageRun {
    fn key(&self) -> (&str, &str) {
        (self.org_id.as_str(), self.billing_type.as_str())
    }
}

/// A run to write, borrowing its key from the stored runs or the new content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRun<'a> {
    pub org_id: &'a str,
    pub billing_type: &'a BillingTypeCode,
    pub from: Date,
    pub until: Option<Date>,
    pub quantity: i64,
}

/// The runs that storing a day's new complete content must write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunsPlan<'a> {
    /// Runs to delete, by (org, billing type, from).
    pub delete: Vec<(&'a str, &'a BillingTypeCode, Date)>,
    /// Runs to insert, or to overwrite (same org, billing type and from).
    pub upsert: Vec<PlannedRun<'a>>,
}

impl RunsPlan<'_> {
    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.upsert.is_empty()
    }
}

/// What must change in the runs of one module when `day` gets the complete content `content`
/// (every key of the day and its quantity; an absent key has no value that day, an explicit 0
/// is kept as sent).
///
/// - `next_complete`: the module's first complete day after `day`, whose content must not change;
/// - `covering`: the runs covering `day` (from <= day < until), i.e. the day's content so far
///   (or, on a day that was not complete, the content of the complete day before it);
/// - `ending`: the runs whose `until` is `day` (a neighbour to merge with);
/// - `starting_next`: the runs starting on `next_complete` (a neighbour to merge with).
///
/// The old and new contents are walked as two sorted lists (a merge, no hash maps): a large
/// day costs two sorts of references and one pass.
pub fn plan_runs<'a>(
    day: Date,
    next_complete: Option<Date>,
    covering: &'a [UsageRun],
    ending: &'a [UsageRun],
    starting_next: &'a [UsageRun],
    content: &'a [UsageValue],
) -> RunsPlan<'a> {
    let mut old: Vec<&UsageRun> = covering.iter().collect();
    old.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
    let mut new: Vec<&UsageValue> = content.iter().collect();
    new.sort_unstable_by(|a, b| value_key(a).cmp(&value_key(b)));
    let ending: HashMap<(&str, &str), &UsageRun> = ending.iter().map(|r| (r.key(), r)).collect();
    let starting: HashMap<(&str, &str), &UsageRun> =
        starting_next.iter().map(|r| (r.key(), r)).collect();
    let mut plan = RunsPlan::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let order = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) => o.key().cmp(&value_key(n)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (o, n) = match order {
            std::cmp::Ordering::Less => (Some(old[i]), None),
            std::cmp::Ordering::Greater => (None, Some(new[j])),
            std::cmp::Ordering::Equal => (Some(old[i]), Some(new[j])),
        };
        i += usize::from(o.is_some());
        j += usize::from(n.is_some());
        plan_key(&mut plan, day, next_complete, o, n, &ending, &starting);
    }
    plan
}

fn value_key(v: &UsageValue) -> (&str, &str) {
    (v.org_id.as_str(), v.billing_type.as_str())
}

/// One key's part of [`plan_runs`]: `old` is the run covering the day, `new` its new value.
fn plan_key<'a>(
    plan: &mut RunsPlan<'a>,
    day: Date,
    next_complete: Option<Date>,
    old: Option<&'a UsageRun>,
    new: Option<&'a UsageValue>,
    ending: &HashMap<(&str, &str), &'a UsageRun>,
    starting: &HashMap<(&str, &str), &'a UsageRun>,
) {
    let value = new.map(|v| v.quantity);
    if old.map(|r| r.quantity) == value {
        return;
    }
    let (org_id, billing_type) = match (old, new) {
        (Some(r), _) => (r.org_id.as_str(), &r.billing_type),
        (None, Some(v)) => (v.org_id.as_str(), &v.billing_type),
        (None, None) => return,
    };
    let key = (org_id, billing_type.as_str());
    let planned = |r: &'a UsageRun| PlannedRun {
        org_id: r.org_id.as_str(),
        billing_type: &r.billing_type,
        from: r.from,
        until: r.until,
        quantity: r.quantity,
    };
    // The old run keeps the days before `day` (head) and from the next complete day on
    // (tail), where its quantity still holds.
    let mut head = None;
    let mut tail = None;
    if let Some(run) = old {
        if run.from < day {
            head = Some(run);
        } else {
            plan.delete.push((org_id, billing_type, run.from));
        }
        if let Some(next) = next_complete
            && run.until.is_none_or(|u| u > next)
        {
            tail = Some(PlannedRun {
                from: next,
                ..planned(run)
            });
        }
    }
    if let Some(run) = head {
        plan.upsert.push(PlannedRun {
            until: Some(day),
            ..planned(run)
        });
    }
    if let Some(quantity) = value {
        // Merge with a neighbour of the same quantity: the run ending at `day` (only when
        // nothing of the old run stays before it) and the run starting on the next complete
        // day (only when the old run leaves no tail there).
        let left = ending
            .get(&key)
            .filter(|r| head.is_none() && r.quantity == quantity);
        let right = starting
            .get(&key)
            .filter(|r| tail.is_none() && r.quantity == quantity);
        let from = left.map_or(day, |r| r.from);
        let until = match right {
            Some(r) => {
                plan.delete.push((org_id, billing_type, r.from));
                r.until
            }
            None => next_complete,
        };
        plan.upsert.push(PlannedRun {
            org_id,
            billing_type,
            from,
            until,
            quantity,
        });
    }
    if let Some(run) = tail {
        plan.upsert.push(run);
    }
}

/// One module's usage as the sync walks forward day by day: the content of its latest
/// complete day, and the effective (non-zero) quantities after the partial days since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleUsage {
    /// Content of the latest complete day (explicit zeros kept).
    content: BTreeMap<UsageKey, i64>,
    /// Non-zero quantities in effect: the content overlaid with later partial days.
    effective: BTreeMap<UsageKey, i64>,
    /// A partial day was applied since the latest complete day.
    overlaid: bool,
}

impl ModuleUsage {
    /// Starts from a complete day's content.
    pub fn from_content(values: impl IntoIterator<Item = (UsageKey, i64)>) -> Self {
        let content: BTreeMap<UsageKey, i64> = values.into_iter().collect();
        let effective = content
            .iter()
            .filter(|(_, q)| **q != 0)
            .map(|(k, q)| (k.clone(), *q))
            .collect();
        Self {
            content,
            effective,
            overlaid: false,
        }
    }

    /// A complete day: its content is the previous complete day's with `changes` applied
    /// (Some: the key's quantity from this day; None: the key is absent from this day on).
    pub fn complete_day(&mut self, changes: impl IntoIterator<Item = (UsageKey, Option<i64>)>) {
        if self.overlaid {
            self.effective = self
                .content
                .iter()
                .filter(|(_, q)| **q != 0)
                .map(|(k, q)| (k.clone(), *q))
                .collect();
            self.overlaid = false;
        }
        for (key, quantity) in changes {
            match quantity {
                Some(q) => {
                    if q == 0 {
                        self.effective.remove(&key);
                    } else {
                        self.effective.insert(key.clone(), q);
                    }
                    self.content.insert(key, q);
                }
                None => {
                    self.effective.remove(&key);
                    self.content.remove(&key);
                }
            }
        }
    }

    /// A day with only a partial snapshot: the listed values change (a listed 0 removes the
    /// key), everything else reads through.
    pub fn partial_day(&mut self, listed: &[UsageValue]) {
        for v in listed {
            let key = (v.org_id.clone(), v.billing_type.as_str().to_owned());
            if v.quantity == 0 {
                self.effective.remove(&key);
            } else {
                self.effective.insert(key, v.quantity);
            }
        }
        self.overlaid = true;
    }

    /// The quantities in effect (non-zero only).
    pub fn effective(&self) -> &BTreeMap<UsageKey, i64> {
        &self.effective
    }

    /// Takes the quantities in effect out (the state is spent).
    pub fn into_effective(self) -> BTreeMap<UsageKey, i64> {
        self.effective
    }
}

#[cfg(test)]
mod tests;
