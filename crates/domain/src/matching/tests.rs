use proptest::prelude::*;

use super::eval::LabelledSet;
use super::*;

fn companies(names: &[&str]) -> Vec<CompanyCandidate> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| CompanyCandidate {
            id: i as i64 + 1,
            name: (*n).to_owned(),
        })
        .collect()
}

fn best(m: &Matcher, org: &str) -> Option<Suggestion> {
    m.suggest("datto-rmm", org, 3).into_iter().next()
}

fn accepted(m: &Matcher, org: &str) -> Option<i64> {
    best(m, org)
        .filter(|s| s.confidence >= DEFAULT_ACCEPT_THRESHOLD)
        .map(|s| s.company_id)
}

#[test]
fn normalizes_case_accents_punctuation_and_legal_forms() {
    for name in [
        "Acme Corporation",
        "ACME CORP.",
        "Acme, Inc.",
        "acme inc",
        "Acme Incorporated",
        "Acme L.L.C.",
        "Acme LLC",
        "The Acme Company",
        "Acme Co., Ltd.",
        "Acme Pty Ltd",
        "Acme GmbH",
        "Acme B.V.",
        "Acme S.A.",
        "Acme SARL",
        "Acme AG",
        "Acme PLC",
        "Acme LLP",
        "Acme Corportion",
        "  acme   corp ",
        "acme.com",
    ] {
        assert_eq!(normalize_name(name), "acme", "{name}");
    }
    assert_eq!(
        normalize_name("Müller Präzisionstechnik GmbH"),
        "muller prazisionstechnik"
    );
    assert_eq!(normalize_name("Café Lumière"), "cafe lumiere");
    assert_eq!(normalize_name("Ångström Optics AB"), "angstrom optics");
    assert_eq!(
        normalize_name("O'Brien Brothers Roofing"),
        "obrien brothers roofing"
    );
    assert_eq!(
        normalize_name("St. Mary's Catholic School"),
        "st marys catholic school"
    );
    assert_eq!(
        normalize_name("Saint Mary's Catholic School"),
        "st marys catholic school"
    );
}

#[test]
fn normalizes_and_abbreviations_and_the() {
    assert_eq!(
        normalize_name("Smith & Sons Plumbing"),
        "smith sons plumbing"
    );
    assert_eq!(
        normalize_name("Smith and Sons Plumbing"),
        "smith sons plumbing"
    );
    assert_eq!(
        normalize_name("Smith + Sons Plumbing"),
        "smith sons plumbing"
    );
    assert_eq!(
        normalize_name("The Smith Bros. Mfg Co"),
        "smith brothers manufacturing"
    );
    assert_eq!(
        normalize_name("Hernandez Int'l Trading"),
        normalize_name("Hernandez International Trading")
    );
    for (short, long) in [
        ("Kowalski Tax Svcs", "Kowalski Tax Services"),
        ("Beacon Hill Assoc.", "Beacon Hill Associates"),
        (
            "Greene County Dept of Health",
            "Greene County Department of Health",
        ),
        ("Fairview Senior Ctr", "Fairview Senior Center"),
        ("Thompson Med. Supply", "Thompson Medical Supply"),
        ("Elmwood Medical Grp", "Elmwood Medical Group"),
        ("Foxglove Tech", "Foxglove Technologies"),
        ("Driftwood Mgmt Group", "Driftwood Management Group"),
        ("Mt. Olive Baptist Church", "Mount Olive Baptist Church"),
        ("Alpine Electric Co-op", "Alpine Electric Cooperative"),
    ] {
        assert_eq!(normalize_name(short), normalize_name(long), "{short}");
    }
}

