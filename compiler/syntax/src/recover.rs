//! Recovery inside a top-level statement after a syntax error.
//!
//! The parser first resumes at the next top-level statement. Within the
//! statement that failed, it then blanks out the smallest statement around
//! the error — a `run` line, a job, an `env` record — and parses again, so
//! that the rest of a pipeline is still checked and its other syntax errors
//! are reported too. Blanking replaces bytes with spaces (line breaks stay),
//! so every offset, and so every span, is unchanged.

use std::ops::Range;

use crate::errors::{has_field, open_brackets};
use crate::scan::code_chars;

/// How many statements one top-level statement may lose before the parser
/// gives up on it as a whole.
pub(crate) const MAX_REPAIRS: usize = 16;

/// The text to blank after a syntax error at `pos`: the statement around it
/// in the innermost block, or a closing bracket that closes nothing. `None`
/// when the error cannot be isolated (a bracket never closed, an error in the
/// top-level statement's own head).
pub(crate) fn region(text: &str, pos: usize) -> Option<Range<usize>> {
    if text[pos..].trim().is_empty() {
        return None;
    }
    let stack = open_brackets(&text[..pos]);
    if stack.is_empty() && text[pos..].starts_with([')', ']', '}']) {
        return Some(pos..pos + 1);
    }
    // The innermost block: a `{` whose content is statements, not fields,
    // and that is not where a value goes (after `=`, `:`, `,` or a bracket).
    let is_block = |i: usize| {
        let before = text[..i].trim_end();
        !has_field(&text[i + 1..]) && !before.ends_with(['=', ':', ',', '(', '['])
    };
    let open = stack
        .iter()
        .rev()
        .find(|(i, c)| *c == '{' && is_block(*i))
        .map(|(i, _)| *i)?;
    let (start, end) = statement_around(text, open + 1, pos);
    let mut region = start..end;
    // A bracket opened by mistake swallows the statements after it, up to
    // some other bracket's partner; then the broken line alone goes.
    if !balanced_without(text, region.clone()) {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        if balanced_without(text, start..line_end) {
            region = start..line_end;
        }
    }
    // A closer that does not match the innermost open bracket: either it is
    // a typo for the right one (`[a, b}`) and goes with its statement, or an
    // opener before it is stray (`f(a }`) and it closes the block. Keep the
    // choice that leaves the brackets balanced.
    let closer = text[pos..]
        .chars()
        .next()
        .filter(|c| matches!(c, ')' | ']' | '}'));
    let matches = |open: char| {
        matches!(
            (open, closer),
            ('(', Some(')')) | ('[', Some(']')) | ('{', Some('}'))
        )
    };
    if closer.is_some() && !stack.last().is_some_and(|(_, c)| matches(*c)) {
        let alone = pos..pos + 1;
        let with = start..end.max(pos + 1);
        let without = start..pos;
        region = [alone, with.clone(), without]
            .into_iter()
            .find(|r| balanced_without(text, r.clone()))
            .unwrap_or(with);
    }
    (!text[region.clone()].trim().is_empty()).then_some(region)
}

