//! `publish IMAGE to REGISTRY { … }`: where an image is pushed, when, and with
//! which tags.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{Cond, Credential, Part, Registry, RegistryKind, TagKind, TagRule, Text};
use pipec_syntax::ast::{BinaryOp, Expr, ExprKind, PredicateWord, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Args;
use crate::types::Ty;
use crate::value::Value;

const TAG_WORDS: &[&str] = &["sha", "branch", "branch_sha", "semver", "git_tag", "latest"];

impl Checker<'_> {
    /// `ghcr("acme/api")`, `dockerhub("acme/api", username: …, token: …)`,
    /// `gitlab_registry()`, `registry("registry.example.com", "team/api", …)`.
    pub(crate) fn registry(&mut self, e: &Expr, scope: &Scope) -> Option<Registry> {
        let (name, args) = match &e.kind {
            ExprKind::Call { callee, args } => (callee.as_ident().unwrap_or(""), args.as_slice()),
            ExprKind::Ident(n) => (n.as_str(), &[][..]),
            _ => ("", &[][..]),
        };
        let kinds = ["ghcr", "dockerhub", "gitlab_registry", "registry"];
        if !kinds.contains(&name) {
            self.diags.push(
                Diagnostic::new(code::UNKNOWN_NAME, e.span, "expected a registry")
                    .label("not a registry")
                    .help("ghcr(\"owner/name\"), dockerhub(\"org/name\", username: secret(…), token: secret(…)), gitlab_registry(), or registry(\"host\", \"path\", username: …, password: …)"),
            );
            return None;
        }
        let mut positional = Vec::new();
        let mut username = None;
        let mut password = None;
        for a in args {
            match a.name.as_ref().map(|n| n.name.as_str()) {
                None => positional.push(&a.value),
                Some("username") => {
                    username = match &a.value.kind {
                        ExprKind::Str(_) => Some(Credential::Literal(self.literal_text(
                            &a.value,
                            &Ty::String,
                            scope,
                            "a registry username",
                        )?)),
                        _ => match self.eval(&a.value, &Ty::Secret, scope)? {
                            Value::Secret(s) => Some(Credential::Secret(s)),
                            _ => None,
                        },
                    }
                }
                Some("token" | "password") => {
                    password = match self.eval(&a.value, &Ty::Secret, scope)? {
                        Value::Secret(s) => Some(Credential::Secret(s)),
                        _ => None,
                    }
                }
                Some(other) => {
                    self.diags.push(
                        Diagnostic::new(
                            code::UNKNOWN_ARGUMENT,
                            a.span,
                            format!("registries take no `{other}`"),
                        )
                        .label("unknown argument")
                        .help("registries take `username:` and `token:` (or `password:`)"),
                    );
                    return None;
                }
            }
        }
        let text = |this: &mut Self, i: usize, what: &str| -> Option<String> {
            match positional.get(i) {
                Some(e) => {
                    this.literal_text(e, &Ty::String, scope, &format!("the registry's {what}"))
                }
                None => {
                    this.diags.push(
                        Diagnostic::new(
                            code::MISSING_ARGUMENT,
                            e.span,
                            format!("`{name}` needs the {what}"),
                        )
                        .label(format!("missing {what}"))
                        .help("ghcr(\"acme/api\")"),
                    );
                    None
                }
            }
        };
        let (kind, host, repository) = match name {
            "ghcr" => (
                RegistryKind::Ghcr,
                "ghcr.io".to_string(),
                text(self, 0, "repository")?,
            ),
            "dockerhub" => (
                RegistryKind::DockerHub,
                "docker.io".to_string(),
                text(self, 0, "repository")?,
            ),
            "gitlab_registry" => (RegistryKind::GitLab, String::new(), String::new()),
            _ => (
                RegistryKind::Other,
                text(self, 0, "host")?,
                text(self, 1, "repository")?,
            ),
        };
        let expected_positional = match kind {
            RegistryKind::GitLab => 0,
            RegistryKind::Other => 2,
            _ => 1,
        };
        if positional.len() > expected_positional {
            self.diags.push(
                Diagnostic::new(
                    code::UNKNOWN_ARGUMENT,
                    positional[expected_positional].span,
                    "too many arguments",
                )
                .label("unexpected")
                .help("name credentials: username: secret(\"…\"), token: secret(\"…\")"),
            );
            return None;
        }
        if kind != RegistryKind::GitLab && !valid_repository(&repository) {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    positional.last().map_or(e.span, |p| p.span),
                    format!("`{repository}` is not a valid image repository"),
                )
                .label("invalid repository")
                .help("lowercase letters, digits and `._-`, in path segments: \"acme/flask-api\""),
            );
            return None;
        }
        if kind == RegistryKind::Other && !self.check_credential_host(&host, positional[0].span) {
            return None;
        }
        if kind == RegistryKind::Other
            && (!host.contains('.') && !host.contains(':') && host != "localhost"
                || host.contains('/'))
        {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    positional[0].span,
                    format!("`{host}` is not a registry host"),
                )
                .label("invalid host")
                .help("a host name such as \"registry.example.com\""),
            );
            return None;
        }
        if matches!(kind, RegistryKind::DockerHub | RegistryKind::Other)
            && (username.is_none() || password.is_none())
        {
            self.diags.push(
                Diagnostic::new(code::MISSING_ARGUMENT, e.span, format!("`{name}` needs credentials"))
                    .label("no username and token")
                    .help(format!(
                        "{name}(…, username: secret(\"REGISTRY_USERNAME\"), token: secret(\"REGISTRY_TOKEN\"))"
                    )),
            );
            return None;
        }
        if password.is_none() != username.is_none() {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_ARGUMENT,
                    e.span,
                    "give both a username and a token, or neither",
                )
                .label("half the credentials")
                .help("username: secret(\"…\"), token: secret(\"…\")"),
            );
            return None;
        }
        Some(Registry {
            kind,
            host,
            repository,
            username,
            password,
        })
    }

    /// `tags [sha, branch, semver, latest if release, "stable" if branch main]`
    pub(crate) fn tags(&mut self, stmt: &Stmt, scope: &Scope) -> Option<Vec<TagRule>> {
        let g = stmt.generic()?;
        let mut args = Args::new(
            stmt,
            g,
            "tags [sha, branch, branch_sha, semver, git_tag, latest, \"fixed\" …]",
        );
        let Some(list) = args.next() else {
            self.shape(&args);
            return None;
        };
        self.finish(&args);
        let items: Vec<&Expr> = match &list.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![list],
        };
        let mut out: Vec<TagRule> = Vec::new();
        for item in items {
            let (tag, cond) = match &item.kind {
                ExprKind::Binary {
                    op: BinaryOp::If,
                    lhs,
                    rhs,
                } => {
                    let Some(Value::Cond(c)) = self.eval(rhs, &Ty::Cond, scope) else {
                        continue;
                    };
                    (&**lhs, c)
                }
                _ => (item, Cond::Always),
            };
            let Some(kind) = self.tag_kind(tag, scope) else {
                continue;
            };
            if out.iter().any(|t| t.kind == kind && t.when == cond) {
                self.diags.push(
                    Diagnostic::new(code::DUPLICATE_DEFINITION, item.span, "tag listed twice")
                        .label("again")
                        .help("list each tag once"),
                );
                continue;
            }
            out.push(TagRule { kind, when: cond });
        }
        if out.is_empty() && !matches!(&list.kind, ExprKind::List(items) if items.is_empty()) {
            // Every tag was wrong, and each was reported.
            return None;
        }
        if out.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    list.span,
                    "an image needs at least one tag",
                )
                .label("no tags")
                .help("tags [sha]"),
            );
            return None;
        }
        Some(out)
    }

    fn tag_kind(&mut self, e: &Expr, scope: &Scope) -> Option<TagKind> {
        match &e.kind {
            ExprKind::Predicate {
                word: PredicateWord::Branch,
                operand: None,
            } => Some(TagKind::Branch),
            ExprKind::Ident(n) => match n.as_str() {
                "sha" => Some(TagKind::Sha),
                "branch_sha" => Some(TagKind::BranchSha),
                "semver" => Some(TagKind::Semver),
                "git_tag" => Some(TagKind::GitTag),
                "latest" => Some(TagKind::Latest),
                other => {
                    self.unknown_variant(
                        e.span,
                        other,
                        &TAG_WORDS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                    );
                    None
                }
            },
            ExprKind::Str(s) => {
                let t = self.eval(e, &Ty::String, scope)?.as_text()?;
                if !valid_tag(&t) {
                    self.diags.push(
                        Diagnostic::new(code::INVALID_NAME, e.span, format!("`{}` is not a valid image tag", s.value))
                            .label("invalid tag")
                            .help("tags use letters, digits, `_`, `.` and `-`, at most 128 characters, not starting with `.` or `-`"),
                    );
                    return None;
                }
                Some(if t.as_literal().as_deref() == Some("latest") {
                    TagKind::Latest
                } else {
                    TagKind::Literal(t)
                })
            }
            _ => {
                self.mismatch(
                    e,
                    &Ty::Enum(TAG_WORDS.iter().map(|s| s.to_string()).collect()),
                );
                None
            }
        }
    }

    /// `cache registry|none`
    pub(crate) fn layer_cache(&mut self, stmt: &Stmt) -> Option<bool> {
        let e = self.single(stmt, "cache registry|none")?;
        match e.as_ident() {
            Some("registry") => Some(true),
            Some("none") => Some(false),
            Some(other) => {
                self.unknown_variant(e.span, other, &["registry".into(), "none".into()]);
                None
            }
            None => {
                self.mismatch(e, &Ty::Enum(vec!["registry".into(), "none".into()]));
                None
            }
        }
    }

    pub(crate) fn publish_target(
        &mut self,
        stmt: &Stmt,
        scope: &Scope,
    ) -> Option<(Registry, Option<(String, Span)>)> {
        let g = stmt.generic()?;
        let mut args = Args::new(stmt, g, "publish IMAGE to REGISTRY [as NAME] { … }");
        args.next();
        if !args.word("to") {
            self.shape(&args);
            return None;
        }
        let Some(reg) = args.next() else {
            self.shape(&args);
            return None;
        };
        let name = if args.word("as") {
            match args.next() {
                Some(n) if n.as_ident().is_some() => Some((n.as_ident()?.to_string(), n.span)),
                _ => {
                    self.shape(&args);
                    return None;
                }
            }
        } else {
            None
        };
        self.finish(&args);
        Some((self.registry(reg, scope)?, name))
    }
}

fn valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.split('/').all(|seg| {
            !seg.is_empty()
                && seg.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && seg.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
        })
}

/// Whether a tag's literal text is valid: letters, digits, `_`, `.` and `-`,
/// at most 128 characters, not starting with `.` or `-`. Values of the run
/// in it are made valid when the tag is pushed.
fn valid_tag(t: &Text) -> bool {
    let literal: String = t
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Lit(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    let starts_literal = matches!(t.parts.first(), Some(Part::Lit(_)));
    !t.parts.is_empty()
        && literal.len() <= 128
        && !(starts_literal && literal.starts_with(['.', '-']))
        && literal
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