#[test]
fn normalizes_site_tails() {
    for name in [
        "Acme Corp - HQ",
        "Acme Corp - Main Office",
        "Acme Corp (Branch 2)",
        "Acme Corp - Site 3",
        "Acme Corp - Warehouse",
        "Acme Corp - Denver",
        "acme corp (Main Office)",
        "Acme Corp HQ",
        "Acme Corp Main Office",
        "Acme Corp Site 3",
        "ACME CORP \u{2014} Portland",
        "Acme Corp \u{2013} Austin",
        "Acme Corp [Old Domain]",
        "Acme Corp / Phoenix",
        "Acme Corp - 2nd Floor",
        "HQ - Acme Corp",
        "ACME-HQ",
    ] {
        assert_eq!(normalize_name(name), "acme", "{name}");
    }
    // A hyphen inside a name is not a site separator.
    assert_eq!(
        normalize_name("Smith-Jones Architects"),
        "smith jones architects"
    );
    // A name made only of site words is kept as it is.
    assert_eq!(normalize_name("Main Office"), "main office");
    assert_eq!(normalize_name(""), "");
    assert_eq!(normalize_name(" - "), "");
}

#[test]
fn exact_and_near_names_are_accepted() {
    let m = Matcher::new(
        &companies(&[
            "Acme Corporation",
            "Smith Electric Co.",
            "Hernandez International Trading",
            "Jefferson Memorial Hospital",
            "Müller Präzisionstechnik GmbH",
            "Northstar Logistics",
            "Bright Smile Dental",
        ]),
        &[],
    );
    for (org, id) in [
        ("Acme Corp - HQ", 1),
        ("ACME CORPORATION (Branch 2)", 1),
        ("The Acme Co.", 1),
        ("Smith Electric", 2),
        ("Hernandez Intl Trading", 3),
        ("Jeferson Memorial Hospital", 4),
        ("Mueller Praezisionstechnik", 5),
        ("North Star Logistics Inc", 6),
        ("Bright Smile Dental - Site 3", 7),
    ] {
        let s = best(&m, org).expect(org);
        assert_eq!(s.company_id, id, "{org}: {s:?}");
        assert!(s.confidence >= DEFAULT_ACCEPT_THRESHOLD, "{org}: {s:?}");
        assert!(!s.reason.is_empty());
    }
    let s = best(&m, "acme corp").unwrap();
    assert_eq!(s.reason, "same name after normalizing");
}

#[test]
fn look_alike_companies_are_not_confused() {
    let m = Matcher::new(
        &companies(&[
            "Acme Dental",
            "Acme Dental Lab",
            "Smith & Sons Plumbing",
            "Smith Plumbing",
            "North Star Legal",
            "Northstar Logistics",
            "Carter Law Firm",
            "Carver Law Firm",
            "Coastal Insurance Brokers",
            "Coastal Insurance Group",
        ]),
        &[],
    );
    // Each look-alike on its own name goes to itself.
    for (org, id) in [
        ("Acme Dental", 1),
        ("Acme Dental Lab", 2),
        ("Smith and Sons Plumbing", 3),
        ("Smith Plumbing", 4),
        ("North Star Legal", 5),
        ("Northstar Logistics", 6),
        ("Carter Law Firm", 7),
        ("Carver Law Firm", 8),
    ] {
        assert_eq!(accepted(&m, org), Some(id), "{org}: {:?}", best(&m, org));
    }
    // Ambiguous names are suggested, never accepted.
    for org in [
        "Acme Dental - Lab",
        "Acme",
        "Smith",
        "North Star",
        "Coastal Insurance",
        "Carer Law Firm",
        "Acme Dental Studio",
        "Smith Landscaping",
    ] {
        assert_eq!(
            accepted(&m, org),
            None,
            "{org}: {:?}",
            m.suggest("x", org, 3)
        );
    }
    // The confidence of a close pair is low for both.
    let both = m.suggest("x", "Coastal Insurance", 2);
    assert_eq!(both.len(), 2);
    assert!(
        both[0].confidence < 0.7 && both[1].confidence < 0.7,
        "{both:?}"
    );
    assert!(both[0].reason.contains("close to"), "{both:?}");
}

