//! The comments of a source file, which the grammar skips: found by a small
//! scan that knows where strings are, and handed out to the printer in order
//! as it reaches their positions.

/// One `// …` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `//`.
    pub start: usize,
    /// The comment, trailing white space removed.
    pub text: String,
    /// Alone on its line (otherwise it follows code on the same line).
    pub own_line: bool,
}

/// Every comment of `text`, in order.
pub fn scan(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                i += 1;
                line_start = i;
            }
            b'"' if text[i..].starts_with("\"\"\"") => {
                // A triple-quoted string runs to the next `"""`, newlines
                // included; nothing in it is a comment.
                let end = text[i + 3..]
                    .find("\"\"\"")
                    .map_or(text.len(), |n| i + 3 + n + 3);
                if let Some(nl) = text[i..end].rfind('\n') {
                    line_start = i + nl + 1;
                }
                i = end;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                out.push(Comment {
                    start: i,
                    text: text[i..end].trim_end().to_string(),
                    own_line: text[line_start..i].trim().is_empty(),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// Comments not yet printed, in source order.
pub struct Pending {
    comments: Vec<Comment>,
    next: usize,
}

impl Pending {
    pub fn new(comments: Vec<Comment>) -> Self {
        Pending { comments, next: 0 }
    }

    /// The next comment, if it starts before `pos`.
    pub fn peek_before(&self, pos: usize) -> Option<&Comment> {
        self.comments.get(self.next).filter(|c| c.start < pos)
    }

    /// Takes the next comment if it starts before `pos` and follows code on
    /// its line.
    pub fn take_trailing(&mut self, pos: usize) -> Option<Comment> {
        let c = self.peek_before(pos).filter(|c| !c.own_line)?.clone();
        self.next += 1;
        Some(c)
    }

    /// Takes the next comment if it starts before `pos`.
    pub fn take_before(&mut self, pos: usize) -> Option<Comment> {
        let c = self.peek_before(pos)?.clone();
        self.next += 1;
        Some(c)
    }

    /// Whether a comment starts inside `start..end`.
    pub fn any_within(&self, start: usize, end: usize) -> bool {
        self.comments[self.next..]
            .iter()
            .any(|c| c.start >= start && c.start < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_strings() {
        let text = "a \"// no\" // yes\n  // own\nb \"\"\"\n// no\n\"\"\" // after\n";
        let found = scan(text);
        let texts: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (c.text.as_str(), c.own_line))
            .collect();
        assert_eq!(
            texts,
            vec![("// yes", false), ("// own", true), ("// after", false)]
        );
    }
}
