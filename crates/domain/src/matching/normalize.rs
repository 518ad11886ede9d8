//! From a raw organization or company name to canonical tokens.
//!
//! A module names a client the way whoever set it up typed it: "ACME CORP - HQ",
//! "Acme Corporation (Branch 2)", "The Acme Co.". Parsing keeps what identifies the client
//! (the *core*) apart from what only locates a site (a " - " or parenthesised tail, trailing
//! words such as "HQ" or "Site 3"), drops legal forms, "the", "and", punctuation and accents,
//! and spells common abbreviations out, so that every spelling above becomes `acme`.
//!
//! Because no rule is right for every name ("Discount Warehouse" is a company, not a warehouse
//! site of "Discount"), an organization name yields several [`Form`]s: the core first, then the
//! whole name with its tails. The matcher scores each form and keeps the best, with a small
//! discount for the forms that are less likely to be the client's name.

use deunicode::deunicode;

/// One way of reading a name, as canonical tokens.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Form {
    pub tokens: Vec<Token>,
    pub kind: FormKind,
}

/// A canonical word of a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Token {
    pub text: String,
    /// Written with a trailing dot and not a known abbreviation ("Dyn."): may stand for any
    /// longer word it starts.
    pub abbrev: bool,
}

impl Token {
    fn new(text: &str, abbrev: bool) -> Self {
        Self {
            text: text.to_owned(),
            abbrev,
        }
    }
}

/// Which reading a [`Form`] is; the matcher discounts the less likely ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormKind {
    /// The main segment without legal form and site tail: the best guess of the client's name.
    Core,
    /// Every dash-separated segment together, legal form and trailing site words dropped.
    Joined,
    /// Everything, parenthesised tails and site words included (only legal forms dropped).
    Whole,
    /// Another dash-separated segment on its own ("Denver - Acme Corp").
    Segment,
    /// A name given after "dba", "aka", "formerly"...
    Alias,
}

/// Legal forms that are dropped wherever they appear.
const LEGAL_ANYWHERE: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "corp",
    "corporation",
    "plc",
    "pllc",
    "llp",
    "lllp",
    "pty",
    "pvt",
    "sarl",
    "bvba",
    "mbh",
    "ohg",
    "gbr",
    "ug",
    "kgaa",
    "srl",
    "sprl",
    "lp",
];

/// Legal forms (and corporate filler) that are dropped only at the end of a name, where they
/// cannot be a word of the name itself ("Co Op", "PA Dental", "SA Imports").
const LEGAL_TRAILING: &[&str] = &[
    "co",
    "company",
    "companies",
    "sa",
    "sas",
    "ag",
    "nv",
    "bv",
    "ab",
    "oy",
    "oyj",
    "kg",
    "pc",
    "pa",
    "sau",
    "sca",
    "kk",
    "bhd",
    "sdn",
    "pte",
    "tbk",
    "asa",
    "aps",
    "lda",
    "ltda",
    "cia",
    "cic",
    "ulc",
    "com",
    "net",
    "org",
    "io",
];

/// Long legal forms that are also recognised with one typo ("Corportion", "Incorporatd").
const LEGAL_FUZZY: &[&str] = &["corporation", "incorporated", "limited", "company"];

/// Words that mean "a site of the client" when they end a name on their own ("Acme HQ").
const SITE_ALONE: &[&str] = &[
    "hq",
    "headquarters",
    "headquarter",
    "branch",
    "branches",
    "satellite",
    "annex",
    "campus",
    "warehouse",
    "main",
    "office",
    "offices",
    "remote",
    "admin",
    "administration",
    "users",
    "floor",
    "wing",
    "downtown",
    "uptown",
    "midtown",
    "corporate",
    "legacy",
    "old",
    "new",
    "test",
    "tenant",
    "domain",
    "servers",
    "workstations",
    "laptops",
    "devices",
    "endpoints",
    "primary",
    "secondary",
];

/// Words that mean "a site of the client" when a number follows them ("Store 12", "Site 3").
const SITE_NUMBERED: &[&str] = &[
    "site",
    "sites",
    "store",
    "location",
    "loc",
    "branch",
    "office",
    "clinic",
    "building",
    "bldg",
    "floor",
    "suite",
    "ste",
    "unit",
    "plant",
    "warehouse",
    "campus",
    "shop",
    "no",
    "number",
    "num",
    "room",
    "lab",
    "facility",
    "region",
    "district",
    "zone",
    "area",
    "restaurant",
    "school",
    "team",
    "dept",
    "department",
];

