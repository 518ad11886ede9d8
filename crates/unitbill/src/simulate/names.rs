//! Plausible MSP client names, and the ways modules misspell them.
//!
//! [`client_names`] draws the MSP's client list (dental offices, law firms, manufacturers,
//! nonprofits, town halls...) from a seeded RNG, each distinctive word (a surname or a place)
//! used once while the lists last, so that most names can be told apart, as real client lists
//! mostly can. [`module_variant`] is how one module spells one client: a legal suffix added or
//! dropped, upper case, an abbreviation, "&" for "and", the words in another order, now and
//! then a one-letter typo. [`site_name`] adds a site tail ("- HQ", "(Main Office)").

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// The line of business of a client: what its name looks like, how large it tends to be, and
/// whether it is tax exempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Vertical {
    Dental,
    Law,
    Accounting,
    Medical,
    Veterinary,
    Manufacturing,
    Construction,
    Nonprofit,
    Church,
    School,
    Municipal,
    RealEstate,
    Insurance,
    Hospitality,
    Logistics,
    Auto,
    Engineering,
    Financial,
    Retail,
}

impl Vertical {
    /// Nonprofits, churches, schools and towns buy without sales tax.
    pub fn tax_exempt(self) -> bool {
        matches!(
            self,
            Self::Nonprofit | Self::Church | Self::School | Self::Municipal
        )
    }

    /// Whether a legal form ("Inc", "LLC") belongs to such a name.
    fn business(self) -> bool {
        !self.tax_exempt()
    }

    /// Typical headcount range (employees, or staff and volunteers).
    pub fn headcount(self) -> (u32, u32) {
        match self {
            Self::Dental | Self::Veterinary => (6, 45),
            Self::Law | Self::Accounting | Self::Insurance => (4, 120),
            Self::Medical => (10, 260),
            Self::Manufacturing | Self::Logistics => (25, 420),
            Self::Construction | Self::Auto => (8, 150),
            Self::Nonprofit | Self::Church => (3, 60),
            Self::School => (20, 220),
            Self::Municipal => (12, 300),
            Self::RealEstate | Self::Financial | Self::Engineering => (5, 90),
            Self::Hospitality | Self::Retail => (6, 140),
        }
    }
}

