//! The diagnostics of `pipec check` and of the targets of `pipec build`, one
//! test per case in `tests/ui/`.
//!
//! A case is a `.pipe` file, or a directory whose `.pipe` files form one program
//! (with modules it imports in subdirectories). Each expected diagnostic is
//! written as a comment under the line it concerns; `tests/ui/README.md`
//! describes the format. A case whose opening comment names targets
//! (`// target: github`) also renders them after checking, the way
//! `pipec build --target github` does, and their diagnostics count like the
//! checker's. A case passes when exactly the annotated diagnostics are
//! reported — same codes, same primary spans — when every one of them has a
//! primary label, a help line and a span in the user's files, and when the
//! rendered output matches its snapshot in `tests/snapshots/ui/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use pipec::ProjectFs;
use pipec_check::{Checked, check};
use pipec_diagnostics::render::{self, HumanOptions, Location};
use pipec_diagnostics::{Diagnostic, SourceMap, code};

const CASES: &str = "tests/ui";

fn main() {
    let args = Arguments::from_args();
    let root = pipec_tests::root();
    let cases = cases(&root);
    let mut trials: Vec<Trial> = cases
        .iter()
        .map(|case| {
            let case = case.clone();
            let root = root.clone();
            Trial::test(case.name.clone(), move || run(&root, &case))
        })
        .collect();
    let all = cases.clone();
    let root2 = root.clone();
    trials.push(Trial::test("every_code_has_a_case", move || {
        every_code_has_a_case(&root2, &all)
    }));
    libtest_mimic::run(&args, trials).exit();
}

/// One case: its name and the path given to `pipec check`, relative to the
/// repository root.
#[derive(Clone)]
struct Case {
    name: String,
    path: PathBuf,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut out: Vec<Case> = std::fs::read_dir(root.join(CASES))
        .expect("tests/ui exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_stem()?.to_string_lossy().to_string();
            let is_case = path.is_dir() || path.extension().is_some_and(|x| x == "pipe");
            is_case.then(|| Case {
                name,
                path: Path::new(CASES).join(e.file_name()),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The file system as `pipec check` reads the case, seen from the repository
/// root, so that file names in diagnostics and snapshots are `tests/ui/…`
/// wherever the test runs. The project is the case's directory (a directory
/// case) or `tests/ui` (a file case).
fn case_fs(root: &Path, case: &Case) -> Result<ProjectFs, Failed> {
    let project = if case.path.extension().is_some_and(|x| x == "pipe") {
        Path::new(CASES)
    } else {
        case.path.as_path()
    };
    ProjectFs::at(project, root).map_err(|e| format!("{}: {e}", case.path.display()).into())
}

/// An expected or reported diagnostic: code and primary span.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    code: String,
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}-{}:{} {}",
            self.file, self.line, self.column, self.end_line, self.end_column, self.code
        )
    }
}

fn run(root: &Path, case: &Case) -> Result<(), Failed> {
    let files = case_files(root, case)?;
    let mut problems = Vec::new();

    let mut expected = Vec::new();
    for (name, text) in &files {
        match annotations(name, text) {
            Ok(a) => expected.extend(a),
            Err(e) => problems.push(e),
        }
    }
    expected.sort();

    let targets = targets(&files).map_err(|e| format!("{}: {e}", case.path.display()))?;
    let checked = check(&case.path, &case_fs(root, case)?)
        .map_err(|e| format!("cannot check {}: {e}", case.path.display()))?;
    let diagnostics = with_targets(&checked, &targets, &mut problems);

    let mut reported = Vec::new();
    for d in &diagnostics {
        let loc = Location::of(d.primary_span(), &checked.sources);
        if checked.sources.get(d.primary_span().source).is_virtual {
            problems.push(format!(
                "{}: the primary label is in the standard library ({}), not in the user's code",
                d.code, loc.file
            ));
        }
        problems.extend(quality(d, &checked.sources));
        reported.push(Expect {
            file: loc.file,
            line: loc.line,
            column: loc.column,
            end_line: loc.end_line,
            end_column: loc.end_column,
            code: d.code.to_string(),
        });
    }
    reported.sort();

    for e in multiset_minus(&expected, &reported) {
        problems.push(format!("expected but not reported: {e}"));
    }
    for r in multiset_minus(&reported, &expected) {
        problems.push(format!(
            "reported but not annotated: {r}\n    annotate it with: {}",
            suggestion(r, &checked.sources)
        ));
    }

    let rendered = render::human(
        &diagnostics,
        &checked.sources,
        HumanOptions {
            color: false,
            width: 100,
        },
    );
    problems.extend(snapshot(case, rendered));

    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}:\n  {}", case.path.display(), problems.join("\n  ")).into())
    }
}