/// Words introducing another name of the same client inside a name.
const ALIAS_MARKERS: &[&str] = &[
    " dba ",
    " aka ",
    " fka ",
    " formerly ",
    " previously ",
    " trading as ",
    " doing business as ",
];

/// Words dropped everywhere: they never tell two clients apart.
const STOPWORDS: &[&str] = &["the", "and", "of", "for", "at", "an", "et", "und"];

/// Abbreviations and variant spellings, mapped to one canonical word.
const CANONICAL: &[(&str, &str)] = &[
    ("intl", "international"),
    ("internat", "international"),
    ("internatl", "international"),
    ("mfg", "manufacturing"),
    ("mfgr", "manufacturing"),
    ("manuf", "manufacturing"),
    ("svc", "services"),
    ("svcs", "services"),
    ("srvc", "services"),
    ("srvcs", "services"),
    ("servs", "services"),
    ("serv", "services"),
    ("service", "services"),
    ("assoc", "associates"),
    ("assocs", "associates"),
    ("associate", "associates"),
    ("assn", "association"),
    ("bro", "brothers"),
    ("bros", "brothers"),
    ("brother", "brothers"),
    ("dept", "department"),
    ("dpt", "department"),
    ("ctr", "center"),
    ("cntr", "center"),
    ("centre", "center"),
    ("med", "medical"),
    ("grp", "group"),
    ("tech", "technologies"),
    ("techs", "technologies"),
    ("technology", "technologies"),
    ("mgmt", "management"),
    ("mgt", "management"),
    ("mngmt", "management"),
    ("saint", "st"),
    ("street", "st"),
    ("str", "st"),
    ("mt", "mount"),
    ("mtn", "mountain"),
    ("ft", "fort"),
    ("natl", "national"),
    ("constr", "construction"),
    ("const", "construction"),
    ("cnstr", "construction"),
    ("eng", "engineering"),
    ("engg", "engineering"),
    ("engrg", "engineering"),
    ("ins", "insurance"),
    ("insur", "insurance"),
    ("hosp", "hospital"),
    ("sys", "systems"),
    ("system", "systems"),
    ("soln", "solutions"),
    ("solns", "solutions"),
    ("solution", "solutions"),
    ("vet", "veterinary"),
    ("vets", "veterinary"),
    ("apt", "apartments"),
    ("apts", "apartments"),
    ("mech", "mechanical"),
    ("elec", "electric"),
    ("electrical", "electric"),
    ("prop", "property"),
    ("props", "property"),
    ("properties", "property"),
    ("finl", "financial"),
    ("lab", "laboratory"),
    ("labs", "laboratory"),
    ("laboratories", "laboratory"),
    ("peds", "pediatrics"),
    ("pediatric", "pediatrics"),
    ("paediatrics", "pediatrics"),
    ("distrib", "distributors"),
    ("distributor", "distributors"),
    ("acctg", "accounting"),
    ("acct", "accounting"),
    ("acctng", "accounting"),
    ("coop", "cooperative"),
    ("comm", "community"),
    ("elem", "elementary"),
    ("arch", "architects"),
    ("architect", "architects"),
    ("architecture", "architects"),
    ("architectural", "architects"),
    ("spec", "specialists"),
    ("specs", "specialists"),
    ("specialist", "specialists"),
    ("atty", "attorneys"),
    ("attys", "attorneys"),
    ("attorney", "attorneys"),
    ("hldg", "holdings"),
    ("hldgs", "holdings"),
    ("holding", "holdings"),
    ("inds", "industries"),
    ("indus", "industries"),
    ("industry", "industries"),
    ("enterprise", "enterprises"),
    ("consult", "consulting"),
    ("consultants", "consulting"),
    ("consultant", "consulting"),
    ("consultancy", "consulting"),
    ("dev", "development"),
    ("devel", "development"),
    ("envtl", "environmental"),
    ("prof", "professional"),
    ("profl", "professional"),
    ("univ", "university"),
    ("govt", "government"),
    ("educ", "education"),
    ("automotive", "auto"),
    ("bldrs", "builders"),
    ("chiro", "chiropractic"),
    ("sr", "senior"),
    ("snr", "senior"),
    ("jr", "junior"),
    ("hts", "heights"),
    ("spgs", "springs"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("rd", "road"),
    ("blvd", "boulevard"),
    ("hwy", "highway"),
    ("pkwy", "parkway"),
    ("wks", "works"),
    ("assocation", "association"),
    ("partner", "partners"),
    ("ptnrs", "partners"),
    ("cpas", "cpa"),
    ("theatre", "theater"),
    ("dentistry", "dental"),
    ("dentist", "dental"),
    ("dentists", "dental"),
    ("medicine", "medical"),
];

/// Pairs of tokens that are one word ("Co Op" -> "cooperative").
const CANONICAL_PAIRS: &[(&str, &str, &str)] = &[
    ("co", "op", "cooperative"),
    ("e", "commerce", "ecommerce"),
    ("health", "care", "healthcare"),
];

/// Words so common in company names that they tell little apart; their weight is reduced.
const FILLER: &[&str] = &[
    "group",
    "services",
    "solutions",
    "associates",
    "association",
    "partners",
    "holdings",
    "enterprises",
    "international",
    "global",
    "worldwide",
    "systems",
    "consulting",
    "management",
    "industries",
    "agency",
    "firm",
    "cpa",
    "dds",
    "dmd",
    "md",
    "pc",
    "esq",
    "professional",
    "specialists",
    "company",
    "usa",
    "us",
    "america",
    "center",
    "care",
    "office",
    "offices",
    "de",
    "la",
    "le",
    "les",
    "van",
    "der",
    "den",
    "von",
    "du",
    "del",
    "da",
    "di",
    "el",
    "los",
    "las",
    "y",
    "e",
    "a",
    "st",
];

/// How much a filler word weighs compared with a distinctive word of the same rarity.
pub(crate) const FILLER_FACTOR: f64 = 0.35;

pub(crate) fn is_filler(t: &str) -> bool {
    FILLER.contains(&t)
}

/// The spelled-out variants of canonical words, for typo-tolerant look-up of the variants
/// ("Electircal" is a typo of "Electrical", which is written `electric`).
pub(crate) fn variants() -> impl Iterator<Item = (&'static str, &'static str)> {
    CANONICAL.iter().copied().filter(|(a, _)| a.len() >= 5)
}

fn canonical(t: &str) -> &str {
    CANONICAL
        .iter()
        .find(|(a, _)| *a == t)
        .map_or(t, |(_, b)| b)
}

fn is_number(t: &str) -> bool {
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&t[digits..], "" | "st" | "nd" | "rd" | "th")
}