/// `(vertical, weight, templates)`. `{S}`/`{T}` are surnames, `{P}` a place, `{F}` a first
/// name, `{X}` a saint.
const VERTICALS: &[(Vertical, u32, &[&str])] = &[
    (
        Vertical::Dental,
        12,
        &[
            "{S} Family Dentistry",
            "{P} Dental Group",
            "{P} Smiles Dental",
            "{S} Orthodontics",
            "{P} Pediatric Dentistry",
            "{S} & {T} DDS",
        ],
    ),
    (
        Vertical::Law,
        10,
        &[
            "{S} & {T} LLP",
            "{S} Law Group",
            "{S} Legal PLLC",
            "Law Offices of {F} {S}",
            "{S}, {T} & Associates",
        ],
    ),
    (
        Vertical::Accounting,
        7,
        &[
            "{S} & Associates CPA",
            "{P} Accounting Services",
            "{S} {T} CPAs LLC",
            "{S} Tax & Advisory",
        ],
    ),
    (
        Vertical::Medical,
        9,
        &[
            "{P} Family Medicine",
            "{P} Pediatrics",
            "{P} Orthopedics PC",
            "{P} Physical Therapy",
            "{P} Eye Associates",
            "{S} Chiropractic",
            "{P} Medical Center",
        ],
    ),
    (
        Vertical::Veterinary,
        4,
        &["{P} Animal Hospital", "{P} Veterinary Clinic"],
    ),
    (
        Vertical::Manufacturing,
        8,
        &[
            "{P} Precision Machining Inc.",
            "{S} Manufacturing Co.",
            "{P} Plastics Corp.",
            "{S} Metal Works",
            "{P} Tool & Die",
            "{S} Brothers Fabrication",
        ],
    ),
    (
        Vertical::Construction,
        6,
        &[
            "{S} Construction LLC",
            "{P} Roofing & Siding",
            "{S} Builders Inc.",
            "{S} Brothers Plumbing",
            "{P} Electric Co.",
        ],
    ),
    (
        Vertical::Nonprofit,
        6,
        &[
            "{P} Community Foundation",
            "{P} Food Bank",
            "{P} Youth Services",
            "{P} Historical Society",
            "{P} Land Trust",
        ],
    ),
    (
        Vertical::Church,
        3,
        &[
            "St. {X} Parish",
            "{P} Baptist Church",
            "First Presbyterian Church of {P}",
        ],
    ),
    (
        Vertical::School,
        3,
        &[
            "{P} Montessori School",
            "{P} Christian Academy",
            "{P} Learning Center",
        ],
    ),
    (
        Vertical::Municipal,
        3,
        &[
            "Town of {P}",
            "{P} Public Library",
            "{P} Water District",
            "Village of {P}",
        ],
    ),
    (
        Vertical::RealEstate,
        5,
        &[
            "{P} Realty Group",
            "{S} Property Management",
            "{P} Properties LLC",
        ],
    ),
    (
        Vertical::Insurance,
        4,
        &["{P} Insurance Agency", "{S} Insurance Group"],
    ),
    (
        Vertical::Hospitality,
        4,
        &[
            "{P} Inn & Suites",
            "{S}'s Restaurant Group",
            "{P} Golf Club",
        ],
    ),
    (
        Vertical::Logistics,
        4,
        &[
            "{P} Freight Lines",
            "{S} Logistics Inc.",
            "{P} Moving & Storage",
        ],
    ),
    (
        Vertical::Auto,
        3,
        &["{P} Auto Group", "{S} Motors", "{P} Collision Center"],
    ),
    (
        Vertical::Engineering,
        4,
        &[
            "{S} Engineering PC",
            "{S} {T} Architects",
            "{P} Surveying & Mapping",
        ],
    ),
    (
        Vertical::Financial,
        4,
        &[
            "{P} Wealth Partners",
            "{S} Financial Advisors",
            "{P} Federal Credit Union",
        ],
    ),
    (
        Vertical::Retail,
        3,
        &["{P} Hardware", "{S} Jewelers", "{P} Garden Center"],
    ),
];

const SURNAMES: &[&str] = &[
    "Abernathy",
    "Baxter",
    "Caldwell",
    "Delgado",
    "Ellison",
    "Fitzgerald",
    "Gallagher",
    "Hartman",
    "Iverson",
    "Jacobs",
    "Kowalski",
    "Lindqvist",
    "Moreno",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Quinlan",
    "Russo",
    "Sandoval",
    "Thornton",
    "Underwood",
    "Vasquez",
    "Whitaker",
    "Yamamoto",
    "Zimmerman",
    "Albrecht",
    "Bianchi",
    "Castellano",
    "Donnelly",
    "Esposito",
    "Ferraro",
    "Goldberg",
    "Henderson",
    "Ingram",
    "Jaworski",
    "Kaplan",
    "Lombardi",
    "McAllister",
    "Novak",
    "Okafor",
    "Pereira",
    "Rosenthal",
    "Schaefer",
    "Tanaka",
    "Valentine",
    "Wexler",
    "Yilmaz",
    "Brennan",
    "Callahan",
    "Dimitriou",
    "Eriksen",
    "Friedman",
    "Greco",
    "Halvorsen",
    "Iannucci",
    "Kessler",
    "Levine",
    "Marchetti",
    "Nguyen",
    "Olsen",
    "Petrakis",
    "Reinholt",
    "Sorensen",
    "Torres",
    "Ulrich",
    "Vogel",
    "Weinstein",
    "Abbott",
    "Becker",
    "Chen",
    "Dunleavy",
    "Everhart",
    "Forsythe",
    "Garrity",
    "Hollister",
    "Keane",
    "Lachance",
    "Mulcahy",
    "Nolan",
    "Prescott",
    "Ramirez",
    "Stanton",
    "Tierney",
    "Vance",
    "Whitfield",
    "Ashworth",
    "Belmonte",
    "Carrington",
    "Drummond",
    "Fairbanks",
];

