//! The index of one tenant's company names and mapped orgs: words weighted by rarity, an
//! inverted index, a deletion index for typos, sorted spellings for abbreviations, and the
//! initials of adjacent words.

use std::collections::{HashMap, HashSet};

use super::normalize::{self, Form, FormKind};
use super::{CompanyCandidate, MappedOrg, Params};

/// A word of the company list (or a run of 2-3 adjacent words written together).
#[derive(Debug, Clone)]
pub(super) struct Term {
    pub(super) text: Box<str>,
    pub(super) weight: f64,
    /// Documents containing the term, ascending, without duplicates.
    pub(super) postings: Vec<u32>,
    pub(super) joined: bool,
}

/// A company name or a mapped org name, as terms.
#[derive(Debug, Clone)]
pub(super) struct Doc {
    pub(super) company: u32,
    pub(super) tokens: Vec<(u32, f64)>,
    /// Runs of adjacent tokens written together: (first token, token count, term).
    pub(super) joins: Vec<(u8, u8, u32)>,
    pub(super) total: f64,
    pub(super) mapped: Option<MappedInfo>,
}

#[derive(Debug, Clone)]
pub(super) struct MappedInfo {
    pub(super) module: String,
    pub(super) org_name: String,
}

#[derive(Debug, Clone)]
pub(super) struct CompanyEntry {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) display: String,
}

/// Suggests companies for module organizations of one tenant. Build once, reuse for every org.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub(super) companies: Vec<CompanyEntry>,
    pub(super) docs: Vec<Doc>,
    pub(super) terms: Vec<Term>,
    pub(super) vocab: HashMap<Box<str>, u32>,
    /// Spellings of the words: each word, and the variants it is the canonical form of.
    pub(super) surfaces: Vec<(Box<str>, u32)>,
    /// Deletion neighbourhood of each spelling (SymSpell), for typo-tolerant look-up.
    pub(super) deletes: HashMap<Box<str>, Vec<u32>>,
    /// Spellings sorted, for abbreviations ("Dyn." -> "dynamics") and shared stems.
    pub(super) sorted_surfaces: Vec<u32>,
    /// Initials of runs of 2-5 adjacent words: (document, first word).
    pub(super) initials: HashMap<Box<str>, Vec<(u32, u8)>>,
    pub(super) unknown_weight: f64,
    pub(super) params: Params,
}

/// Longest name considered, in tokens (alignment uses bit masks).
const MAX_TOKENS: usize = 24;

/// The deletion neighbourhood of a word, up to `depth` deleted characters, itself included.
fn deletions(word: &str, depth: usize) -> HashSet<String> {
    let mut out = HashSet::new();
    out.insert(word.to_owned());
    let mut frontier = vec![word.to_owned()];
    for _ in 0..depth {
        let mut next = Vec::new();
        for w in &frontier {
            if w.len() <= 2 {
                continue;
            }
            for i in 0..w.len() {
                let mut d = String::with_capacity(w.len() - 1);
                d.push_str(&w[..i]);
                d.push_str(&w[i + 1..]);
                if out.insert(d.clone()) {
                    next.push(d);
                }
            }
        }
        frontier = next;
    }
    out
}