/// The checker's diagnostics, then those of the targets run on the checked
/// program, in the order `pipec build` prints them.
fn with_targets(
    checked: &Checked,
    targets: &[&str],
    problems: &mut Vec<String>,
) -> Vec<Diagnostic> {
    let mut out = checked.diagnostics.clone();
    if targets.is_empty() {
        return out;
    }
    match &checked.program {
        Some(program) => {
            if let Err(d) = pipec::emit(program, targets) {
                out.extend(d);
            }
        }
        None => problems.push(format!(
            "the program has errors, so `// target: {}` cannot run",
            targets.join(" ")
        )),
    }
    out
}

/// Compares the rendered diagnostics with the case's snapshot.
fn snapshot(case: &Case, rendered: String) -> Option<String> {
    let outcome = std::panic::catch_unwind(|| {
        insta::with_settings!({
            snapshot_path => pipec_tests::root().join("tests/snapshots/ui"),
            prepend_module_to_snapshot => false,
            description => display(&case.path),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(case.name.clone(), rendered);
        });
    });
    outcome.is_err().then(|| {
        format!(
            "the rendered diagnostics differ from tests/snapshots/ui/{}.snap",
            case.name
        )
    })
}

/// The targets a case renders: every `// target: NAME…` line in the comment
/// that opens one of its files, in the order `pipec build` runs them.
fn targets(files: &[(String, String)]) -> Result<Vec<&'static str>, String> {
    let mut named = BTreeSet::new();
    for (_, text) in files {
        let opening = text.lines().take_while(|l| l.starts_with("//"));
        for line in opening {
            if let Some(names) = line.strip_prefix("// target:") {
                named.extend(names.split_whitespace().map(str::to_string));
            }
        }
    }
    let all: Vec<&'static str> = pipec::targets::all().iter().map(|t| t.name()).collect();
    if let Some(unknown) = named.iter().find(|n| !all.contains(&n.as_str())) {
        return Err(format!(
            "`// target: {unknown}` names no target; targets: {}",
            all.join(", ")
        ));
    }
    Ok(all.into_iter().filter(|t| named.contains(*t)).collect())
}

/// What every diagnostic must carry besides its code and span.
fn quality(d: &Diagnostic, sources: &SourceMap) -> Vec<String> {
    let mut out = Vec::new();
    let short = render::short(d, sources);
    let short = short.trim_end();
    if d.labels
        .iter()
        .all(|l| !l.primary || l.message.trim().is_empty())
    {
        out.push(format!("no text on the primary label: {short}"));
    }
    if d.help.as_deref().is_none_or(|h| h.trim().is_empty()) {
        out.push(format!("no help line: {short}"));
    }
    if d.primary_span().is_empty() {
        out.push(format!("empty primary span: {short}"));
    }
    out
}

/// The items of `a` not matched one-for-one by items of `b`.
fn multiset_minus<'a>(a: &'a [Expect], b: &[Expect]) -> Vec<&'a Expect> {
    let mut rest: Vec<&Expect> = b.iter().collect();
    let mut out = Vec::new();
    for x in a {
        match rest.iter().position(|y| *y == x) {
            Some(i) => {
                rest.remove(i);
            }
            None => out.push(x),
        }
    }
    out
}

/// The annotation line that would expect `r`.
fn suggestion(r: &Expect, sources: &SourceMap) -> String {
    let text = sources
        .find(&r.file)
        .map(|id| sources.get(id).text.to_string())
        .unwrap_or_default();
    let line_len = text
        .lines()
        .nth(r.line - 1)
        .map_or(0, |l| l.chars().count());
    let (carets, tail) = if r.end_line == r.line {
        (r.end_column.saturating_sub(r.column).max(1), String::new())
    } else {
        (
            (line_len + 1).saturating_sub(r.column).max(1),
            format!("+{}:{}", r.end_line - r.line, r.end_column),
        )
    };
    let pad = r.column.saturating_sub(1);
    let lead = if pad >= 3 {
        format!("//{}", " ".repeat(pad - 2))
    } else {
        format!("// col {}: ", r.column)
    };
    format!(
        "{lead}{}{tail} {} (under line {})",
        "^".repeat(carets),
        r.code,
        r.line
    )
}

