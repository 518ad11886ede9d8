//! Measuring the matcher on a labelled set: top-1 accuracy, and the precision and recall of
//! bulk acceptance at a threshold.
//!
//! The embedded set lives in `data/matching/`:
//! - `companies.csv` (`id,name`): the company list, look-alike distractors included;
//! - `mapped.csv` (`module,org_name,company`): orgs already mapped, the evidence from other
//!   modules;
//! - `eval.csv` (`module,org_name,true_company[,kind]`): the orgs to suggest for; an empty
//!   `true_company` is a client missing from the company list, which must never be accepted;
//!   `kind` says what the row exercises and is ignored here;
//! - `holdout.csv`, with its own `holdout_companies.csv` and `holdout_mapped.csv`: a smaller
//!   set written after the tuning, with other names, to check the tuning generalizes.

use std::collections::HashMap;

use serde::Serialize;

use super::{CompanyCandidate, MappedOrg, Matcher};

const COMPANIES: &str = include_str!("../../data/matching/companies.csv");
const MAPPED: &str = include_str!("../../data/matching/mapped.csv");
const EVAL: &str = include_str!("../../data/matching/eval.csv");
const HOLDOUT_COMPANIES: &str = include_str!("../../data/matching/holdout_companies.csv");
const HOLDOUT_MAPPED: &str = include_str!("../../data/matching/holdout_mapped.csv");
const HOLDOUT: &str = include_str!("../../data/matching/holdout.csv");

/// Why a labelled set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchingError {
    #[error("{file} line {line}: {message}")]
    Csv {
        file: &'static str,
        line: usize,
        message: String,
    },
    #[error("{file}: missing column {column:?}")]
    MissingColumn {
        file: &'static str,
        column: &'static str,
    },
    #[error("{file} line {line}: unknown company {name:?}")]
    UnknownCompany {
        file: &'static str,
        line: usize,
        name: String,
    },
}

/// The figures of one evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Orgs evaluated.
    pub orgs: usize,
    /// Orgs whose client is in the company list.
    pub with_company: usize,
    /// Orgs (with a company) whose best suggestion is their company.
    pub top1_correct: usize,
    /// `top1_correct / with_company`.
    pub top1_accuracy: f64,
    pub threshold: f64,
    /// Orgs whose best suggestion reaches the threshold.
    pub accepted: usize,
    pub accepted_correct: usize,
    /// `accepted_correct / accepted` (1 when nothing is accepted).
    pub precision: f64,
    /// `accepted_correct / with_company`.
    pub recall: f64,
    /// Accepted but wrong: (org, suggested company, true company or "" when not in the list).
    pub wrong_accepts: Vec<(String, String, String)>,
    /// Orgs of clients missing from the list that were accepted (all of them are wrong).
    pub missing_accepted: usize,
    /// Orgs with a company whose best suggestion is another one: (org, suggested, truth).
    pub top1_misses: Vec<(String, String, String)>,
}

/// Evaluates the default matcher on the embedded labelled set.
pub fn evaluate(threshold: f64) -> EvalReport {
    evaluate_on(COMPANIES, MAPPED, EVAL, threshold).expect("the embedded evaluation set parses")
}

/// Evaluates the default matcher on the embedded held-out set (written after the tuning).
pub fn evaluate_holdout(threshold: f64) -> EvalReport {
    evaluate_on(HOLDOUT_COMPANIES, HOLDOUT_MAPPED, HOLDOUT, threshold)
        .expect("the embedded holdout set parses")
}

/// Evaluates the default matcher on labelled CSV text (see the module documentation).
pub fn evaluate_on(
    companies_csv: &str,
    mapped_csv: &str,
    eval_csv: &str,
    threshold: f64,
) -> Result<EvalReport, MatchingError> {
    let set = LabelledSet::parse(companies_csv, mapped_csv, eval_csv)?;
    let matcher = Matcher::new(&set.companies, &set.mapped);
    Ok(set.run(&matcher, threshold))
}