/// Whether every bracket of `text`, with `region` blanked, has its partner.
fn balanced_without(text: &str, region: Range<usize>) -> bool {
    let mut t = text.to_string();
    blank(&mut t, region);
    let mut stack = Vec::new();
    for (_, c) in code_chars(&t) {
        match c {
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = stack.pop();
                if open.is_none_or(|o| !matches!((o, c), ('(', ')') | ('[', ']') | ('{', '}'))) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty()
}

/// The statement of the block starting at `from` that contains `pos`: from the
/// separator before it to the separator (or the block's `}`) after it, both
/// counted only outside brackets, strings and comments.
fn statement_around(text: &str, from: usize, pos: usize) -> (usize, usize) {
    let mut depth = 0usize;
    let mut start = from;
    for (i, c) in code_chars(&text[from..]).map(|(i, c)| (from + i, c)) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => return (start, i),
            ')' | ']' | '}' => depth -= 1,
            '\n' | ';' | ',' if depth == 0 => {
                if i >= pos {
                    return (start, i);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    (start, text.len())
}

/// `text` with `range` replaced by spaces, keeping line breaks.
pub(crate) fn blank(text: &mut String, range: Range<usize>) {
    let blanked: String = text[range.clone()]
        .chars()
        .map(|c| {
            if c == '\n' {
                "\n".to_string()
            } else {
                " ".repeat(c.len_utf8())
            }
        })
        .collect();
    text.replace_range(range, &blanked);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` after recovering from an error at `at`.
    fn recovered(text: &str, at: &str) -> String {
        let pos = text.find(at).expect("marker");
        let r = region(text, pos).expect("a region");
        let mut t = text.to_string();
        blank(&mut t, r);
        t
    }

    /// `text` with `part` blanked.
    fn without(text: &str, part: &str) -> String {
        let start = text.find(part).expect("part");
        let mut t = text.to_string();
        blank(&mut t, start..start + part.len());
        t
    }

    #[test]
    fn blanks_the_statement_around_the_error() {
        let text = "p {\n  a 1\n  run 'x'\n  b 2\n}\n";
        assert_eq!(recovered(text, "'x'"), without(text, "  run 'x'"));
        let text = "p { a 1; run 'x'; b 2 }";
        assert_eq!(recovered(text, "'x'"), without(text, " run 'x'"));
        let text = "p {\n  x [a, b}\n  y 1\n}\n";
        assert_eq!(recovered(text, "}\n  y"), without(text, "  x [a, b}"));
    }

    #[test]
    fn blanks_in_the_innermost_block_that_is_not_a_record() {
        let text = "p {\n  job a {\n    run 'x'\n  }\n}\n";
        assert_eq!(recovered(text, "'x'"), without(text, "    run 'x'"));
        // A block read as a record: the statement holding it goes.
        let text = "p {\n  job a {\n    timeout: 5m\n    run \"x\"\n  }\n}\n";
        assert_eq!(
            recovered(text, "run"),
            without(text, "  job a {\n    timeout: 5m\n    run \"x\"\n  }")
        );
    }

    #[test]
    fn a_closer_that_does_not_match_goes_with_its_statement() {
        let text = "p { x ] }\n";
        assert_eq!(recovered(text, "]"), without(text, "]"));
        // The block's own `}` stays.
        let text = "p { x = }\n";
        assert_eq!(recovered(text, "}"), without(text, " x = "));
        // A stray opener: the `}` that does not match it closes the block.
        let text = "p {\n  x 1 (\n}\n";
        assert_eq!(recovered(text, "}"), without(text, "  x 1 (\n"));
        // A closer typed by mistake inside a group goes alone.
        let text = "p {\n  x = f(\n    a}: 1,\n  )\n}\n";
        assert_eq!(recovered(text, "}:"), without(text, "}"));
        // A typo for `]`: the `}` goes with its statement.
        let text = "p {\n  j {\n    x [a, b}\n  }\n}\n";
        assert_eq!(recovered(text, "}\n  }"), without(text, "    x [a, b}"));
    }

    #[test]
    fn a_brace_where_a_value_goes_is_not_a_block() {
        let text = "p {\n  x = {a.b()\n  y 1\n}\n";
        let r = region(text, text.find("a.b").expect("marker")).expect("a region");
        // Not to the `}` that the stray `{` takes for its partner: the line.
        assert_eq!(&text[r], "  x = {a.b()");
    }

    #[test]
    fn a_closer_that_closes_nothing_goes_alone() {
        let text = "p { }\n}\n";
        let pos = text.rfind('}').expect("closer");
        assert_eq!(region(text, pos), Some(pos..pos + 1));
    }

    #[test]
    fn no_region_for_what_cannot_be_isolated() {
        // A bracket never closed, and an error in the top-level head.
        assert_eq!(region("p {\n  job a {\n", 14), None);
        assert_eq!(region("pipeline 'x' {}", 9), None);
    }
}