/// The annotations of one file. See `tests/ui/README.md`.
fn annotations(file: &str, text: &str) -> Result<Vec<Expect>, String> {
    let mut out = Vec::new();
    let mut target: Option<(usize, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let Some(a) = parse_annotation(line) else {
            target = Some((i + 1, line.chars().count()));
            continue;
        };
        let a = a.map_err(|e| format!("{file}:{}: {e}", i + 1))?;
        let Some((line_no, len)) = target else {
            return Err(format!(
                "{file}:{}: an annotation needs a line above it",
                i + 1
            ));
        };
        let (end_line, end_column) = match a.continues {
            Some((lines, column)) => (line_no + lines, column),
            None => (line_no, a.column + a.carets),
        };
        if a.continues.is_none() && a.column + a.carets > len + 1 {
            return Err(format!(
                "{file}:{}: the carets run past the end of line {line_no}; a span that continues on later lines is written `^^^+LINES:COLUMN`",
                i + 1
            ));
        }
        out.push(Expect {
            file: file.to_string(),
            line: line_no,
            column: a.column,
            end_line,
            end_column,
            code: a.code,
        });
    }
    Ok(out)
}

struct Annotation {
    column: usize,
    carets: usize,
    continues: Option<(usize, usize)>,
    code: String,
}

/// `//   ^^^^ E0101`, `//   ^^^^+2:4 E0111` or `// col 1: ^^^ E0106`; `None`
/// for any other line.
fn parse_annotation(line: &str) -> Option<Result<Annotation, String>> {
    let trimmed = line.trim_start();
    let after = trimmed.strip_prefix("//")?;
    let rest = after.trim_start_matches(' ');
    let (column, rest) = match rest.strip_prefix("col ") {
        Some(r) => {
            let (n, r) = r.split_once(':')?;
            let Ok(n) = n.trim().parse::<usize>() else {
                return Some(Err(format!("`col {n}:` needs a column number")));
            };
            (Some(n), r.trim_start_matches(' '))
        }
        None => (None, rest),
    };
    if !rest.starts_with('^') {
        return None;
    }
    let column = column.unwrap_or(line.chars().count() - rest.chars().count() + 1);
    let carets = rest.chars().take_while(|c| *c == '^').count();
    let rest = &rest[carets..];
    let (continues, rest) = match rest.strip_prefix('+') {
        Some(r) => {
            let (spec, rest) = r.split_once(' ').unwrap_or((r, ""));
            let parsed = spec
                .split_once(':')
                .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)));
            match parsed {
                Some(p) => (Some(p), rest),
                None => return Some(Err(format!("`+{spec}` is not `+LINES:COLUMN`"))),
            }
        }
        None => (None, rest),
    };
    let code = rest.trim();
    let valid = code.len() == 5
        && code.starts_with(['E', 'W'])
        && code[1..].chars().all(|c| c.is_ascii_digit());
    if !valid {
        return Some(Err(format!(
            "expected one diagnostic code after the carets, found `{code}`"
        )));
    }
    Some(Ok(Annotation {
        column,
        carets,
        continues,
        code: code.to_string(),
    }))
}

/// The `.pipe` files of a case, as (name from the repository root, text).
fn case_files(root: &Path, case: &Case) -> Result<Vec<(String, String)>, String> {
    pipe_files(&root.join(&case.path))
        .into_iter()
        .map(|file| {
            let name = display(file.strip_prefix(root).unwrap_or(&file));
            let bytes = std::fs::read(&file).map_err(|e| format!("{name}: {e}"))?;
            Ok((name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect()
}

fn pipe_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pipe") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// Every registered code is expected by at least one case.
fn every_code_has_a_case(root: &Path, cases: &[Case]) -> Result<(), Failed> {
    let mut seen = BTreeSet::new();
    for case in cases {
        for (name, text) in case_files(root, case)? {
            if let Ok(a) = annotations(&name, &text) {
                seen.extend(a.into_iter().map(|a| a.code));
            }
        }
    }
    let missing: Vec<&str> = code::ALL
        .iter()
        .map(|c| c.code.as_str())
        .filter(|c| !seen.contains(*c))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("no case in tests/ui expects {}", missing.join(", ")).into())
    }
}