/// A parsed labelled set.
pub(crate) struct LabelledSet {
    pub companies: Vec<CompanyCandidate>,
    pub mapped: Vec<MappedOrg>,
    /// (module, org name, true company id)
    pub rows: Vec<(String, String, Option<i64>)>,
}

impl LabelledSet {
    pub(crate) fn parse(
        companies_csv: &str,
        mapped_csv: &str,
        eval_csv: &str,
    ) -> Result<Self, MatchingError> {
        const C: &str = "companies.csv";
        const M: &str = "mapped.csv";
        const E: &str = "eval.csv";
        let table = Table::parse(companies_csv, C)?;
        let name_col = table.column("name")?;
        let id_col = table.header.iter().position(|h| h == "id");
        let mut companies = Vec::new();
        for (line, row) in &table.rows {
            let id = match id_col {
                Some(i) => row[i].trim().parse().map_err(|_| MatchingError::Csv {
                    file: C,
                    line: *line,
                    message: format!("id {:?} is not an integer", row[i]),
                })?,
                None => companies.len() as i64 + 1,
            };
            companies.push(CompanyCandidate {
                id,
                name: row[name_col].trim().to_owned(),
            });
        }
        let mut by_name: HashMap<&str, i64> = HashMap::new();
        for c in &companies {
            by_name.entry(c.name.as_str()).or_insert(c.id);
        }
        let lookup = |name: &str, file: &'static str, line: usize| {
            by_name
                .get(name.trim())
                .copied()
                .ok_or_else(|| MatchingError::UnknownCompany {
                    file,
                    line,
                    name: name.to_owned(),
                })
        };

        let table = Table::parse(mapped_csv, M)?;
        let (module, org, company) = (
            table.column("module")?,
            table.column("org_name")?,
            table.column("company")?,
        );
        let mut mapped = Vec::new();
        for (line, row) in &table.rows {
            mapped.push(MappedOrg {
                module: row[module].trim().to_owned(),
                org_name: row[org].clone(),
                company_id: lookup(&row[company], M, *line)?,
            });
        }

        let table = Table::parse(eval_csv, E)?;
        let (module, org, truth) = (
            table.column("module")?,
            table.column("org_name")?,
            table.column("true_company")?,
        );
        let mut rows = Vec::new();
        for (line, row) in &table.rows {
            let truth = match row[truth].trim() {
                "" => None,
                name => Some(lookup(name, E, *line)?),
            };
            rows.push((row[module].trim().to_owned(), row[org].clone(), truth));
        }
        Ok(Self {
            companies,
            mapped,
            rows,
        })
    }

    pub(crate) fn run(&self, matcher: &Matcher, threshold: f64) -> EvalReport {
        let names: HashMap<i64, &str> = self
            .companies
            .iter()
            .rev()
            .map(|c| (c.id, c.name.as_str()))
            .collect();
        let name = |id: Option<i64>| id.and_then(|i| names.get(&i).copied()).unwrap_or("");
        let mut r = EvalReport {
            orgs: self.rows.len(),
            with_company: 0,
            top1_correct: 0,
            top1_accuracy: 0.0,
            threshold,
            accepted: 0,
            accepted_correct: 0,
            precision: 1.0,
            recall: 0.0,
            wrong_accepts: Vec::new(),
            missing_accepted: 0,
            top1_misses: Vec::new(),
        };
        for (module, org, truth) in &self.rows {
            let best = matcher.suggest(module, org, 1).into_iter().next();
            let suggested = best.as_ref().map(|s| s.company_id);
            let correct = truth.is_some() && suggested == *truth;
            if truth.is_some() {
                r.with_company += 1;
                if correct {
                    r.top1_correct += 1;
                } else {
                    r.top1_misses
                        .push((org.clone(), name(suggested).into(), name(*truth).into()));
                }
            }
            if best.is_some_and(|s| s.confidence >= threshold) {
                r.accepted += 1;
                if correct {
                    r.accepted_correct += 1;
                } else {
                    if truth.is_none() {
                        r.missing_accepted += 1;
                    }
                    r.wrong_accepts.push((
                        org.clone(),
                        name(suggested).into(),
                        name(*truth).into(),
                    ));
                }
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        r.top1_accuracy = ratio(r.top1_correct, r.with_company);
        r.precision = ratio(r.accepted_correct, r.accepted);
        r.recall = ratio(r.accepted_correct, r.with_company);
        r
    }
}

/// A small CSV table: a header row, then rows of as many fields. Fields may be quoted with
/// double quotes (`""` inside is a quote); blank lines and lines starting with `#` are skipped.
struct Table {
    header: Vec<String>,
    /// (1-based line number, fields)
    rows: Vec<(usize, Vec<String>)>,
    file: &'static str,
}

impl Table {
    fn parse(text: &str, file: &'static str) -> Result<Self, MatchingError> {
        let mut records = parse_csv(text, file)?.into_iter();
        let Some((_, header)) = records.next() else {
            return Err(MatchingError::Csv {
                file,
                line: 1,
                message: "no header row".into(),
            });
        };
        let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        let mut rows = Vec::new();
        for (line, mut fields) in records {
            if fields.len() > header.len() {
                return Err(MatchingError::Csv {
                    file,
                    line,
                    message: format!("{} fields, the header has {}", fields.len(), header.len()),
                });
            }
            fields.resize(header.len(), String::new());
            rows.push((line, fields));
        }
        Ok(Self { header, rows, file })
    }

    fn column(&self, name: &'static str) -> Result<usize, MatchingError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or(MatchingError::MissingColumn {
                file: self.file,
                column: name,
            })
    }
}

