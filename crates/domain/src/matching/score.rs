//! Scoring an org name against the indexed names, and the confidence of each suggestion.

use std::collections::HashMap;

use super::Suggestion;
use super::index::{Matcher, QueryForm};
use super::normalize::{self, FormKind};

/// How one reading matched one document.
#[derive(Debug, Clone, Copy, Default)]
struct Fit {
    score: f64,
    /// Share of the org name's weight matched, and of the document's.
    precision: f64,
    recall: f64,
    exact: bool,
    fuzzy: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Best {
    score: f64,
    fit: Fit,
    form: usize,
    doc: u32,
}

/// A company's standing for one org name.
#[derive(Debug, Clone, Copy)]
struct Scored {
    company: u32,
    score: f64,
    /// Of the best fit: share of the org name's weight matched, and of the company's.
    precision: f64,
    recall: f64,
    /// Softmax share among the candidates, and the resulting confidence.
    share: f64,
    confidence: f64,
}

/// Softmax of the values at a temperature: each value's share, the highest's near 1 when it
/// leads the others by several temperatures.
fn softmax(values: impl Iterator<Item = f64> + Clone, temperature: f64) -> Vec<f64> {
    let top = values.clone().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = values.map(|v| ((v - top) / temperature).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

fn span_mask(start: usize, len: usize) -> u32 {
    (((1u64 << len) - 1) << start) as u32
}

impl Matcher {
    /// Aligns a reading with a document and returns the F-measure of the matched weights.
    fn fit(&self, q: &QueryForm, doc_id: u32) -> Fit {
        let doc = &self.docs[doc_id as usize];
        // (similarity, query mask, doc mask, query weight, doc weight)
        let mut pairs: Vec<(f64, u32, u32, f64, f64)> = Vec::new();
        for (qi, qt) in q.tokens.iter().enumerate() {
            for &(term, sim) in &qt.matches {
                for (dj, &(dterm, dw)) in doc.tokens.iter().enumerate() {
                    if dterm == term {
                        pairs.push((sim, 1 << qi, 1 << dj, qt.weight, dw));
                    }
                }
                for &(start, len, dterm) in &doc.joins {
                    if dterm == term {
                        let (s, l) = (start as usize, len as usize);
                        let dw: f64 = doc.tokens[s..s + l].iter().map(|t| t.1).sum();
                        pairs.push((sim, 1 << qi, span_mask(s, l), qt.weight, dw));
                    }
                }
            }
        }
        for (qi, qt) in q.tokens.iter().enumerate() {
            for &(d, start, len) in &qt.initials {
                if d == doc_id {
                    let (s, l) = (start as usize, len as usize);
                    let dw: f64 = doc.tokens[s..s + l].iter().map(|t| t.1).sum();
                    let sim = self.params.initials_similarity;
                    pairs.push((sim, 1 << qi, span_mask(s, l), qt.weight, dw));
                }
            }
        }
        for join in &q.joins {
            let (s, l) = (join.start as usize, join.len as usize);
            let qw: f64 = q.tokens[s..s + l].iter().map(|t| t.weight).sum();
            for &(term, sim) in &join.matches {
                for (dj, &(dterm, dw)) in doc.tokens.iter().enumerate() {
                    if dterm == term {
                        pairs.push((sim, span_mask(s, l), 1 << dj, qw, dw));
                    }
                }
            }
        }
        pairs.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then((b.3 + b.4).total_cmp(&(a.3 + a.4)))
        });
        let (mut used_q, mut used_d) = (0u32, 0u32);
        let (mut mq, mut md) = (0.0, 0.0);
        let mut fuzzy = false;
        for (sim, qm, dm, qw, dw) in pairs {
            if qm & used_q == 0 && dm & used_d == 0 {
                used_q |= qm;
                used_d |= dm;
                mq += sim * qw;
                md += sim * dw;
                fuzzy |= sim < 1.0;
            }
        }
        if q.total <= 0.0 || doc.total <= 0.0 || mq <= 0.0 {
            return Fit::default();
        }
        let precision = (mq / q.total).min(1.0);
        let recall = (md / doc.total).min(1.0);
        let b2 = self.params.beta * self.params.beta;
        let f = (1.0 + b2) * precision * recall / (b2 * precision + recall);
        // Words on both sides left unmatched: another business with a similar name.
        let unmatched = |used: u32, weights: &mut dyn Iterator<Item = f64>, total: f64| {
            let w: f64 = weights
                .enumerate()
                .filter(|(i, _)| used & (1 << i) == 0)
                .map(|(_, w)| w)
                .sum();
            w / total
        };
        let uq = unmatched(used_q, &mut q.tokens.iter().map(|t| t.weight), q.total);
        let ud = unmatched(used_d, &mut doc.tokens.iter().map(|t| t.1), doc.total);
        let score = f * (1.0 - self.params.mutual_penalty * uq.min(ud)).max(0.0);
        let all_q = used_q.count_ones() as usize == q.tokens.len();
        let all_d = used_d.count_ones() as usize == doc.tokens.len();
        Fit {
            score,
            precision,
            recall,
            exact: all_q && all_d && !fuzzy,
            fuzzy,
        }
    }

    /// The top `n` companies for one org name, best first, with a confidence in [0, 1].
    pub fn suggest(&self, module: &str, org_name: &str, n: usize) -> Vec<Suggestion> {
        if n == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let p = &self.params;
        let mut cache = HashMap::new();
        let forms: Vec<QueryForm> = normalize::org_forms(org_name)
            .into_iter()
            .map(|f| self.query_form(f, &mut cache))
            .collect();
        if forms.is_empty() {
            return Vec::new();
        }

        // Candidate documents: those sharing a (possibly misspelt) word, by accumulated weight.
        let mut acc: HashMap<u32, f64> = HashMap::new();
        for f in &forms {
            let singles = f.tokens.iter().flat_map(|t| t.matches.iter());
            let joined = f.joins.iter().flat_map(|j| j.matches.iter());
            for &(term, sim) in singles.chain(joined) {
                let t = &self.terms[term as usize];
                for &d in &t.postings {
                    *acc.entry(d).or_insert(0.0) += sim * t.weight * f.discount;
                }
            }
            for t in &f.tokens {
                for &(d, _, _) in &t.initials {
                    *acc.entry(d).or_insert(0.0) += p.initials_similarity * t.weight * f.discount;
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = acc.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(p.candidates);

        // Best reading per company, by name and by mapped orgs.
        let mut by_name: HashMap<u32, Best> = HashMap::new();
        let mut by_mapped: HashMap<u32, Best> = HashMap::new();
        for &(d, _) in &ranked {
            let doc = &self.docs[d as usize];
            for (fi, f) in forms.iter().enumerate() {
                let fit = self.fit(f, d);
                let mut score = fit.score * f.discount;
                let slot = match &doc.mapped {
                    None => &mut by_name,
                    Some(m) => {
                        score = score.powf(p.mapped_power)
                            * if m.module == module {
                                p.same_module_factor
                            } else {
                                p.mapped_factor
                            };
                        &mut by_mapped
                    }
                };
                let best = slot.entry(doc.company).or_default();
                if score > best.score {
                    *best = Best {
                        score,
                        fit,
                        form: fi,
                        doc: d,
                    };
                }
            }
        }
        let mut companies: Vec<u32> = by_name.keys().chain(by_mapped.keys()).copied().collect();
        companies.sort_unstable();
        companies.dedup();
        let mut scored: Vec<Scored> = companies
            .into_iter()
            .map(|company| {
                let a = by_name.get(&company).copied().unwrap_or_default();
                let b = by_mapped.get(&company).copied().unwrap_or_default();
                let (hi, lo) = if a.score >= b.score { (a, b) } else { (b, a) };
                Scored {
                    company,
                    score: hi.score + p.agree_bonus * lo.score * (1.0 - hi.score),
                    precision: hi.fit.precision,
                    recall: hi.fit.recall,
                    share: 0.0,
                    confidence: 0.0,
                }
            })
            .filter(|x| x.score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.company.cmp(&b.company)));
        let Some(top) = scored.first().copied() else {
            return Vec::new();
        };
        let by_score = softmax(scored.iter().map(|x| x.score), p.temperature);
        // An org name contained in several company names ("Coastal Insurance": "... Group",
        // "... Brokers") does not tell them apart, whatever the words it lacks weigh.
        let contained = top.recall < 0.999;
        let by_precision = softmax(scored.iter().map(|x| x.precision), p.temperature);
        for (i, x) in scored.iter_mut().enumerate() {
            x.share = if contained {
                by_score[i].min(by_precision[i])
            } else {
                by_score[i]
            };
            x.confidence = (x.score * x.share).clamp(0.0, 1.0);
        }
        scored.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(b.score.total_cmp(&a.score))
                .then(a.company.cmp(&b.company))
        });
        let first_two: Vec<u32> = scored.iter().take(2).map(|x| x.company).collect();
        scored
            .iter()
            .take(n)
            .map(|x| {
                let c = x.company;
                let close = first_two.iter().copied().find(|&o| o != c);
                let reason = self.reason(
                    module,
                    &forms,
                    by_name.get(&c),
                    by_mapped.get(&c),
                    close.filter(|_| x.share < 0.9),
                );
                Suggestion {
                    company_id: self.companies[c as usize].id,
                    confidence: x.confidence,
                    reason,
                }
            })
            .collect()
    }

    fn reason(
        &self,
        module: &str,
        forms: &[QueryForm],
        name: Option<&Best>,
        mapped: Option<&Best>,
        close: Option<u32>,
    ) -> String {
        let name_score = name.map_or(0.0, |b| b.score);
        let mapped_score = mapped.map_or(0.0, |b| b.score);
        let mapped_text = |b: &Best| {
            let info = self.docs[b.doc as usize].mapped.as_ref();
            match info {
                Some(m) if m.module == module => {
                    format!(
                        "another {} org, '{}', is mapped to it",
                        m.module, m.org_name
                    )
                }
                Some(m) => format!("also mapped in {} as '{}'", m.module, m.org_name),
                None => String::new(),
            }
        };
        let mut out = match (name, mapped) {
            (_, Some(m)) if mapped_score >= name_score => mapped_text(m),
            (Some(b), _) => {
                let f = &forms[b.form];
                let company = &self.companies[self.docs[b.doc as usize].company as usize];
                if b.fit.exact {
                    match f.kind {
                        FormKind::Core | FormKind::Joined => "same name after normalizing".into(),
                        FormKind::Whole => "same name, site tail included".into(),
                        FormKind::Segment => format!("same name as the segment '{}'", f.text),
                        FormKind::Alias => format!("same name as its other name '{}'", f.text),
                    }
                } else {
                    let typo = if b.fit.fuzzy {
                        ", approximate words"
                    } else {
                        ""
                    };
                    format!(
                        "similar name: '{}' ~ '{}' ({:.0}%{typo})",
                        f.text,
                        company.display,
                        b.score * 100.0
                    )
                }
            }
            (None, Some(m)) => mapped_text(m),
            (None, None) => String::new(),
        };
        if let (Some(m), true) = (mapped, name_score >= mapped_score && mapped_score > 0.5) {
            out.push_str("; ");
            out.push_str(&mapped_text(m));
        }
        if let Some(c) = close {
            out.push_str(&format!("; close to '{}'", self.companies[c as usize].name));
        }
        out
    }
}