#[test]
fn clients_missing_from_the_list_are_not_accepted() {
    let m = Matcher::new(
        &companies(&[
            "Acme Corporation",
            "Summit Health Partners",
            "Riverside Medical Center",
            "Premier Auto Body",
        ]),
        &[],
    );
    for org in [
        "Acme Roofing Inc",
        "Summit Dental Care",
        "Riverside Auto Body",
        "Premier Auto Glass",
        "Harmon Family Chiropractic",
        "Default Site",
    ] {
        assert_eq!(accepted(&m, org), None, "{org}: {:?}", best(&m, org));
    }
}

#[test]
fn mappings_in_other_modules_are_evidence() {
    let cs = companies(&[
        "Coastal Insurance Brokers",
        "Coastal Insurance Group",
        "Bright Smile Dental",
    ]);
    let mapped = [
        MappedOrg {
            module: "datto-rmm".into(),
            org_name: "Coastal Insurance".into(),
            company_id: 1,
        },
        MappedOrg {
            module: "datto-rmm".into(),
            org_name: "BRSD-001".into(),
            company_id: 3,
        },
        MappedOrg {
            module: "datto-rmm".into(),
            org_name: "Gone Client".into(),
            company_id: 99,
        },
    ];
    let without = Matcher::new(&cs, &[]);
    let with = Matcher::new(&cs, &mapped);
    assert_eq!(accepted(&without, "Coastal Insurance"), None);
    let s = with.suggest("graphus", "Coastal Insurance", 1).remove(0);
    assert_eq!(s.company_id, 1);
    assert!(s.confidence >= DEFAULT_ACCEPT_THRESHOLD, "{s:?}");
    assert_eq!(s.reason, "also mapped in datto-rmm as 'Coastal Insurance'");
    let s = with.suggest("rocketcyber", "BRSD-001", 1).remove(0);
    assert_eq!(s.company_id, 3);
    assert!(s.confidence >= DEFAULT_ACCEPT_THRESHOLD, "{s:?}");
    assert!(without.suggest("rocketcyber", "BRSD-001", 1).is_empty());
    // A mapping to a company that is not a candidate any more is ignored.
    assert!(with.suggest("graphus", "Gone Client", 1).is_empty());
}

#[test]
fn conflicting_evidence_is_not_accepted() {
    let cs = companies(&["Metro Pediatrics", "Metro Pediatric Dentistry"]);
    let mapped = [
        MappedOrg {
            module: "datto-rmm".into(),
            org_name: "Metro Peds".into(),
            company_id: 1,
        },
        MappedOrg {
            module: "vsa-10".into(),
            org_name: "Metro Peds".into(),
            company_id: 2,
        },
    ];
    let m = Matcher::new(&cs, &mapped);
    let s = m.suggest("graphus", "Metro Peds", 2);
    assert!(s[0].confidence < DEFAULT_ACCEPT_THRESHOLD, "{s:?}");
}

#[test]
fn duplicate_companies_are_ambiguous() {
    let m = Matcher::new(&companies(&["Acme Corp", "ACME Corporation"]), &[]);
    let s = m.suggest("x", "Acme", 2);
    assert_eq!(s.len(), 2);
    assert!(s.iter().all(|s| s.confidence < 0.6), "{s:?}");
}

#[test]
fn edge_cases() {
    let m = Matcher::new(&companies(&["Acme Corporation"]), &[]);
    assert!(m.suggest("x", "Acme", 0).is_empty());
    assert!(m.suggest("x", "", 3).is_empty());
    assert!(m.suggest("x", "---", 3).is_empty());
    assert!(m.suggest("x", "Zyxwv", 3).is_empty());
    let empty = Matcher::new(&[], &[]);
    assert!(empty.suggest("x", "Acme", 3).is_empty());
    let weird = Matcher::new(&companies(&["!!!", "Acme"]), &[]);
    assert_eq!(weird.suggest("x", "acme", 3)[0].company_id, 2);
}