const PLACES: &[&str] = &[
    "Hudson Valley",
    "Riverside",
    "Lakeview",
    "Maple Grove",
    "Cedar Ridge",
    "Oakmont",
    "Brookfield",
    "Harborview",
    "Pinecrest",
    "Silver Lake",
    "Stonebridge",
    "Willow Creek",
    "Fairhaven",
    "Northgate",
    "Eastwood",
    "Bayside",
    "Highland",
    "Meadowbrook",
    "Greenpoint",
    "Kingsbridge",
    "Ashford",
    "Clearwater",
    "Red Oak",
    "Blue Heron",
    "Sterling",
    "Beacon",
    "Liberty",
    "Heritage",
    "Westfield",
    "Chestnut Hill",
    "Briarwood",
    "Mohawk",
    "Catskill",
    "Adirondack",
    "Tappan",
    "Saratoga",
    "Montauk",
    "Peconic",
    "Oneida",
    "Seneca",
    "Cayuga",
    "Genesee",
    "Ramapo",
    "Croton",
    "Mamaroneck",
    "Larchmont",
    "Bronxville",
    "Tarrytown",
    "Ossining",
    "Peekskill",
    "Nyack",
    "Scarsdale",
    "Pelham",
    "Bedford",
    "Katonah",
    "Chappaqua",
    "Pleasantville",
    "Yorktown",
    "Somers",
    "Brewster",
    "Pawling",
    "Millbrook",
    "Rhinebeck",
    "Kinderhook",
    "Cold Spring",
    "Garrison",
    "Astoria",
    "Flatbush",
    "Williamsburg",
    "Red Hook",
    "Park Slope",
    "Gramercy",
    "Murray Hill",
    "Tribeca",
    "Inwood",
    "Riverdale",
    "Forest Hills",
    "Rockaway",
    "Flushing",
    "Bay Shore",
    "Patchogue",
    "Huntington",
    "Smithtown",
    "Oyster Bay",
    "Sag Harbor",
    "Greenport",
    "Hastings",
    "Dobbs Ferry",
    "Irvington",
    "Ardsley",
];

const FIRST_NAMES: &[&str] = &[
    "Daniel", "Maria", "Robert", "Susan", "Michael", "Angela", "David", "Rachel", "James", "Karen",
];

const SAINTS: &[&str] = &[
    "Anthony",
    "Brigid",
    "Catherine",
    "Dominic",
    "Francis",
    "Joseph",
    "Patrick",
    "Teresa",
    "Vincent",
    "Agnes",
    "Ignatius",
    "Columba",
];

/// Labels of a client's second and third sites, any line of business.
const SITE_LABELS: &[&str] = &[
    "Albany",
    "Yonkers",
    "White Plains",
    "Poughkeepsie",
    "Stamford",
    "Queens",
    "Brooklyn Office",
    "Satellite Office",
    "Annex",
    "Long Island",
];

/// Site labels that fit a line of business, then the common ones.
pub fn site_labels(v: Vertical) -> Vec<&'static str> {
    let own: &[&str] = match v {
        Vertical::Dental | Vertical::Medical | Vertical::Veterinary => {
            &["North Clinic", "East Clinic", "Surgery Center"]
        }
        Vertical::Manufacturing | Vertical::Logistics | Vertical::Construction => {
            &["Warehouse", "Plant 2", "Yard", "Shop"]
        }
        Vertical::School => &["Elementary", "High School"],
        Vertical::Municipal => &["DPW Garage", "Police Dept", "Town Hall"],
        Vertical::Church => &["Parish Hall", "School"],
        Vertical::Hospitality => &["Banquet Hall", "Kitchen"],
        _ => &[],
    };
    own.iter().chain(SITE_LABELS).copied().collect()
}

/// One generated client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName {
    pub name: String,
    pub vertical: Vertical,
    /// The surname it was built from, if any (an affiliate shares it).
    pub surname: Option<String>,
}

