//! GitHub's filter patterns for branches, tags and paths ("Filter pattern
//! cheat sheet" of the workflow syntax reference): `*` any characters but
//! `/`, `**` any characters, `?` the preceding character or nothing, `+`
//! one or more of the preceding character, `[…]` one character of a class,
//! `\` escapes, and a leading `!` makes a pattern exclude what earlier ones
//! included. Patterns are checked in order; the last one that matches
//! decides.

/// Whether `name` passes a list of patterns.
pub fn passes(patterns: &[String], name: &str) -> bool {
    let mut included = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(neg) => {
                if matches(neg, name) {
                    included = false;
                }
            }
            None => {
                if matches(p, name) {
                    included = true;
                }
            }
        }
    }
    included
}

/// Whether one pattern (without a leading `!`) matches the whole name.
pub fn matches(pattern: &str, name: &str) -> bool {
    let re = to_regex(pattern);
    regex_match(&re, name)
}

/// The pattern as a small regular expression: a list of atoms with
/// quantifiers, matched by backtracking.
#[derive(Debug, Clone)]
enum Atom {
    /// One character from a set (`None`: any character but `/`; `Some(v)`
    /// with `negate`).
    Class(Vec<(char, char)>),
    Lit(char),
    /// `*`: any run of characters but `/`.
    Star,
    /// `**`: any run of characters.
    Any,
    /// `**/`: nothing, or any run of characters ending in `/`.
    AnyDirs,
}

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    /// `?`: zero or one; `+`: one or more.
    optional: bool,
    repeat: bool,
}

fn to_regex(p: &str) -> Vec<Piece> {
    let chars: Vec<char> = p.chars().collect();
    let mut out: Vec<Piece> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let atom = match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    i += 3;
                    out.push(Piece {
                        atom: Atom::AnyDirs,
                        optional: false,
                        repeat: false,
                    });
                    continue;
                }
                i += 2;
                out.push(Piece {
                    atom: Atom::Any,
                    optional: false,
                    repeat: false,
                });
                continue;
            }
            '*' => {
                i += 1;
                out.push(Piece {
                    atom: Atom::Star,
                    optional: false,
                    repeat: false,
                });
                continue;
            }
            '?' => {
                if let Some(last) = out.last_mut() {
                    last.optional = true;
                }
                i += 1;
                continue;
            }
            '+' => {
                if let Some(last) = out.last_mut() {
                    last.repeat = true;
                }
                i += 1;
                continue;
            }
            '\\' => {
                i += 2;
                Atom::Lit(chars[i - 1])
            }
            '[' => {
                let mut ranges = Vec::new();
                i += 1;
                while chars[i] != ']' {
                    if chars.get(i + 1) == Some(&'-') && chars.get(i + 2) != Some(&']') {
                        ranges.push((chars[i], chars[i + 2]));
                        i += 3;
                    } else {
                        ranges.push((chars[i], chars[i]));
                        i += 1;
                    }
                }
                i += 1;
                Atom::Class(ranges)
            }
            c => {
                i += 1;
                Atom::Lit(c)
            }
        };
        out.push(Piece {
            atom,
            optional: false,
            repeat: false,
        });
    }
    out
}

fn one(atom: &Atom, c: char) -> bool {
    match atom {
        Atom::Lit(l) => *l == c,
        Atom::Class(ranges) => ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)),
        _ => false,
    }
}

fn regex_match(pieces: &[Piece], name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    go(pieces, &chars)
}

fn go(pieces: &[Piece], s: &[char]) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return s.is_empty();
    };
    match first.atom {
        Atom::Star => (0..=s.len())
            .take_while(|n| !s[..*n].contains(&'/'))
            .any(|n| go(rest, &s[n..])),
        Atom::Any => (0..=s.len()).any(|n| go(rest, &s[n..])),
        Atom::AnyDirs => go(rest, s) || (1..=s.len()).any(|n| s[n - 1] == '/' && go(rest, &s[n..])),
        _ => {
            let mut n = 0;
            let mut options = Vec::new();
            if first.optional {
                options.push(0);
            }
            while n < s.len() && one(&first.atom, s[n]) {
                n += 1;
                options.push(n);
                if !first.repeat {
                    break;
                }
            }
            options.into_iter().rev().any(|n| go(rest, &s[n..]))
        }
    }
}