/// Lowercase ASCII, accents transliterated ("Müller" -> "muller", "Ångström" -> "angstrom").
pub(crate) fn fold(raw: &str) -> String {
    let mut s = deunicode(raw);
    s.make_ascii_lowercase();
    s
}

/// Splits a folded piece of text into canonical tokens: punctuation removed, dotted
/// initialisms joined ("l.l.c." -> "llc"), abbreviations spelt out, stopwords dropped.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    // (word, followed by a dot)
    let mut words: Vec<(String, bool)> = Vec::new();
    for word in text.split_whitespace() {
        let word: String = word
            .chars()
            .filter(|c| *c != '\'' && *c != '`')
            .map(|c| match c {
                '&' | '+' => ' ',
                _ => c,
            })
            .collect();
        for part in word.split_whitespace() {
            let letters_dots = part.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
            let initialism = letters_dots
                && part.contains('.')
                && part
                    .split('.')
                    .filter(|p| !p.is_empty())
                    .all(|p| p.len() == 1)
                && part.split('.').filter(|p| !p.is_empty()).count() >= 2;
            if initialism {
                words.push((part.replace('.', ""), false));
                continue;
            }
            let mut cur = String::new();
            for c in part.chars() {
                if c.is_ascii_alphanumeric() {
                    cur.push(c);
                } else if !cur.is_empty() {
                    words.push((std::mem::take(&mut cur), c == '.'));
                }
            }
            if !cur.is_empty() {
                words.push((cur, false));
            }
        }
    }
    let mut out: Vec<Token> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if i + 1 < words.len()
            && let Some((_, _, joined)) = CANONICAL_PAIRS
                .iter()
                .find(|(a, b, _)| *a == words[i].0 && *b == words[i + 1].0)
        {
            out.push(Token::new(joined, false));
            i += 2;
            continue;
        }
        let (word, dot) = &words[i];
        let t = canonical(word);
        if !STOPWORDS.contains(&t) {
            // A known abbreviation is spelt out; an unknown one keeps its dot.
            let abbrev = *dot && t == word && t.len() >= 3 && !is_number(t);
            out.push(Token::new(t, abbrev));
        }
        i += 1;
    }
    out
}

fn is_fuzzy_legal(t: &str) -> bool {
    t.len() >= 6
        && LEGAL_FUZZY
            .iter()
            .any(|l| strsim::osa_distance(t, l) <= 1 && t.as_bytes()[0] == l.as_bytes()[0])
}

