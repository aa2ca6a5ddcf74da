//! Alignment of consecutive one-line items in columns, the way gofmt aligns
//! struct fields: a reader scans the values of a block top to bottom.
//!
//! The printer prints a run of lines as usual and records, for each, where
//! its columns end; [`Run::flush`] then pads them in place. Three columns:
//! - the key: a statement's head (`image`, `port`) or an item's `name:`;
//!   every line of the run that has one pads it to the longest, so what
//!   follows starts one space after it. A line with nothing after its head
//!   neither widens the column nor ends it;
//! - the bound name of `job trivy = …`: consecutive lines that bind a name
//!   pad it, so their `=` line up;
//! - a trailing `// comment`: consecutive lines that end with one start it
//!   one space after the longest code among them.
//!
//! Everything is computed from what was printed, never from the source, so
//! alignment is canonical: re-formatting an aligned file changes nothing.

/// One line of a run, as byte offsets into the printer's output.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    /// Where the line starts (its indentation included).
    pub start: usize,
    /// The end of its head or `name:`, where padding goes; `None` when
    /// nothing follows the head.
    pub key: Option<usize>,
    /// The end of the name a `job NAME = …` statement binds.
    pub name: Option<usize>,
    /// The space before its trailing comment.
    pub comment: Option<usize>,
}

/// Consecutive one-line items not yet aligned.
#[derive(Debug, Default)]
pub(super) struct Run {
    lines: Vec<Line>,
}

/// A line being padded, with its columns as offsets into `text`.
struct Cells {
    text: String,
    columns: [Option<usize>; 3],
}

const KEY: usize = 0;
const NAME: usize = 1;
const COMMENT: usize = 2;

impl Run {
    pub fn push(&mut self, line: Line) {
        self.lines.push(line);
    }

    /// Pads the lines of the run in `out` (each ends with a line break, and
    /// nothing between them) and starts a new, empty run.
    pub fn flush(&mut self, out: &mut String) {
        let lines = std::mem::take(&mut self.lines);
        let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
            return;
        };
        let Some(end) = out[last.start..].find('\n').map(|n| last.start + n + 1) else {
            return;
        };
        let region = &out[first.start..end];
        let texts: Vec<&str> = region.split_inclusive('\n').collect();
        if texts.len() != lines.len() {
            return;
        }
        let mut cells: Vec<Cells> = texts
            .iter()
            .zip(&lines)
            .map(|(text, l)| {
                let text = text.trim_end_matches('\n');
                // Every column ends where a space follows; anything else
                // would be a wrong offset, and is not aligned.
                let rel = |at: Option<usize>| {
                    at.and_then(|a| a.checked_sub(l.start))
                        .filter(|&a| text.get(a..).is_some_and(|r| r.starts_with(' ')))
                };
                Cells {
                    text: text.to_string(),
                    columns: [rel(l.key), rel(l.name), rel(l.comment)],
                }
            })
            .collect();
        pad(&mut cells, KEY, false);
        pad(&mut cells, NAME, true);
        pad(&mut cells, COMMENT, true);
        let mut aligned = String::with_capacity(region.len());
        for c in cells {
            aligned.push_str(&c.text);
            aligned.push('\n');
        }
        out.replace_range(first.start..end, &aligned);
    }
}

/// Pads `column` of `cells` to its widest. With `breaks`, a line without
/// the column starts a new group; otherwise it is skipped.
fn pad(cells: &mut [Cells], column: usize, breaks: bool) {
    let width = |c: &Cells| c.columns[column].map(|at| c.text[..at].chars().count());
    let mut from = 0;
    while from < cells.len() {
        let mut to = from;
        while to < cells.len() && (!breaks || cells[to].columns[column].is_some()) {
            to += 1;
        }
        let group = &mut cells[from..to.max(from + 1)];
        let widest = group.iter().filter_map(width).max().unwrap_or(0);
        for c in group.iter_mut() {
            let (Some(at), Some(w)) = (c.columns[column], width(c)) else {
                continue;
            };
            let extra = widest - w;
            c.text.insert_str(at, &" ".repeat(extra));
            for later in c.columns.iter_mut().flatten() {
                if *later > at {
                    *later += extra;
                }
            }
        }
        from = to.max(from + 1);
    }
}
