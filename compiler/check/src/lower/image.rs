//! The statements of an image body: Dockerfile, context, build target,
//! build arguments and platforms.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::EnvValue;
use pipec_syntax::ast::{Generic, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::types::Ty;
use crate::value::Value;

use super::job::JobDraft;

impl Checker<'_> {
    pub(super) fn image_stmt(
        &mut self,
        stmt: &Stmt,
        g: &Generic,
        draft: &mut JobDraft,
        scope: &Scope,
    ) {
        match g.head.name.as_str() {
            "dockerfile" | "context" => {
                let Some(e) = self.single(stmt, "dockerfile \"PATH\"") else {
                    return;
                };
                if let Some(p) = self.eval(e, &Ty::Path, scope).and_then(|v| v.as_text()) {
                    if g.head.name == "dockerfile" {
                        draft.image.dockerfile = p;
                    } else {
                        draft.image.context = p;
                    }
                }
            }
            "target" => {
                let Some(e) = self.single(stmt, "target \"STAGE\"") else {
                    return;
                };
                draft.image.target = self
                    .eval(e, &Ty::String, scope)
                    .and_then(|v| v.as_text())
                    .filter(|t| !t.parts.is_empty());
            }
            "build_args" => {
                let Some(e) = self.single(stmt, "build_args { NAME: \"value\" }") else {
                    return;
                };
                for v in self.env_vars(e, scope) {
                    match v.value {
                        EnvValue::Text(t) => {
                            if self.check_url_password(&t, v.span, &[]) {
                                draft.image.build_args.push((v.name, t));
                            }
                        }
                        EnvValue::Secret(_) => self.diags.push(
                            Diagnostic::new(
                                code::PLAINTEXT_SECRET,
                                v.span,
                                "secrets must not be build arguments",
                            )
                            .label("build arguments are stored in the image's history")
                            .help("use a BuildKit secret mount in the Dockerfile instead"),
                        ),
                    }
                }
            }
            "platforms" => {
                let Some(e) = self.single(stmt, "platforms [\"linux/amd64\", …]") else {
                    return;
                };
                if let Some(v) = self.eval(e, &Ty::List(Box::new(Ty::String)), scope) {
                    let mut out = Vec::new();
                    let items = v.into_list();
                    if items.iter().any(|i| i.as_literal().is_none()) {
                        self.diags.push(
                            Diagnostic::new(
                                code::RUN_TIME_VALUE,
                                e.span,
                                "platforms must be known before the pipeline runs",
                            )
                            .label("has a placeholder known only at run time")
                            .help("list the platforms: [\"linux/amd64\", \"linux/arm64\"]"),
                        );
                        return;
                    }
                    for p in items.iter().filter_map(Value::as_literal) {
                        if !p.starts_with("linux/") {
                            self.diags.push(
                                Diagnostic::new(
                                    code::UNKNOWN_VARIANT,
                                    e.span,
                                    format!("`{p}` is not a Linux platform"),
                                )
                                .label("unsupported platform")
                                .help("platforms look like \"linux/amd64\" or \"linux/arm64\""),
                            );
                            continue;
                        }
                        out.push(p);
                    }
                    draft.image.platforms = out;
                }
            }
            _ => {}
        }
    }
}
