//! The subset of minijinja that strings may use, checked before compiling.
//!
//! minijinja's fuel bounds the work of each instruction, but not the work of
//! turning a value into text: a list can be made huge for almost no fuel —
//! repeated with `*` (`[1] * 100000000`), or nested in itself through
//! `{% set %}` or a loop variable (`{% for b in [[a, a]] %}` doubles `a` at
//! every level) — and writing it out, joining it with `~` or comparing it then
//! takes time and memory in proportion to its size. Pipelines need none of
//! that, so strings may use only `{% if %}` and `{% for %}` blocks, no `*`, and
//! lists, tuples and records of constants.

/// Why the string cannot be compiled, if it cannot.
pub fn refused(s: &str) -> Option<&'static str> {
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let tag = &rest[open..];
        let (end, statement) = if tag.starts_with("{{") {
            ("}}", false)
        } else if tag.starts_with("{%") {
            ("%}", true)
        } else if tag.starts_with("{#") {
            match tag.find("#}") {
                Some(n) => {
                    rest = &tag[n + 2..];
                    continue;
                }
                None => return None,
            }
        } else {
            rest = &tag[1..];
            continue;
        };
        let body = tag[2..].trim_start_matches(['-', '+']);
        if statement {
            let word: String = body
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !matches!(
                word.as_str(),
                "if" | "elif" | "else" | "endif" | "for" | "endfor"
            ) {
                return Some("only {% if %} and {% for %} blocks are allowed in strings");
            }
        }
        let used = match expression(body, end) {
            Ok(n) => n,
            Err(why) => return Some(why),
        };
        rest = &body[used..];
    }
    None
}

/// A bracket open in an expression.
struct Frame {
    /// A list, tuple or record written out (not a call or a subscript).
    literal: bool,
    /// A `(` group: a tuple once a comma appears in it.
    group: bool,
    names: bool,
}

/// Scans one expression up to `end`; returns the bytes consumed.
fn expression(text: &str, end: &str) -> Result<usize, &'static str> {
    const NAME_IN_LITERAL: &str =
        "lists, tuples and records in strings may hold only constants, not names";
    let b = text.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    // Whether the previous token ends a value, so that `(` and `[` after it
    // are a call and a subscript rather than a tuple and a list.
    let mut after_value = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if frames.is_empty() && b[i..].starts_with(end.as_bytes()) {
            return Ok(i + end.len());
        }
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                after_value = true;
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let after_dot = text[..start].trim_end().ends_with(['.', '|']);
                let keyword = matches!(
                    word,
                    "and"
                        | "or"
                        | "not"
                        | "in"
                        | "is"
                        | "if"
                        | "else"
                        | "true"
                        | "false"
                        | "none"
                        | "True"
                        | "False"
                        | "None"
                );
                if !keyword && !after_dot {
                    if frames.iter().any(|f| f.literal) {
                        return Err(NAME_IN_LITERAL);
                    }
                    if let Some(f) = frames.last_mut() {
                        f.names = true;
                    }
                }
                after_value = !keyword;
                continue;
            }
            b'[' | b'{' => frames.push(Frame {
                literal: !after_value,
                group: false,
                names: false,
            }),
            b'(' => frames.push(Frame {
                literal: false,
                group: !after_value,
                names: false,
            }),
            b']' | b'}' | b')' => {
                frames.pop();
                after_value = true;
                i += 1;
                continue;
            }
            b',' => {
                if let Some(f) = frames.last_mut()
                    && f.group
                {
                    if f.names {
                        return Err(NAME_IN_LITERAL);
                    }
                    f.literal = true;
                }
            }
            b'*' if b.get(i + 1) == Some(&b'*') => i += 1,
            b'*' => return Err("`*` is not allowed in strings"),
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            after_value = c.is_ascii_digit();
        }
        i += 1;
    }
    Ok(b.len())
}

#[cfg(test)]
mod tests {
    use super::refused;

    #[test]
    fn allows_what_pipelines_use() {
        for s in [
            "pytest {{ path }} --cov-fail-under={{ coverage }}",
            "{{ tools | join(' ') }} {{ fail_on | map('upper') | join(',') }}",
            "{% if strict %}--strict{% endif %}{%- for t in tools -%}{{ t }} {% endfor %}",
            "{{ image.archive }} {{ ci.sha }} {{ matrix.python }} {{ x[0] }} {{ 2 ** 3 }}",
            "{{ a if b in ['x', 'y'] else (c) }} {{ {'k': 1}['k'] }} {{ (1, 2) }}",
            "literal { braces } and {# a comment #} text",
        ] {
            assert_eq!(refused(s), None, "{s}");
        }
    }

    #[test]
    fn reads_text_that_is_not_ascii() {
        // Found by the fuzz target: a tag word running into a two-byte character.
        for s in [
            "{% if\u{791}E0000ote!%}{{ note }}{% endif %}",
            "{{ é }} {{ 'é' ~ x\u{791} }} {{ [\u{791}] }} {{ \u{791}*2 }}",
            "{% \u{791}",
            "{{ 'unterminated",
        ] {
            let _ = refused(s);
        }
        assert!(refused("{{ [é, x] }}").is_some());
    }

    #[test]
    fn refuses_what_makes_huge_values() {
        for s in [
            "{{ [1] * 100000000 }}",
            "{% set a = [1] %}{{ a }}",
            "{% for b in [[a, a]] %}{{ b }}{% endfor %}",
            "{{ (a, a) }}",
            "{{ {'k': a} }}",
            "{% with a = 1 %}{% endwith %}",
            "{% raw %}x{% endraw %}",
        ] {
            assert!(refused(s).is_some(), "{s}");
        }
    }
}
