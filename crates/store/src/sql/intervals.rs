//! Per-day rows folded into intervals: the merge logic behind the sync's writes, apart from SQL.
//!
//! A table of intervals holds a row `(key, from_day, until_day, value)` for each run of
//! consecutive days on which `key` has `value`: it holds on every day of
//! `[from_day, until_day)`, and an open row (`until_day` NULL) holds through the tenant's last
//! synced day. The representation is canonical: an interval starts exactly on a day whose value
//! differs from, or is absent on, the day before. So the stored rows depend only on the per-day
//! rows, never on how the days were batched or in which order they were recomputed.
//!
//! [`Merge`] starts from the rows open on the day before a batch (read once), walks the batch's
//! days in order keeping the open rows in memory, and yields only the changes: stored open rows
//! to close, and new rows (closed or still open at the batch's end). An unchanged day yields
//! nothing.

use std::collections::HashMap;
use std::hash::Hash;

use jiff::civil::Date;

use crate::{StoreError, StoreResult};

/// A row open on the last day merged.
struct Open<V> {
    from: Date,
    value: V,
    /// Already in the database (read at the start): closing it is an update, not an insert.
    stored: bool,
}

/// What a batch changes in one table of intervals.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Changes<K, V> {
    /// Stored open rows that end: `(key, from_day, until_day)`.
    pub(crate) closes: Vec<(K, Date, Date)>,
    /// New rows: `(key, from_day, until_day, value)`, `until_day` None while still open.
    pub(crate) inserts: Vec<(K, Date, Option<Date>, V)>,
}

/// Folds consecutive days of rows into interval changes (see the module doc).
pub(crate) struct Merge<K, V> {
    open: HashMap<K, Open<V>>,
    /// The day after the last one merged: where the rows still open would continue.
    next: Option<Date>,
    changes: Changes<K, V>,
}

impl<K: Eq + Hash + Clone + std::fmt::Debug, V: PartialEq> Merge<K, V> {
    /// Starts from the stored rows open on the day before `first` (`(key, from_day, value)`);
    /// pass none when nothing holds on that day.
    pub(crate) fn new(open: impl IntoIterator<Item = (K, Date, V)>, first: Date) -> Self {
        Self {
            open: open
                .into_iter()
                .map(|(k, from, value)| {
                    (
                        k,
                        Open {
                            from,
                            value,
                            stored: true,
                        },
                    )
                })
                .collect(),
            next: Some(first),
            changes: Changes {
                closes: Vec::new(),
                inserts: Vec::new(),
            },
        }
    }

    fn end(&mut self, key: K, open: Open<V>, until: Date) {
        if open.stored {
            self.changes.closes.push((key, open.from, until));
        } else {
            self.changes
                .inserts
                .push((key, open.from, Some(until), open.value));
        }
    }

    /// Merges the rows of day `day`, which must come after the days merged so far; a day
    /// skipped in between holds no row. Two rows of one key on a day are refused, as the
    /// per-day tables' primary keys refused them.
    pub(crate) fn day(
        &mut self,
        day: Date,
        rows: impl IntoIterator<Item = (K, V)>,
    ) -> StoreResult<()> {
        if let Some(next) = self.next {
            if day < next {
                return Err(StoreError::Conflict(format!(
                    "day {day} merged after a later day"
                )));
            }
            if day > next {
                for (k, o) in std::mem::take(&mut self.open) {
                    self.end(k, o, next);
                }
            }
        }
        let mut today: HashMap<K, V> = HashMap::new();
        for (k, v) in rows {
            if today.contains_key(&k) {
                return Err(StoreError::Conflict(format!("two rows of {k:?} on {day}")));
            }
            today.insert(k, v);
        }
        let ended: Vec<K> = self
            .open
            .iter()
            .filter(|(k, o)| today.get(*k) != Some(&o.value))
            .map(|(k, _)| k.clone())
            .collect();
        for k in ended {
            if let Some(o) = self.open.remove(&k) {
                self.end(k, o, day);
            }
        }
        for (k, value) in today {
            // A key still open holds the same value today: it goes on, nothing to write.
            self.open.entry(k).or_insert(Open {
                from: day,
                value,
                stored: false,
            });
        }
        self.next = day.tomorrow().ok();
        Ok(())
    }