/// Records of comma-separated fields with optional double quotes, with their line numbers.
fn parse_csv(text: &str, file: &'static str) -> Result<Vec<(usize, Vec<String>)>, MatchingError> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while chars.peek().is_some() {
        let start_line = line;
        // Skip blank lines and comments.
        match chars.peek() {
            Some('\n') => {
                chars.next();
                line += 1;
                continue;
            }
            Some('\r') => {
                chars.next();
                continue;
            }
            Some('#') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
                continue;
            }
            _ => {}
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut was_quoted = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(MatchingError::Csv {
                        file,
                        line: start_line,
                        message: "unterminated quoted field".into(),
                    });
                }
                fields.push(std::mem::take(&mut field));
                break;
            };
            match c {
                '"' if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                '"' if field.trim().is_empty() && !was_quoted => {
                    field.clear();
                    quoted = true;
                    was_quoted = true;
                }
                '\n' if quoted => {
                    line += 1;
                    field.push('\n');
                }
                ',' if !quoted => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                '\r' if !quoted => {}
                '\n' => {
                    line += 1;
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                _ if was_quoted && !quoted && !c.is_whitespace() => {
                    return Err(MatchingError::Csv {
                        file,
                        line: start_line,
                        message: "text after a closing quote".into(),
                    });
                }
                _ => field.push(c),
            }
        }
        records.push((start_line, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_commas_and_comments() {
        let text = "a,b\n# comment\n\"x, y\",\"say \"\"hi\"\"\"\n\nplain,\r\n";
        let rows = parse_csv(text, "t").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1, vec!["x, y", "say \"hi\""]);
        assert_eq!(rows[2].1, vec!["plain", ""]);
        assert!(parse_csv("\"open", "t").is_err());
        assert!(parse_csv("\"a\"b", "t").is_err());
    }

    #[test]
    fn unknown_company_is_an_error() {
        let err = evaluate_on(
            "id,name\n1,Acme\n",
            "module,org_name,company\n",
            "module,org_name,true_company\nx,Acme,Beta\n",
            0.9,
        )
        .unwrap_err();
        assert!(matches!(err, MatchingError::UnknownCompany { line: 2, .. }));
        let err = evaluate_on(
            "name\nAcme\n",
            "module,org_name\n",
            "module,org_name,true_company\n",
            0.9,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            MatchingError::MissingColumn {
                column: "company",
                ..
            }
        ));
    }
}
