use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;

type Key = (String, String);

/// A model of the store: runs by (key, from), and which days are complete.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
struct Runs {
    runs: BTreeMap<(Key, Date), (Option<Date>, i64)>,
    complete: BTreeSet<Date>,
}

fn d(n: i64) -> Date {
    jiff::civil::date(2026, 3, 1)
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
}

fn bt(s: &str) -> BillingTypeCode {
    BillingTypeCode::parse(s).unwrap()
}

impl Runs {
    fn all(&self) -> Vec<UsageRun> {
        self.runs
            .iter()
            .map(|(((org, b), from), (until, q))| UsageRun {
                org_id: org.clone(),
                billing_type: bt(b),
                from: *from,
                until: *until,
                quantity: *q,
            })
            .collect()
    }

    /// Stores `content` as the complete content of `day`, the way the store does.
    fn put(&mut self, day: Date, content: &[UsageValue]) {
        let next = self
            .complete
            .range(day.tomorrow().unwrap()..)
            .next()
            .copied();
        let all = self.all();
        let covering: Vec<_> = all
            .iter()
            .filter(|r| r.from <= day && r.until.is_none_or(|u| u > day))
            .cloned()
            .collect();
        let ending: Vec<_> = all
            .iter()
            .filter(|r| r.until == Some(day))
            .cloned()
            .collect();
        let starting: Vec<_> = all
            .iter()
            .filter(|r| Some(r.from) == next)
            .cloned()
            .collect();
        let plan = plan_runs(day, next, &covering, &ending, &starting, content);
        for (org, b, from) in plan.delete {
            self.runs
                .remove(&((org.to_owned(), b.as_str().to_owned()), from));
        }
        for r in plan.upsert {
            self.runs.insert(
                (
                    (r.org_id.to_owned(), r.billing_type.as_str().to_owned()),
                    r.from,
                ),
                (r.until, r.quantity),
            );
        }
        self.complete.insert(day);
    }

    fn content(&self, day: Date) -> BTreeMap<Key, i64> {
        self.runs
            .iter()
            .filter(|((_, from), (until, _))| *from <= day && until.is_none_or(|u| u > day))
            .map(|((k, _), (_, q))| (k.clone(), *q))
            .collect()
    }

    /// Every run starts and ends on a complete day, and no two runs of a key touch with the
    /// same quantity.
    fn assert_canonical(&self) {
        let mut last: Option<(&Key, Option<Date>, i64)> = None;
        for ((k, from), (until, q)) in &self.runs {
            assert!(
                self.complete.contains(from),
                "run starts on {from}, not complete"
            );
            if let Some(u) = until {
                assert!(self.complete.contains(u), "run ends on {u}, not complete");
                assert!(u > from);
            }
            if let Some((lk, lu, lq)) = last
                && lk == k
            {
                assert!(lu.is_some_and(|u| u <= *from), "runs of {k:?} overlap");
                assert!(
                    !(lu == Some(*from) && lq == *q),
                    "runs of {k:?} touch at {from}"
                );
            }
            last = Some((k, *until, *q));
        }
    }
}

fn values(pairs: &[(&str, &str, i64)]) -> Vec<UsageValue> {
    pairs
        .iter()
        .map(|(o, b, q)| UsageValue {
            org_id: (*o).to_owned(),
            billing_type: bt(b),
            quantity: *q,
        })
        .collect()
}

#[test]
fn an_unchanged_day_writes_nothing_and_a_change_closes_one_run() {
    let mut runs = Runs::default();
    runs.put(d(0), &values(&[("a", "desktop", 4), ("b", "desktop", 2)]));
    let before = runs.clone();
    let (stored, same) = (
        runs.all(),
        values(&[("a", "desktop", 4), ("b", "desktop", 2)]),
    );
    let plan = plan_runs(d(1), None, &stored, &[], &[], &same);
    assert!(plan.is_empty());
    runs.put(d(1), &values(&[("a", "desktop", 4), ("b", "desktop", 2)]));
    assert_eq!(runs.runs, before.runs);
    runs.put(d(2), &values(&[("a", "desktop", 5), ("b", "desktop", 2)]));
    assert_eq!(runs.runs.len(), 3);
    assert_eq!(runs.content(d(1))[&("a".into(), "desktop".into())], 4);
    assert_eq!(runs.content(d(9))[&("a".into(), "desktop".into())], 5);
    runs.assert_canonical();
}