    /// The changes: rows still open after the last day stay open (`until_day` None).
    pub(crate) fn finish(mut self) -> Changes<K, V> {
        for (k, o) in std::mem::take(&mut self.open) {
            if !o.stored {
                self.changes.inserts.push((k, o.from, None, o.value));
            }
        }
        self.changes
    }
}

/// The days `[first, last]` on which a stored interval holds within `[lo, hi]`: an open one
/// holds through `synced` (nothing synced: nowhere). None if it holds on none of them.
pub(crate) fn clipped(
    from_day: Date,
    until_day: Option<Date>,
    synced: Option<Date>,
    lo: Date,
    hi: Date,
) -> Option<(Date, Date)> {
    let last = match until_day {
        Some(u) => u.yesterday().ok()?,
        None => synced?,
    };
    let (first, last) = (from_day.max(lo), last.min(hi));
    (first <= last).then_some((first, last))
}

/// Every day of `[first, last]`.
pub(crate) fn days(first: Date, last: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(first), move |d| {
        d.tomorrow().ok().filter(|n| *n <= last)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn d(day: i8) -> Date {
        date(2026, 1, day)
    }

    fn sorted<K: Ord, V: Ord>(mut c: Changes<K, V>) -> Changes<K, V> {
        c.closes.sort();
        c.inserts.sort();
        c
    }

    /// Applies changes to a table of intervals, as the SQL does.
    fn apply(
        table: &mut Vec<(&'static str, Date, Option<Date>, i64)>,
        c: Changes<&'static str, i64>,
    ) {
        for (k, from, until) in c.closes {
            let row = table
                .iter_mut()
                .find(|r| r.0 == k && r.1 == from && r.2.is_none())
                .expect("an open row to close");
            row.2 = Some(until);
        }
        table.extend(c.inserts);
        table.sort();
    }

    /// Cuts a table at `first` as the sync does before rewriting from there: rows from `first`
    /// on go, rows that held on the day before open again.
    fn truncate(table: &mut Vec<(&'static str, Date, Option<Date>, i64)>, first: Date) {
        table.retain(|r| r.1 < first);
        for r in table.iter_mut() {
            if r.2.is_some_and(|u| u >= first) {
                r.2 = None;
            }
        }
    }

    fn open_rows(
        table: &[(&'static str, Date, Option<Date>, i64)],
    ) -> Vec<(&'static str, Date, i64)> {
        table
            .iter()
            .filter(|r| r.2.is_none())
            .map(|r| (r.0, r.1, r.3))
            .collect()
    }

    type Day = Vec<(&'static str, i64)>;

    /// Writes `days` (consecutive from `first`) in batches of `batch` days, each starting from
    /// the table's open rows.
    fn write(
        table: &mut Vec<(&'static str, Date, Option<Date>, i64)>,
        first: Date,
        days: &[Day],
        batch: usize,
    ) {
        for (n, chunk) in days.chunks(batch).enumerate() {
            let start = first + jiff::Span::new().days((n * batch) as i64);
            truncate(table, start);
            let mut m = Merge::new(open_rows(table), start);
            for (i, rows) in chunk.iter().enumerate() {
                m.day(start + jiff::Span::new().days(i as i64), rows.clone())
                    .unwrap();
            }
            apply(table, m.finish());
        }
    }

    #[test]
    fn an_unchanged_day_writes_nothing() {
        let mut m = Merge::new([("a", d(1), 5)], d(2));
        m.day(d(2), [("a", 5)]).unwrap();
        m.day(d(3), [("a", 5)]).unwrap();
        assert_eq!(
            m.finish(),
            Changes {
                closes: vec![],
                inserts: vec![]
            }
        );
    }

    #[test]
    fn a_change_closes_the_stored_row_and_opens_a_new_one() {
        let mut m = Merge::new([("a", d(1), 5), ("b", d(1), 1)], d(2));
        m.day(d(2), [("a", 6), ("b", 1)]).unwrap();
        m.day(d(3), [("a", 7), ("b", 1)]).unwrap();
        assert_eq!(
            sorted(m.finish()),
            Changes {
                closes: vec![("a", d(1), d(2))],
                inserts: vec![("a", d(2), Some(d(3)), 6), ("a", d(3), None, 7)],
            }
        );
    }

    #[test]
    fn a_row_that_vanishes_and_returns_starts_a_new_interval() {
        let mut m = Merge::new([("a", d(1), 5)], d(2));
        m.day(d(2), []).unwrap();
        m.day(d(3), [("a", 5)]).unwrap();
        assert_eq!(
            sorted(m.finish()),
            Changes {
                closes: vec![("a", d(1), d(2))],
                inserts: vec![("a", d(3), None, 5)],
            }
        );
    }

    #[test]
    fn a_skipped_day_holds_nothing_and_duplicates_are_refused() {
        let mut m = Merge::new([("a", d(1), 5)], d(2));
        m.day(d(4), [("a", 5)]).unwrap();
        assert_eq!(
            sorted(m.finish()),
            Changes {
                closes: vec![("a", d(1), d(2))],
                inserts: vec![("a", d(4), None, 5)],
            }
        );
        let mut m: Merge<&str, i64> = Merge::new([], d(1));
        assert!(m.day(d(1), [("a", 1), ("a", 2)]).is_err());
        assert!(m.day(d(1), [("a", 1)]).is_ok());
        assert!(m.day(d(1), [("a", 1)]).is_err(), "a day twice");
    }

    #[test]
    fn batches_and_a_late_recompute_from_a_middle_day_store_the_same_as_one_pass() {
        let days: Vec<Day> = vec![
            vec![("a", 1), ("b", 2)],
            vec![("a", 1), ("b", 2)],
            vec![("a", 2)],
            vec![("a", 2), ("b", 2)],
            vec![("a", 2), ("b", 3)],
            vec![("a", 1), ("b", 3)],
            vec![("a", 1), ("b", 3)],
        ];
        let mut once = Vec::new();
        write(&mut once, d(1), &days, days.len());
        assert_eq!(
            once,
            vec![
                ("a", d(1), Some(d(3)), 1),
                ("a", d(3), Some(d(6)), 2),
                ("a", d(6), None, 1),
                ("b", d(1), Some(d(3)), 2),
                ("b", d(4), Some(d(5)), 2),
                ("b", d(5), None, 3),
            ]
        );
        for batch in 1..=days.len() {
            let mut batched = Vec::new();
            write(&mut batched, d(1), &days, batch);
            assert_eq!(batched, once, "batches of {batch}");
        }
        // Other values from a middle day on, then a late recompute from that day.
        for from in 1..days.len() {
            let mut first: Vec<Day> = days[..from].to_vec();
            first.extend(days[from..].iter().map(|_| vec![("a", 9), ("c", 1)]));
            let mut t = Vec::new();
            write(&mut t, d(1), &first, 3);
            write(&mut t, d(1 + from as i8), &days[from..], 2);
            assert_eq!(t, once, "recomputed from day {}", from + 1);
        }
    }

    #[test]
    fn clipping_reads_open_rows_through_the_synced_day() {
        assert_eq!(
            clipped(d(3), None, Some(d(10)), d(1), d(31)),
            Some((d(3), d(10)))
        );
        assert_eq!(clipped(d(3), None, None, d(1), d(31)), None);
        assert_eq!(
            clipped(d(3), Some(d(8)), Some(d(10)), d(5), d(6)),
            Some((d(5), d(6)))
        );
        assert_eq!(clipped(d(3), Some(d(8)), Some(d(10)), d(8), d(9)), None);
        assert_eq!(
            clipped(d(3), Some(d(8)), Some(d(10)), d(7), d(9)),
            Some((d(7), d(7)))
        );
        assert_eq!(days(d(30), d(31)).collect::<Vec<_>>(), vec![d(30), d(31)]);
    }
}