#[test]
fn evaluation_meets_targets() {
    let r = evaluate(DEFAULT_ACCEPT_THRESHOLD);
    println!("{r:#?}");
    assert!(r.orgs >= 300, "{}", r.orgs);
    assert!(r.top1_accuracy >= 0.97, "top-1 {:.4}", r.top1_accuracy);
    assert!(r.precision >= 0.995, "precision {:.4}", r.precision);
    assert!(r.recall >= 0.85, "recall {:.4}", r.recall);
    assert_eq!(r.missing_accepted, 0, "{:?}", r.wrong_accepts);
}

#[test]
fn holdout_precision() {
    let r = evaluate_holdout(DEFAULT_ACCEPT_THRESHOLD);
    println!("{r:#?}");
    assert!(r.orgs >= 60, "{}", r.orgs);
    assert!(r.precision >= 0.99, "precision {:.4}", r.precision);
    assert_eq!(r.missing_accepted, 0, "{:?}", r.wrong_accepts);
}

/// Prints the figures of the evaluation sets over a range of thresholds, and the rows below
/// the threshold or suggested wrongly with some confidence.
/// `cargo test -p unitbill-domain --lib matching::tests::tune -- --ignored --nocapture`
#[test]
#[ignore]
fn tune() {
    let sets = [
        (
            "eval",
            include_str!("../../data/matching/companies.csv"),
            include_str!("../../data/matching/mapped.csv"),
            include_str!("../../data/matching/eval.csv"),
        ),
        (
            "holdout",
            include_str!("../../data/matching/holdout_companies.csv"),
            include_str!("../../data/matching/holdout_mapped.csv"),
            include_str!("../../data/matching/holdout.csv"),
        ),
    ];
    for (label, companies, mapped, rows) in sets {
        let set = LabelledSet::parse(companies, mapped, rows).unwrap();
        let m = Matcher::new(&set.companies, &set.mapped);
        println!("== {label}: {} orgs", set.rows.len());
        for t in [0.7, 0.75, 0.8, 0.85, 0.9, 0.95] {
            let r = set.run(&m, t);
            println!(
                "t={t:.2} top1={:.4} accepted={} precision={:.4} recall={:.4} wrong={} missing={}",
                r.top1_accuracy,
                r.accepted,
                r.precision,
                r.recall,
                r.wrong_accepts.len(),
                r.missing_accepted
            );
        }
        let names: std::collections::HashMap<i64, &str> = set
            .companies
            .iter()
            .map(|c| (c.id, c.name.as_str()))
            .collect();
        for (module, org, truth) in &set.rows {
            let s = m.suggest(module, org, 2);
            let conf = s.first().map_or(0.0, |s| s.confidence);
            let ok = s.first().map(|s| s.company_id) == *truth;
            if (truth.is_some() && conf < DEFAULT_ACCEPT_THRESHOLD) || (!ok && conf > 0.5) {
                println!(
                    "{} {:.3} {org:?} -> {:?} [{}] truth {:?}",
                    if ok { "LOW " } else { "BAD " },
                    conf,
                    s.first().map(|s| names[&s.company_id]),
                    s.first().map_or("", |s| s.reason.as_str()),
                    truth.map(|t| names[&t]),
                );
            }
        }
    }
}

