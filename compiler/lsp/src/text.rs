//! Positions: the compiler counts bytes, editors count lines and characters
//! in UTF-16 code units (or UTF-8 bytes, when both sides agree on it at
//! initialization).

use lsp_types::{Position, Range};

/// How the characters of a line are counted in positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Line starts of one text, to turn byte offsets into positions and back.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The position of byte `offset` (clamped to the text, and back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[line];
        let character = match enc {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => text[start..offset].chars().map(char::len_utf16).sum(),
        };
        Position::new(clamp(line), clamp(character))
    }

    pub fn range(&self, text: &str, start: usize, end: usize, enc: Encoding) -> Range {
        Range::new(
            self.position(text, start, enc),
            self.position(text, end, enc),
        )
    }

    /// The byte offset of a position; a character past the end of its line
    /// means the end of the line, a line past the end the end of the text.
    pub fn offset(&self, text: &str, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |s| s - 1);
        let line = text.get(start..end).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let want = pos.character as usize;
        let mut counted = 0;
        for (i, c) in line.char_indices() {
            if counted >= want {
                return start + i;
            }
            counted += match enc {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        start + line.len()
    }
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Applies one change an editor sent: the whole new text, or a range
/// replaced.
pub fn apply_change(text: &mut String, range: Option<Range>, new: &str, enc: Encoding) {
    let Some(range) = range else {
        *text = new.to_string();
        return;
    };
    let index = LineIndex::new(text);
    let start = index.offset(text, range.start, enc);
    let end = index.offset(text, range.end, enc).max(start);
    text.replace_range(start..end, new);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "ab\n\u{1F600}x é\r\nlast";
        let ix = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(ix.position(text, x, Encoding::Utf16), Position::new(1, 2));
        assert_eq!(ix.position(text, x, Encoding::Utf8), Position::new(1, 4));
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for offset in [0, 1, 3, x, x + 1, text.find('l').unwrap(), text.len()] {
                let p = ix.position(text, offset, enc);
                assert_eq!(ix.offset(text, p, enc), offset, "{enc:?} {offset}");
            }
        }
        // Inside the emoji: back to its start.
        assert_eq!(ix.position(text, 4, Encoding::Utf16), Position::new(1, 0));
        // Past the end of a line (before its \r\n) and past the last line.
        let e = text.find('\r').unwrap();
        assert_eq!(ix.offset(text, Position::new(1, 99), Encoding::Utf16), e);
        assert_eq!(
            ix.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
    }

    #[test]
    fn changes_replace_ranges() {
        let mut t = "job a { run \"x\" }\n".to_string();
        let r = Range::new(Position::new(0, 4), Position::new(0, 5));
        apply_change(&mut t, Some(r), "build", Encoding::Utf16);
        assert_eq!(t, "job build { run \"x\" }\n");
        apply_change(&mut t, None, "new", Encoding::Utf16);
        assert_eq!(t, "new");
    }
}
