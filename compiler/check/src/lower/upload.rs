//! `upload pypi|npm "DIR"` in a job: the packages in a folder
//! the jobs before it filled, published after the job's steps (see
//! [`pipec_graph::Upload`]).

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Upload, UploadTo};
use pipec_syntax::ast::{Generic, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Args;
use crate::types::{Ty, enum_of};
use crate::value::Value;

use super::job::JobDraft;

const SHAPE: &str = "upload pypi|npm \"DIR\"";

impl Checker<'_> {
    pub(super) fn upload_stmt(
        &mut self,
        stmt: &Stmt,
        g: &Generic,
        draft: &mut JobDraft,
        scope: &Scope,
    ) {
        let mut args = Args::new(stmt, g, SHAPE);
        let (Some(to), Some(dir)) = (args.next(), args.next()) else {
            self.shape(&args);
            return;
        };
        self.finish(&args);
        self.no_block(g, SHAPE);
        let Some(Value::Enum(to)) = self.eval(to, &enum_of(&UploadTo::ALL), scope) else {
            return;
        };
        let Some(to) = UploadTo::ALL.iter().find(|(n, _)| *n == to).map(|x| x.1) else {
            return;
        };
        let Some(value) = self.eval(dir, &Ty::Path, scope) else {
            return;
        };
        // The folder is named in the job's permissions and in the action's
        // inputs, which are fixed before the run starts.
        let Some(path) = value.as_literal() else {
            self.diags.push(
                Diagnostic::new(
                    code::RUN_TIME_VALUE,
                    dir.span,
                    "the folder of an upload must be known before the pipeline runs",
                )
                .label("has a placeholder known only at run time")
                .help("write the folder as a literal path, such as \"dist\""),
            );
            return;
        };
        draft.run().upload = Some(Box::new(Upload {
            to,
            dir: path.trim_end_matches('/').to_string(),
            span: scope.site.unwrap_or(stmt.span),
        }));
    }
}