/// Drops legal forms: the strong ones anywhere, the ambiguous ones at the end only. Never
/// leaves a name empty (a company called "The Company" stays `company`).
pub(crate) fn strip_legal(tokens: &mut Vec<Token>) {
    let kept: Vec<Token> = tokens
        .iter()
        .filter(|t| !LEGAL_ANYWHERE.contains(&t.text.as_str()))
        .cloned()
        .collect();
    if !kept.is_empty() {
        *tokens = kept;
    }
    while tokens.len() > 1 {
        let last = tokens[tokens.len() - 1].text.as_str();
        if LEGAL_TRAILING.contains(&last) || LEGAL_ANYWHERE.contains(&last) || is_fuzzy_legal(last)
        {
            tokens.pop();
        } else {
            break;
        }
    }
}

/// Drops trailing site words ("HQ", "Main Office", "Site 3", "2nd Floor"), keeping one token.
/// A name made only of site words ("Main Office") is kept whole.
fn strip_site(tokens: &mut Vec<Token>) {
    let mut n = tokens.len();
    while n > 1 {
        let last = tokens[n - 1].text.as_str();
        if is_number(last) {
            if n >= 3 && SITE_NUMBERED.contains(&tokens[n - 2].text.as_str()) {
                n -= 2;
            } else {
                n -= 1;
            }
        } else if SITE_ALONE.contains(&last) {
            n -= 1;
        } else {
            break;
        }
    }
    if !site_only(&tokens[..n]) {
        tokens.truncate(n);
    }
}

/// Legal forms and site words off the end of a name, repeatedly ("Acme Corp HQ" -> "acme").
fn strip_all(tokens: &mut Vec<Token>) {
    loop {
        let n = tokens.len();
        strip_legal(tokens);
        strip_site(tokens);
        if tokens.len() == n {
            break;
        }
    }
}

/// True when every token only says where a site is, not who the client is.
fn site_only(tokens: &[Token]) -> bool {
    tokens
        .iter()
        .map(|t| t.text.as_str())
        .all(|t| is_number(t) || SITE_ALONE.contains(&t) || SITE_NUMBERED.contains(&t))
}

/// The parts of a raw name: dash-separated segments, parenthesised tails, "dba" names.
struct Pieces {
    segments: Vec<String>,
    tails: Vec<String>,
    aliases: Vec<String>,
}

