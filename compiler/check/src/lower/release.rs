//! `release [FILES] [notes generated|message|"PATH"]` in a job: the release of
//! the pushed tag on the forge, created after the job's steps, with files
//! the jobs before it kept attached (see [`pipec_graph::Release`]); and the
//! checks that need the whole graph — a release only in tag runs (E0470),
//! attached files some job keeps (E0471), one release per run (E0472).

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::analysis::job_runs;
use pipec_graph::{Job, JobKind, Pipeline, Release, ReleaseNotes, RunJob};
use pipec_syntax::ast::{Generic, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Args;
use crate::types::Ty;
use crate::value::Value;

use super::job::JobDraft;

const SHAPE: &str = "release [\"FILES\"] [notes generated|message|\"PATH\"]";

impl Checker<'_> {
    pub(super) fn release_stmt(
        &mut self,
        stmt: &Stmt,
        g: &Generic,
        draft: &mut JobDraft,
        scope: &Scope,
    ) {
        let mut args = Args::new(stmt, g, SHAPE);
        let files = match args.peek_word() {
            Some("notes") => None,
            _ => args.next(),
        };
        let mut notes = ReleaseNotes::Generated;
        if args.word("notes") {
            let Some(e) = args.next() else {
                self.shape(&args);
                return;
            };
            match e.as_ident() {
                Some("generated") => {}
                Some("message") => notes = ReleaseNotes::Message,
                _ => {
                    let Some(v) = self.eval(e, &Ty::Path, scope) else {
                        return;
                    };
                    let Some(path) = self.literal(&v, e.span, "the changelog of a release") else {
                        return;
                    };
                    notes = ReleaseNotes::Changelog(path);
                }
            }
        }
        self.finish(&args);
        self.no_block(g, SHAPE);
        let mut out = Vec::new();
        if let Some(e) = files {
            let Some(v) = self.eval(e, &Ty::List(Box::new(Ty::Glob)), scope) else {
                return;
            };
            for f in v.into_list() {
                match self.literal(&f, e.span, "a release's files") {
                    Some(f) => out.push(f),
                    None => return,
                }
            }
        }
        draft.run().release = Some(Box::new(Release {
            files: out,
            notes,
            span: scope.site.unwrap_or(stmt.span),
        }));
    }

    /// A value a release names in the generated files, which must be known
    /// before the pipeline runs.
    fn literal(&mut self, v: &Value, span: pipec_diagnostics::Span, what: &str) -> Option<String> {
        let out = v.as_literal();
        if out.is_none() {
            self.diags.push(
                Diagnostic::new(
                    code::RUN_TIME_VALUE,
                    span,
                    format!("{what} must be known before the pipeline runs"),
                )
                .label("has a placeholder known only at run time")
                .help("write it as a literal path, such as \"dist/*\""),
            );
        }
        out
    }

    /// The checks of a pipeline's releases, once its graph is built.
    pub(crate) fn check_releases(&mut self, p: &Pipeline, runs: &[pipec_graph::Run]) {
        let releasing: Vec<(&Job, &RunJob, &Release)> = p
            .jobs
            .iter()
            .filter_map(|j| match &j.kind {
                JobKind::Run(r) => r.release.as_deref().map(|rel| (j, r, rel)),
                _ => None,
            })
            .collect();
        if releasing.is_empty() {
            return;
        }
        let in_run = job_runs(p, runs);
        for (job, r, rel) in &releasing {
            let mine = &in_run[job.id.index()];
            if let Some(run) = runs
                .iter()
                .zip(mine)
                .find_map(|(run, yes)| (*yes && run.tag.is_none()).then_some(run))
            {
                self.diags.push(
                    Diagnostic::new(
                        code::RELEASE_OUTSIDE_TAG_RUNS,
                        rel.span,
                        format!(
                            "job `{}` creates a release but also runs in {} runs, which have no tag",
                            job.name,
                            run.event.name()
                        ),
                    )
                    .label("a release belongs to a pushed tag")
                    .help("add `when release` (or `when tag \"v*\"`) to the job"),
                );
            } else if !runs
                .iter()
                .zip(mine)
                .any(|(run, yes)| *yes && run.tag.is_some())
            {
                self.diags.push(
                    Diagnostic::new(
                        code::RELEASE_OUTSIDE_TAG_RUNS,
                        rel.span,
                        format!(
                            "job `{}` creates a release but never runs for a tag",
                            job.name
                        ),
                    )
                    .label("no run of this pipeline pushes a tag this job runs for")
                    .help("add a trigger such as `on tag \"v*\"` to the pipeline"),
                );
            }
            if job.matrix.is_some() {
                self.diags.push(
                    Diagnostic::new(
                        code::RELEASE_TWICE,
                        rel.span,
                        format!(
                            "job `{}` creates a release in each instance of its matrix",
                            job.name
                        ),
                    )
                    .label("one release per tag")
                    .help("create the release in a job without a matrix, after the matrix job"),
                );
            }
            // The job's own steps may write the files; without steps, they
            // come from the artifacts of the jobs it waits for.
            if r.steps.is_empty() {
                let kept: Vec<String> = p
                    .needs(job.id)
                    .into_iter()
                    .filter_map(|d| p.job(d).run())
                    .flat_map(|dr| dr.artifacts.iter().flat_map(|a| &a.paths))
                    .filter_map(|t| t.as_literal())
                    .collect();
                for f in &rel.files {
                    if !kept.iter().any(|k| covers(k, f)) {
                        self.diags.push(
                            Diagnostic::new(
                                code::RELEASE_FILE_NOT_KEPT,
                                rel.span,
                                format!("`{f}` is attached to the release, but no job `{}` waits for keeps it", job.name),
                            )
                            .label("the job has no steps of its own, and finds only the artifacts of the jobs it runs after")
                            .help(if kept.is_empty() {
                                "run the job after the job that builds the files, which keeps them with `artifact`".to_string()
                            } else {
                                format!("the jobs it runs after keep {}", kept.join(", "))
                            }),
                        );
                    }
                }
            }
        }
        if let [first, second, ..] = releasing.as_slice() {
            let both = runs.iter().enumerate().any(|(i, run)| {
                run.tag.is_some() && in_run[first.0.id.index()][i] && in_run[second.0.id.index()][i]
            });
            if both {
                self.diags.push(
                    Diagnostic::new(
                        code::RELEASE_TWICE,
                        second.2.span,
                        format!(
                            "jobs `{}` and `{}` both create the release of the same tag",
                            first.0.name, second.0.name
                        ),
                    )
                    .label("a second release of the tag")
                    .help("create the release in one job, with every file attached"),
                );
            }
        }
    }
}

/// Whether an artifact path (`dist`, `dist/*.whl`) keeps the files of a
/// release pattern (`dist/*`, `dist/app.whl`).
fn covers(kept: &str, file: &str) -> bool {
    let kept = kept.trim_end_matches('/');
    let file = file.trim_start_matches("./");
    let kept = kept.trim_start_matches("./");
    file == kept || file.starts_with(&format!("{kept}/")) || kept == "."
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn artifacts_cover_the_files_under_them() {
        assert!(covers("dist", "dist/*"));
        assert!(covers("dist/", "dist/app.whl"));
        assert!(covers("dist/*.whl", "dist/*.whl"));
        assert!(!covers("dist", "build/*"));
        assert!(!covers("dist", "distribution/*"));
    }
}