/// Draws `n` distinct client names. The first `k` names are the same for every `n >= k` with one
/// seed. Distinctive words are used once while the word lists last (then look-alikes appear).
/// The client at index 6 (when `n > 6`) is an affiliate of an earlier client with a surname:
/// "<Surname> Property Management", the same owner's other business (see [`AFFILIATE_INDEX`]).
pub fn client_names(rng: &mut ChaCha8Rng, n: usize) -> Vec<ClientName> {
    let mut used_words: Vec<String> = Vec::new();
    let mut used_templates: Vec<&str> = Vec::new();
    let mut out: Vec<ClientName> = Vec::new();
    let total_weight: u32 = VERTICALS.iter().map(|v| v.1).sum();
    while out.len() < n {
        if out.len() == AFFILIATE_INDEX
            && let Some(owner) = out.iter().find_map(|c| c.surname.clone())
        {
            out.push(ClientName {
                name: format!("{owner} Property Management"),
                vertical: Vertical::RealEstate,
                surname: Some(owner),
            });
            continue;
        }
        let mut pick = rng.random_range(0..total_weight);
        let (vertical, _, templates) = VERTICALS
            .iter()
            .find(|v| {
                if pick < v.1 {
                    true
                } else {
                    pick -= v.1;
                    false
                }
            })
            .expect("weights add up");
        // A template is used again only when the list is long (no "Plastics Corp." in bulk).
        let most = 1 + out.len() / 60;
        let mut template = *templates.choose(rng).expect("templates");
        for _ in 0..8 {
            if used_templates.iter().filter(|t| **t == template).count() < most {
                break;
            }
            template = *templates.choose(rng).expect("templates");
        }
        if used_templates.iter().filter(|t| **t == template).count() >= most {
            continue;
        }
        used_templates.push(template);
        let fresh = used_words.len() < (SURNAMES.len() + PLACES.len()) * 9 / 10;
        let mut draw = |list: &[&str], rng: &mut ChaCha8Rng| -> String {
            for _ in 0..40 {
                let w = *list.choose(rng).expect("word list");
                if !fresh || !used_words.iter().any(|u| u == w) {
                    used_words.push(w.to_owned());
                    return w.to_owned();
                }
            }
            list.choose(rng).expect("word list").to_string()
        };
        let mut name = template.to_owned();
        let mut surname = None;
        if name.contains("{S}") {
            let s = draw(SURNAMES, rng);
            name = name.replace("{S}", &s);
            surname = Some(s);
        }
        if name.contains("{T}") {
            let t = draw(SURNAMES, rng);
            name = name.replace("{T}", &t);
        }
        if name.contains("{P}") {
            let p = draw(PLACES, rng);
            name = name.replace("{P}", &p);
        }
        if name.contains("{F}") {
            name = name.replace("{F}", FIRST_NAMES.choose(rng).expect("names"));
        }
        if name.contains("{X}") {
            let x = draw(SAINTS, rng);
            name = name.replace("{X}", &x);
        }
        if out.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            continue;
        }
        out.push(ClientName {
            name,
            vertical: *vertical,
            surname,
        });
    }
    out
}

/// Index of the client that is another business of an earlier client's owner (it bills to that
/// client in the demo).
pub const AFFILIATE_INDEX: usize = 6;

/// Legal forms a module may add or drop.
const LEGAL_FORMS: &[&str] = &["Inc.", "Inc", "LLC", "Corp.", "Co.", "PC", "PLLC", "LLP"];

/// Whole words a person may abbreviate, with the abbreviation.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("Associates", "Assoc."),
    ("Manufacturing", "Mfg."),
    ("Services", "Svcs"),
    ("Center", "Ctr"),
    ("Brothers", "Bros."),
    ("Management", "Mgmt"),
    ("Group", "Grp"),
    ("Insurance", "Ins."),
    ("Veterinary", "Vet"),
    ("Medical", "Med."),
    ("Engineering", "Eng."),
    ("Construction", "Constr."),
    ("Pediatrics", "Peds"),
    ("Accounting", "Acctg"),
    ("St.", "Saint"),
    ("Federal Credit Union", "FCU"),
    ("Laboratory", "Lab"),
];

/// Splits a trailing legal form off a name: ("Acme Tools", Some("Inc.")).
fn split_legal(name: &str) -> (&str, Option<&str>) {
    for form in LEGAL_FORMS {
        for sep in [", ", " "] {
            if let Some(stem) = name.strip_suffix(&format!("{sep}{form}")) {
                return (stem, Some(form));
            }
        }
    }
    (name, None)
}