fn split_pieces(raw: &str) -> Pieces {
    let mut folded = fold(raw);
    for (from, to) in [
        ("d/b/a", " dba "),
        ("d.b.a.", " dba "),
        ("d.b.a", " dba "),
        ("a/k/a", " aka "),
        ("a.k.a.", " aka "),
        ("f/k/a", " fka "),
        ("f.k.a.", " fka "),
    ] {
        if folded.contains(from) {
            folded = folded.replace(from, to);
        }
    }
    // Bracketed tails out of the main text; they separate segments like a dash.
    let mut main = String::with_capacity(folded.len() + 8);
    let mut tails = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for c in folded.chars() {
        match c {
            '(' | '[' | '{' => {
                if depth > 0 {
                    cur.push(' ');
                } else {
                    main.push('|');
                }
                depth += 1;
            }
            ')' | ']' | '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    tails.push(std::mem::take(&mut cur));
                    main.push('|');
                } else {
                    cur.push(' ');
                }
            }
            ')' | ']' | '}' => main.push(' '),
            _ if depth > 0 => cur.push(c),
            _ => main.push(c),
        }
    }
    if !cur.trim().is_empty() {
        tails.push(cur);
    }
    // Separators: a dash next to a space, a double dash, bars, spaced slashes, colons.
    let chars: Vec<char> = main.chars().collect();
    let mut cleaned = String::with_capacity(main.len() + 2);
    cleaned.push(' ');
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        let sep = match c {
            '-' => prev.is_whitespace() || next.is_whitespace() || prev == '-' || next == '-',
            '|' | ':' | ';' | '\t' | '<' | '>' | '~' | '*' | '=' => true,
            '/' | '\\' => prev.is_whitespace() || next.is_whitespace(),
            _ => false,
        };
        cleaned.push(if sep {
            '|'
        } else if c == '_' {
            ' '
        } else {
            c
        });
    }
    cleaned.push(' ');
    // "dba"-style markers split off other names of the same client.
    let mut aliases = Vec::new();
    let mut rest_segments = Vec::new();
    for marker in ALIAS_MARKERS {
        if let Some(pos) = cleaned.find(marker) {
            let rest = cleaned[pos + marker.len() - 1..].to_owned();
            cleaned.truncate(pos + 1);
            let mut parts = rest.split('|');
            if let Some(first) = parts.next() {
                aliases.push(first.to_owned());
            }
            rest_segments.extend(parts.map(str::to_owned));
        }
    }
    let mut tails_kept = Vec::new();
    for t in tails {
        let padded = format!(" {} ", t.trim());
        match ALIAS_MARKERS.iter().find(|m| padded.starts_with(*m)) {
            Some(m) => aliases.push(padded[m.len() - 1..].to_owned()),
            None => tails_kept.push(t),
        }
    }
    let segments = cleaned
        .split('|')
        .chain(rest_segments.iter().map(String::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Pieces {
        segments,
        tails: tails_kept,
        aliases,
    }
}

/// All the readings of an organization name, the most likely one first, without duplicates.
pub(crate) fn org_forms(raw: &str) -> Vec<Form> {
    let pieces = split_pieces(raw);
    let mut segs: Vec<Vec<Token>> = pieces
        .segments
        .iter()
        .map(|s| tokenize(s))
        .filter(|t| !t.is_empty())
        .collect();
    let mut tails: Vec<Vec<Token>> = pieces
        .tails
        .iter()
        .map(|s| tokenize(s))
        .filter(|t| !t.is_empty())
        .collect();
    if segs.is_empty() {
        // Everything in brackets: the brackets are the name.
        segs = std::mem::take(&mut tails);
    }
    let mut forms: Vec<Form> = Vec::new();
    let mut push = |tokens: Vec<Token>, kind: FormKind| {
        if !tokens.is_empty() && !forms.iter().any(|f| f.tokens == tokens) {
            forms.push(Form { tokens, kind });
        }
    };
    let primary = segs.iter().position(|s| !site_only(s));
    if let Some(p) = primary {
        let mut core = segs[p].clone();
        strip_all(&mut core);
        push(core, FormKind::Core);
    }
    let mut joined: Vec<Token> = segs.iter().flatten().cloned().collect();
    strip_all(&mut joined);
    push(joined, FormKind::Joined);
    let mut whole: Vec<Token> = segs.iter().chain(tails.iter()).flatten().cloned().collect();
    strip_legal(&mut whole);
    push(whole, FormKind::Whole);
    for (i, s) in segs.iter().enumerate() {
        if Some(i) != primary && !site_only(s) {
            let mut t = s.clone();
            strip_all(&mut t);
            push(t, FormKind::Segment);
        }
    }
    for a in &pieces.aliases {
        let mut t = tokenize(a);
        strip_all(&mut t);
        push(t, FormKind::Alias);
    }
    forms
}

/// The tokens of a company name: the whole name, legal forms dropped, site words kept (a
/// company list does not name sites, and "Acme - Denver" may be a client of its own).
pub(crate) fn company_tokens(raw: &str) -> Vec<String> {
    let pieces = split_pieces(raw);
    let mut tokens: Vec<Token> = pieces
        .segments
        .iter()
        .chain(pieces.tails.iter())
        .flat_map(|s| tokenize(s))
        .collect();
    strip_legal(&mut tokens);
    tokens.into_iter().map(|t| t.text).collect()
}

/// Similarity lost by one edit, relative to the word's length.
pub(crate) const TYPO_COST: f64 = 1.5;

/// `osa_distance` allowed between two tokens of these lengths to count as a typo.
pub(crate) fn max_typo_distance(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// German-style transliteration folded away ("mueller" ~ "muller", "schroeder" ~ "schroder").
fn umlaut_fold(t: &str) -> String {
    t.replace("ae", "a").replace("oe", "o").replace("ue", "u")
}

/// Similarity of two different tokens in [0, 1): a typo-tolerant match, or 0.
pub(crate) fn fuzzy_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.bytes().any(|c| c.is_ascii_digit()) || b.bytes().any(|c| c.is_ascii_digit()) {
        return 0.0;
    }
    let short = a.len().min(b.len());
    let long = a.len().max(b.len());
    let allowed = max_typo_distance(short);
    if allowed == 0 {
        return 0.0;
    }
    if umlaut_fold(a) == umlaut_fold(b) {
        return 0.97;
    }
    if long - short > allowed {
        return 0.0;
    }
    let d = strsim::osa_distance(a, b);
    if d == 0 || d > allowed {
        return 0.0;
    }
    let mut sim = 1.0 - TYPO_COST * d as f64 / long as f64;
    if a.as_bytes()[0] != b.as_bytes()[0] {
        sim -= 0.08;
    }
    sim
}

/// The display form of a name: its core tokens, space-separated.
pub(crate) fn normalize(raw: &str) -> String {
    org_forms(raw)
        .into_iter()
        .next()
        .map(|f| {
            let words: Vec<&str> = f.tokens.iter().map(|t| t.text.as_str()).collect();
            words.join(" ")
        })
        .unwrap_or_default()
}