/// Times `suggest` on a synthetic tenant of 5,000 companies.
/// `cargo test --release -p unitbill-domain --lib matching::tests::timing -- --ignored --nocapture`
#[test]
#[ignore]
fn timing() {
    let set = LabelledSet::parse(
        include_str!("../../data/matching/companies.csv"),
        include_str!("../../data/matching/mapped.csv"),
        include_str!("../../data/matching/eval.csv"),
    )
    .unwrap();
    let cs = synthetic_companies(5000);
    let start = std::time::Instant::now();
    let m = Matcher::new(&cs, &set.mapped[..0]);
    println!("build 5000 companies: {:?}", start.elapsed());
    let orgs: Vec<&str> = set.rows.iter().map(|r| r.1.as_str()).collect();
    let start = std::time::Instant::now();
    let mut found = 0;
    let rounds = 5;
    for _ in 0..rounds {
        for o in &orgs {
            found += m.suggest("x", o, 3).len();
        }
    }
    let per = start.elapsed() / (rounds * orgs.len()) as u32;
    println!("suggest on 5000 companies: {per:?} per org ({found} suggestions)");
    let own: Vec<String> = cs
        .iter()
        .step_by(10)
        .map(|c| format!("{} - HQ", c.name))
        .collect();
    let start = std::time::Instant::now();
    for o in &own {
        found += m.suggest("x", o, 3).len();
    }
    println!(
        "suggest on 5000 companies, own names: {:?} per org ({found} suggestions in all)",
        start.elapsed() / own.len() as u32
    );
}