/// The name with its legal form dropped, or one added or swapped.
pub fn legal_variant(rng: &mut ChaCha8Rng, name: &str, business: bool) -> String {
    let (stem, form) = split_legal(name);
    match form {
        Some(_) if rng.random_bool(0.5) => stem.to_owned(),
        Some(f) => {
            let other = *LEGAL_FORMS[..5]
                .iter()
                .filter(|x| **x != f)
                .collect::<Vec<_>>()
                .choose(rng)
                .expect("forms");
            format!("{stem}, {other}")
        }
        None if business => {
            let f = *LEGAL_FORMS[..5].choose(rng).expect("forms");
            if rng.random_bool(0.5) {
                format!("{stem} {f}")
            } else {
                format!("{stem}, {f}")
            }
        }
        None => name.to_owned(),
    }
}

/// The name with one word abbreviated (or spelt out), if any can be.
pub fn abbreviate(name: &str) -> Option<String> {
    for (long, short) in ABBREVIATIONS {
        let padded = format!(" {name} ");
        let needle = format!(" {long} ");
        if padded.contains(&needle) {
            return Some(
                padded
                    .replacen(&needle, &format!(" {short} "), 1)
                    .trim()
                    .to_owned(),
            );
        }
    }
    None
}

/// "&" for "and" or the other way round; failing that, "The" in front.
pub fn and_variant(name: &str) -> String {
    if name.contains(" & ") {
        name.replacen(" & ", " and ", 1)
    } else if name.contains(" and ") {
        name.replacen(" and ", " & ", 1)
    } else if let Some(rest) = name.strip_prefix("The ") {
        rest.to_owned()
    } else {
        format!("The {name}")
    }
}

/// The words in another order, as people file names: "Town of Ashford" -> "Ashford, Town of",
/// "Baxter & Chen LLP" -> "Chen & Baxter LLP", "Law Offices of Maria Russo" -> "Russo Law
/// Offices". `None` when the name has no such shape.
pub fn reorder(name: &str) -> Option<String> {
    for prefix in ["Town of ", "Village of ", "Law Offices of "] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return Some(if prefix == "Law Offices of " {
                let surname = rest.rsplit(' ').next().unwrap_or(rest);
                format!("{surname} Law Offices")
            } else {
                format!("{rest}, {}", prefix.trim_end())
            });
        }
    }
    if let Some((church, place)) = name.split_once(" Church of ") {
        return Some(format!("{place} {church} Church"));
    }
    let (stem, form) = split_legal(name);
    if let Some((a, b)) = stem.split_once(" & ")
        && !a.contains(' ')
        && !b.contains(' ')
    {
        let tail = form.map(|f| format!(" {f}")).unwrap_or_default();
        return Some(format!("{b} & {a}{tail}"));
    }
    None
}

/// One edit in a word of six letters or more, never its first letter: a letter dropped,
/// doubled, or two swapped. `None` when the name has no such word.
pub fn typo(rng: &mut ChaCha8Rng, name: &str) -> Option<String> {
    let words: Vec<&str> = name.split(' ').collect();
    let long: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.len() >= 6 && w.chars().all(|c| c.is_ascii_alphabetic()))
        .map(|(i, _)| i)
        .collect();
    let &i = long.choose(rng)?;
    let mut chars: Vec<char> = words[i].chars().collect();
    let at = rng.random_range(2..chars.len() - 1);
    match rng.random_range(0..3) {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        _ if chars[at] != chars[at + 1] => chars.swap(at, at + 1),
        _ => {
            chars.remove(at);
        }
    }
    let word: String = chars.into_iter().collect();
    let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    out[i] = word;
    Some(out.join(" "))
}

/// The initials of a name's words, legal form and small words left out: "Highland Family
/// Medicine" -> "HFM". `None` for names of fewer than three such words.
pub fn initials(name: &str) -> Option<String> {
    let (stem, _) = split_legal(name);
    let letters: String = stem
        .split([' ', ','])
        .filter(|w| !w.is_empty() && !["&", "and", "of", "the", "The"].contains(w))
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (letters.len() >= 3).then_some(letters)
}