#[test]
fn a_late_day_in_the_middle_keeps_the_days_around_it() {
    let mut runs = Runs::default();
    runs.put(d(0), &values(&[("a", "desktop", 4)]));
    runs.put(d(4), &values(&[("a", "desktop", 4)]));
    runs.put(d(2), &values(&[("a", "desktop", 9), ("a", "server", 0)]));
    assert_eq!(runs.content(d(0)).len(), 1);
    assert_eq!(runs.content(d(2))[&("a".into(), "desktop".into())], 9);
    assert_eq!(runs.content(d(2))[&("a".into(), "server".into())], 0);
    assert_eq!(runs.content(d(3))[&("a".into(), "desktop".into())], 9);
    assert_eq!(runs.content(d(4)), runs.content(d(0)));
    runs.assert_canonical();
    // Corrected back: the three days are one run again.
    runs.put(d(2), &values(&[("a", "desktop", 4)]));
    assert_eq!(runs.runs.len(), 1);
    runs.assert_canonical();
}

#[test]
fn module_usage_follows_complete_and_partial_days() {
    let key = |o: &str| (o.to_owned(), "desktop".to_owned());
    let mut m = ModuleUsage::from_content([(key("a"), 4), (key("z"), 0)]);
    assert_eq!(m.effective().len(), 1);
    m.partial_day(&values(&[("b", "desktop", 2), ("a", "desktop", 0)]));
    assert_eq!(m.effective().keys().collect::<Vec<_>>(), vec![&key("b")]);
    // The next complete day starts from the complete content, not the overlay.
    m.complete_day([(key("c"), Some(1))]);
    assert_eq!(
        m.effective().keys().collect::<Vec<_>>(),
        vec![&key("a"), &key("c")]
    );
    m.complete_day([(key("a"), None)]);
    assert_eq!(m.effective().keys().collect::<Vec<_>>(), vec![&key("c")]);
}

fn content_strategy() -> impl Strategy<Value = Vec<UsageValue>> {
    proptest::collection::btree_map((0..3usize, 0..2usize), 0..3i64, 0..5).prop_map(|m| {
        m.into_iter()
            .map(|((o, b), q)| UsageValue {
                org_id: ["a", "b", "c"][o].to_owned(),
                billing_type: bt(["desktop", "server"][b]),
                quantity: q,
            })
            .collect()
    })
}

proptest! {
    /// Complete days stored in any order, some sent again with other content: every day reads
    /// back its last content, and the runs are the same as storing the final contents in day
    /// order.
    #[test]
    fn runs_hold_each_days_last_content_in_one_canonical_form(
        puts in proptest::collection::vec((0..8i64, content_strategy()), 1..14)
    ) {
        let mut runs = Runs::default();
        let mut last: BTreeMap<Date, Vec<UsageValue>> = BTreeMap::new();
        for (day, content) in &puts {
            runs.put(d(*day), content);
            last.insert(d(*day), content.clone());
            runs.assert_canonical();
        }
        for (day, content) in &last {
            let expected: BTreeMap<Key, i64> = content
                .iter()
                .map(|v| ((v.org_id.clone(), v.billing_type.as_str().to_owned()), v.quantity))
                .collect();
            prop_assert_eq!(runs.content(*day), expected);
        }
        let mut in_order = Runs::default();
        for (day, content) in &last {
            in_order.put(*day, content);
        }
        prop_assert_eq!(runs.runs, in_order.runs);
    }
}