fn fuzzy_eligible(word: &str) -> bool {
    word.len() >= 4 && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// The readings of an org name, scored against one document.
#[derive(Debug, Clone)]
pub(super) struct QueryToken {
    pub(super) matches: Vec<(u32, f64)>,
    /// Runs of document words this token is the initials of: (document, first word, count).
    pub(super) initials: Vec<(u32, u8, u8)>,
    pub(super) weight: f64,
}

/// Adjacent query tokens that, written together, are a word of the list ("north star").
#[derive(Debug, Clone)]
pub(super) struct QueryJoin {
    pub(super) start: u8,
    pub(super) len: u8,
    pub(super) matches: Vec<(u32, f64)>,
}

#[derive(Debug, Clone)]
pub(super) struct QueryForm {
    pub(super) kind: FormKind,
    pub(super) discount: f64,
    pub(super) tokens: Vec<QueryToken>,
    /// Runs of adjacent query tokens written together that are a word of the list.
    pub(super) joins: Vec<QueryJoin>,
    pub(super) total: f64,
    pub(super) text: String,
}

/// A company name or mapped org name, as parsed before indexing: (company, words, mapping).
type RawDoc = (u32, Vec<String>, Option<MappedInfo>);

impl Matcher {
    /// Builds the index over the company names and the orgs already mapped (mappings to a
    /// company not in `companies` are ignored).
    pub fn new(companies: &[CompanyCandidate], mapped: &[MappedOrg]) -> Matcher {
        Self::with_params(companies, mapped, Params::default())
    }

    pub(crate) fn with_params(
        companies: &[CompanyCandidate],
        mapped: &[MappedOrg],
        params: Params,
    ) -> Matcher {
        let mut entries = Vec::with_capacity(companies.len());
        let mut index_of: HashMap<i64, u32> = HashMap::new();
        let mut raw_docs: Vec<RawDoc> = Vec::new();
        for c in companies {
            let idx = entries.len() as u32;
            index_of.entry(c.id).or_insert(idx);
            let mut tokens = normalize::company_tokens(&c.name);
            tokens.truncate(MAX_TOKENS);
            entries.push(CompanyEntry {
                id: c.id,
                name: c.name.clone(),
                display: tokens.join(" "),
            });
            if !tokens.is_empty() {
                raw_docs.push((idx, tokens, None));
            }
        }
        let mut seen: HashSet<(u32, Vec<String>)> =
            raw_docs.iter().map(|(c, t, _)| (*c, t.clone())).collect();
        for m in mapped {
            let Some(&company) = index_of.get(&m.company_id) else {
                continue;
            };
            for form in normalize::org_forms(&m.org_name)
                .into_iter()
                .filter(|f| matches!(f.kind, FormKind::Core | FormKind::Whole))
            {
                let mut tokens: Vec<String> = form.tokens.into_iter().map(|t| t.text).collect();
                tokens.truncate(MAX_TOKENS);
                if seen.insert((company, tokens.clone())) {
                    let info = MappedInfo {
                        module: m.module.clone(),
                        org_name: m.org_name.clone(),
                    };
                    raw_docs.push((company, tokens, Some(info)));
                }
            }
        }

        // Rarity: in how many companies (name or mapped orgs) a word appears.
        let mut df: HashMap<&str, HashSet<u32>> = HashMap::new();
        for (company, tokens, _) in &raw_docs {
            for t in tokens {
                df.entry(t.as_str()).or_default().insert(*company);
            }
        }
        let n = entries.len().max(1) as f64;
        let idf = |count: f64| (1.0 + n / count).ln();
        let factor = |t: &str| {
            if normalize::is_filler(t) {
                normalize::FILLER_FACTOR
            } else {
                1.0
            }
        };
        let word_weight: HashMap<&str, f64> = df
            .iter()
            .map(|(t, set)| (*t, idf(set.len() as f64) * factor(t)))
            .collect();

        let mut terms: Vec<Term> = Vec::new();
        let mut vocab: HashMap<Box<str>, u32> = HashMap::new();
        let mut intern =
            |text: &str, weight: f64, joined: bool, doc: u32, terms: &mut Vec<Term>| {
                let id = *vocab.entry(text.into()).or_insert_with(|| {
                    terms.push(Term {
                        text: text.into(),
                        weight: 0.0,
                        postings: Vec::new(),
                        joined,
                    });
                    (terms.len() - 1) as u32
                });
                let term = &mut terms[id as usize];
                // A word that is both a word and a join of others counts as a word.
                term.joined &= joined;
                term.weight = term.weight.max(weight);
                if term.postings.last() != Some(&doc) {
                    term.postings.push(doc);
                }
                id
            };
        let mut docs = Vec::with_capacity(raw_docs.len());
        for (doc_idx, (company, tokens, info)) in raw_docs.iter().enumerate() {
            let doc_idx = doc_idx as u32;
            let weights: Vec<f64> = tokens.iter().map(|t| word_weight[t.as_str()]).collect();
            let ids: Vec<(u32, f64)> = tokens
                .iter()
                .zip(&weights)
                .map(|(t, &w)| (intern(t, w, false, doc_idx, &mut terms), w))
                .collect();
            let mut joins = Vec::new();
            for len in 2..=3usize {
                for start in 0..tokens.len().saturating_sub(len - 1) {
                    let text: String = tokens[start..start + len].concat();
                    let w: f64 = weights[start..start + len].iter().sum();
                    let id = intern(&text, w, true, doc_idx, &mut terms);
                    joins.push((start as u8, len as u8, id));
                }
            }
            docs.push(Doc {
                company: *company,
                total: weights.iter().sum(),
                tokens: ids,
                joins,
                mapped: info.clone(),
            });
        }
        let mut surfaces: Vec<(Box<str>, u32)> = terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.joined)
            .map(|(id, t)| (t.text.clone(), id as u32))
            .collect();
        for (variant, word) in normalize::variants() {
            if let Some(&id) = vocab.get(word) {
                surfaces.push((variant.into(), id));
            }
        }
        let mut deletes: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (sid, (text, _)) in surfaces.iter().enumerate() {
            if !fuzzy_eligible(text) {
                continue;
            }
            for d in deletions(text, normalize::max_typo_distance(text.len())) {
                deletes.entry(d.into()).or_default().push(sid as u32);
            }
        }
        let mut initials: HashMap<Box<str>, Vec<(u32, u8)>> = HashMap::new();
        for (d, (_, tokens, _)) in raw_docs.iter().enumerate() {
            for len in 2..=5usize.min(tokens.len()) {
                for start in 0..=tokens.len() - len {
                    let run = &tokens[start..start + len];
                    if run.iter().all(|t| t.as_bytes()[0].is_ascii_lowercase()) {
                        let key: String = run.iter().map(|t| t.as_bytes()[0] as char).collect();
                        initials
                            .entry(key.into())
                            .or_default()
                            .push((d as u32, start as u8));
                    }
                }
            }
        }
        let mut sorted_surfaces: Vec<u32> = (0..surfaces.len() as u32).collect();
        sorted_surfaces.sort_by(|a, b| surfaces[*a as usize].0.cmp(&surfaces[*b as usize].0));
        Matcher {
            companies: entries,
            docs,
            terms,
            vocab,
            surfaces,
            deletes,
            sorted_surfaces,
            initials,
            unknown_weight: idf(0.5),
            params,
        }
    }

    /// The terms a query word matches, with a similarity: itself; spellings within a typo
    /// or two; for an unknown dotted abbreviation, the words it starts.
    fn lookup(&self, word: &str, abbrev: bool, with_fuzzy: bool) -> Vec<(u32, f64)> {
        let mut out: Vec<(u32, f64)> = Vec::new();
        let mut add = |id: u32, sim: f64| match out.iter_mut().find(|(t, _)| *t == id) {
            Some(slot) => slot.1 = slot.1.max(sim),
            None => out.push((id, sim)),
        };
        let exact = self.vocab.get(word).copied();
        if let Some(id) = exact {
            add(id, 1.0);
        }
        if !with_fuzzy {
            return out;
        }
        if fuzzy_eligible(word) {
            let mut seen: HashSet<u32> = HashSet::new();
            for d in deletions(word, normalize::max_typo_distance(word.len())) {
                let Some(ids) = self.deletes.get(d.as_str()) else {
                    continue;
                };
                for &sid in ids {
                    if !seen.insert(sid) {
                        continue;
                    }
                    let (text, id) = &self.surfaces[sid as usize];
                    let sim = normalize::fuzzy_similarity(word, text);
                    if sim > 0.0 && Some(*id) != exact {
                        add(*id, sim);
                    }
                }
            }
        }
        let alphabetic = word.bytes().all(|b| b.is_ascii_lowercase());
        if alphabetic && (word.len() >= 4 || (abbrev && word.len() >= 3)) {
            // An abbreviation: the start of a longer word.
            let sim = if abbrev {
                self.params.prefix_similarity
            } else {
                self.params.undotted_prefix_similarity
            };
            for (text, id) in self.starting_with(word) {
                if text.len() >= word.len() + 2 && Some(id) != exact {
                    add(id, sim);
                }
            }
        }
        if alphabetic && word.len() >= 7 {
            // Another form of the same stem: a long common prefix.
            for (text, id) in self.starting_with(&word[..6]) {
                let common = word
                    .bytes()
                    .zip(text.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                if common * 10 >= 7 * word.len().min(text.len()) && Some(id) != exact {
                    add(id, self.params.stem_similarity);
                }
            }
        }
        out
    }

    /// Up to 64 spellings (of words, not joins) starting with `prefix`.
    fn starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, u32)> + 'a {
        let start = self
            .sorted_surfaces
            .partition_point(|&i| &*self.surfaces[i as usize].0 < prefix);
        self.sorted_surfaces[start..]
            .iter()
            .take(64)
            .map(|&sid| {
                let (text, id) = &self.surfaces[sid as usize];
                (&**text, *id)
            })
            .take_while(move |(text, _)| text.starts_with(prefix))
            .filter(|(_, id)| !self.terms[*id as usize].joined)
    }

    pub(super) fn query_form(
        &self,
        form: Form,
        cache: &mut HashMap<(String, bool), Vec<(u32, f64)>>,
    ) -> QueryForm {
        let p = &self.params;
        let discount = match form.kind {
            FormKind::Core => 1.0,
            FormKind::Joined => p.joined_discount,
            FormKind::Whole => p.whole_discount,
            FormKind::Segment => p.segment_discount,
            FormKind::Alias => p.alias_name_discount,
        };
        let mut words = form.tokens;
        words.truncate(MAX_TOKENS);
        let mut tokens = Vec::with_capacity(words.len());
        for w in &words {
            let t = w.text.as_str();
            let matches = cache
                .entry((w.text.clone(), w.abbrev))
                .or_insert_with(|| self.lookup(t, w.abbrev, true))
                .clone();
            let exact_known = self.vocab.contains_key(t);
            let best = matches
                .iter()
                .copied()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|(_, sim)| *sim > 0.0);
            let weight = match best {
                Some((id, _)) => self.terms[id as usize].weight,
                None if normalize::is_filler(t) => self.unknown_weight * normalize::FILLER_FACTOR,
                None => self.unknown_weight,
            };
            let initials = match (exact_known, self.initials.get(t)) {
                (false, Some(runs)) if (2..=5).contains(&t.len()) => runs
                    .iter()
                    .map(|&(d, start)| (d, start, t.len() as u8))
                    .collect(),
                _ => Vec::new(),
            };
            tokens.push(QueryToken {
                matches,
                initials,
                weight,
            });
        }
        let tokens_text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let mut joins = Vec::new();
        for len in 2..=3usize {
            for start in 0..tokens_text.len().saturating_sub(len - 1) {
                let text: String = tokens_text[start..start + len].concat();
                let matches: Vec<(u32, f64)> = self
                    .lookup(&text, false, false)
                    .into_iter()
                    .filter(|(id, _)| !self.terms[*id as usize].joined)
                    .collect();
                if !matches.is_empty() {
                    joins.push(QueryJoin {
                        start: start as u8,
                        len: len as u8,
                        matches,
                    });
                }
            }
        }
        QueryForm {
            kind: form.kind,
            discount,
            total: tokens.iter().map(|t| t.weight).sum(),
            tokens,
            joins,
            text: tokens_text.join(" "),
        }
    }

    /// How many companies the matcher knows.
    pub fn company_count(&self) -> usize {
        self.companies.len()
    }
}