/// How one module spells a client's name. About a third of the time the name as the MSP has
/// it; otherwise one or two changes, now and then a typo or only initials.
pub fn module_variant(rng: &mut ChaCha8Rng, name: &str, vertical: Vertical) -> String {
    let business = vertical.business();
    let r: f64 = rng.random();
    let one = |rng: &mut ChaCha8Rng, kind: u32, name: &str| -> String {
        match kind {
            0 => legal_variant(rng, name, business),
            1 => name.to_uppercase(),
            2 => abbreviate(name).unwrap_or_else(|| legal_variant(rng, name, business)),
            3 => and_variant(name),
            4 => reorder(name).unwrap_or_else(|| name.to_lowercase()),
            _ => typo(rng, name).unwrap_or_else(|| legal_variant(rng, name, business)),
        }
    };
    if r < 0.34 {
        name.to_owned()
    } else if r < 0.50 {
        one(rng, 0, name)
    } else if r < 0.58 {
        one(rng, 1, name)
    } else if r < 0.68 {
        one(rng, 2, name)
    } else if r < 0.76 {
        one(rng, 3, name)
    } else if r < 0.86 {
        one(rng, 4, name)
    } else if r < 0.91 {
        one(rng, 5, name)
    } else if r < 0.93 {
        initials(name).unwrap_or_else(|| name.to_uppercase())
    } else {
        let first = one(rng, 2, name);
        one(rng, 0, &first)
    }
}

/// A site's org name: the client's name with a site tail. `site` 0 is the main site.
pub fn site_name(rng: &mut ChaCha8Rng, base: &str, site: usize, label: &str) -> String {
    if site == 0 {
        match rng.random_range(0..4) {
            0 => format!("{base} - HQ"),
            1 => format!("{base} (Main Office)"),
            2 => format!("{base} - Main"),
            _ => base.to_owned(),
        }
    } else if rng.random_bool(0.7) {
        format!("{base} - {label}")
    } else {
        format!("{base} ({label})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    #[test]
    fn client_lists_are_distinct_and_stable_prefixes() {
        let a = client_names(&mut rng(7), 200);
        assert_eq!(a.len(), 200);
        let mut names: Vec<_> = a.iter().map(|c| c.name.to_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 200, "names are distinct");
        let b = client_names(&mut rng(7), 40);
        assert_eq!(
            &a[..40],
            &b[..],
            "a shorter list is a prefix of a longer one"
        );
        assert!(a[AFFILIATE_INDEX].name.ends_with("Property Management"));
        assert!(a.iter().any(|c| c.vertical.tax_exempt()));
    }

    #[test]
    fn variants_change_the_spelling_not_the_client() {
        let mut r = rng(1);
        assert_eq!(
            reorder("Town of Ashford").as_deref(),
            Some("Ashford, Town of")
        );
        assert_eq!(
            reorder("Baxter & Chen LLP").as_deref(),
            Some("Chen & Baxter LLP")
        );
        assert_eq!(
            reorder("Law Offices of Maria Russo").as_deref(),
            Some("Russo Law Offices")
        );
        assert_eq!(reorder("Riverside Pediatrics"), None);
        assert_eq!(
            abbreviate("Hartman Manufacturing Co.").as_deref(),
            Some("Hartman Mfg. Co.")
        );
        assert_eq!(and_variant("Tool & Die"), "Tool and Die");
        let t = typo(&mut r, "Riverside Pediatrics").unwrap();
        assert_ne!(t, "Riverside Pediatrics");
        assert!(strsim_len_diff(&t, "Riverside Pediatrics"));
        let l = legal_variant(&mut r, "Kessler Builders Inc.", true);
        assert!(l.starts_with("Kessler Builders"), "{l}");
        assert!(site_name(&mut r, "Acme", 1, "Albany").contains("Albany"));
        assert_eq!(
            initials("Highland Family Medicine, LLC").as_deref(),
            Some("HFM")
        );
        assert_eq!(initials("Riverside Pediatrics"), None);
        assert!(site_labels(Vertical::Manufacturing).contains(&"Warehouse"));
        assert!(!site_labels(Vertical::Law).contains(&"Warehouse"));
    }

    /// A typo changes the length by at most one letter and keeps the first letter of each word.
    fn strsim_len_diff(a: &str, b: &str) -> bool {
        a.len().abs_diff(b.len()) <= 1
            && a.split(' ')
                .zip(b.split(' '))
                .all(|(x, y)| x.chars().next() == y.chars().next())
    }
}