/// Plausible company names from word lists, deterministic.
fn synthetic_companies(n: usize) -> Vec<CompanyCandidate> {
    const FIRST: &[&str] = &[
        "Acme",
        "Summit",
        "Riverside",
        "Pinnacle",
        "Blue Ridge",
        "Oak Tree",
        "Green Valley",
        "Harbor",
        "Premier",
        "Cedar",
        "Allied",
        "Coastal",
        "Metro",
        "Evergreen",
        "Golden",
        "Apex",
        "Heritage",
        "United",
        "North Star",
        "Lakeside",
        "Smith",
        "Johnson",
        "Miller",
        "Garcia",
        "Nguyen",
        "Patel",
        "Kowalski",
        "Olsen",
        "Rossi",
        "Dubois",
        "Schmidt",
        "Tanaka",
        "Okafor",
        "Silva",
        "Kaplan",
        "Sullivan",
        "Murphy",
        "Chen",
        "Lopez",
        "Young",
    ];
    const SECOND: &[&str] = &[
        "", "Family", "Brothers", "& Sons", "Creek", "Point", "Hill", "Valley", "Park", "West",
        "East", "Bay", "Ridge", "Springs", "Lake", "Mountain", "River", "Field", "Grove", "Rock",
    ];
    const KIND: &[&str] = &[
        "Dental",
        "Plumbing",
        "Law Group",
        "Medical Center",
        "Accounting",
        "Construction",
        "Realty",
        "Insurance Agency",
        "Veterinary Clinic",
        "Auto Repair",
        "Church",
        "Academy",
        "Engineering",
        "Logistics",
        "Pharmacy",
        "Landscaping",
        "Bakery",
        "Architects",
        "Physical Therapy",
        "Consulting Group",
        "Orthodontics",
        "Roofing",
        "Electric",
        "Property Management",
        "Title & Escrow",
        "Credit Union",
        "Home Health",
        "Marine",
    ];
    const LEGAL: &[&str] = &["", "", "Inc.", "LLC", "Corp", "Ltd", "Co."];
    (0..n)
        .map(|i| {
            let f = FIRST[i % FIRST.len()];
            let s = SECOND[(i / FIRST.len()) % SECOND.len()];
            let k = KIND[(i * 7 + i / 13) % KIND.len()];
            let l = LEGAL[(i / 3) % LEGAL.len()];
            let name = [f, s, k, l]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            CompanyCandidate {
                id: i as i64 + 1,
                name: format!(
                    "{name} {}",
                    if i >= 4000 {
                        format!("{i}")
                    } else {
                        String::new()
                    }
                )
                .trim()
                .to_owned(),
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn confidences_are_in_range_and_sorted(
        names in proptest::collection::vec("[A-Za-z&'. -]{1,24}", 1..12),
        org in "[A-Za-z&'.() -]{0,30}",
    ) {
        let cs: Vec<CompanyCandidate> = names
            .iter()
            .enumerate()
            .map(|(i, n)| CompanyCandidate { id: i as i64, name: n.clone() })
            .collect();
        let m = Matcher::new(&cs, &[]);
        let s = m.suggest("x", &org, 5);
        prop_assert!(s.len() <= 5);
        for w in s.windows(2) {
            prop_assert!(w[0].confidence >= w[1].confidence);
        }
        for x in &s {
            prop_assert!((0.0..=1.0).contains(&x.confidence));
            prop_assert!(x.confidence.is_finite());
        }
    }

    #[test]
    fn a_unique_company_name_finds_itself(
        words in proptest::collection::vec("[a-z]{4,10}", 1..4),
        others in proptest::collection::vec("[a-z]{4,10} [a-z]{4,10}", 0..20),
    ) {
        let name = words.join(" ");
        let mut cs: Vec<CompanyCandidate> = others
            .iter()
            .filter(|o| normalize_name(o) != normalize_name(&name))
            .enumerate()
            .map(|(i, n)| CompanyCandidate { id: i as i64 + 2, name: n.clone() })
            .collect();
        cs.push(CompanyCandidate { id: 1, name: name.clone() });
        let m = Matcher::new(&cs, &[]);
        let s = m.suggest("x", &format!("{name} Inc. - HQ"), 1);
        prop_assert_eq!(s.first().map(|s| s.company_id), Some(1));
    }

    #[test]
    fn normalizing_is_idempotent(name in "[A-Za-z0-9&'.,() -]{0,40}") {
        let once = normalize_name(&name);
        prop_assert_eq!(normalize_name(&once), once.clone());
    }
}

/// One parameter at a time around the defaults: how sensitive the figures are.
#[test]
#[ignore]
fn sensitivity() {
    let set = LabelledSet::parse(
        include_str!("../../data/matching/companies.csv"),
        include_str!("../../data/matching/mapped.csv"),
        include_str!("../../data/matching/eval.csv"),
    )
    .unwrap();
    let d = Params::default();
    let variants: Vec<(&str, Params)> = vec![
        ("default", d),
        ("beta 0.8", Params { beta: 0.8, ..d }),
        ("beta 1.25", Params { beta: 1.25, ..d }),
        (
            "temp 0.015",
            Params {
                temperature: 0.015,
                ..d
            },
        ),
        (
            "temp 0.04",
            Params {
                temperature: 0.04,
                ..d
            },
        ),
        (
            "mutual 0",
            Params {
                mutual_penalty: 0.0,
                ..d
            },
        ),
        (
            "mutual 2",
            Params {
                mutual_penalty: 2.0,
                ..d
            },
        ),
        (
            "mapped pow 1",
            Params {
                mapped_power: 1.0,
                ..d
            },
        ),
        (
            "mapped pow 3",
            Params {
                mapped_power: 3.0,
                ..d
            },
        ),
        (
            "agree 0",
            Params {
                agree_bonus: 0.0,
                ..d
            },
        ),
        (
            "agree 0.6",
            Params {
                agree_bonus: 0.6,
                ..d
            },
        ),
        (
            "whole 0.9",
            Params {
                whole_discount: 0.9,
                joined_discount: 0.95,
                ..d
            },
        ),
        (
            "candidates 16",
            Params {
                candidates: 16,
                ..d
            },
        ),
    ];
    for (name, params) in variants {
        let m = Matcher::with_params(&set.companies, &set.mapped, params);
        let a = set.run(&m, 0.85);
        let b = set.run(&m, 0.9);
        println!(
            "{name:14} top1={:.4} | @0.85 recall={:.4} wrong={} | @0.90 recall={:.4} wrong={}",
            a.top1_accuracy,
            a.recall,
            a.wrong_accepts.len(),
            b.recall,
            b.wrong_accepts.len()
        );
    }
}
