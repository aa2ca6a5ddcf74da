//! `gitops { … }` and `policy { … }`.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Duration, GitOps, Policy, RuleLevel, RuleSetting, Setting};
use pipec_syntax::ast::Stmt;

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

/// How long deployment jobs wait for Argo CD by default, and at most (a GitHub
/// job runs for six hours at most).
const DEFAULT_WAIT_SECONDS: u64 = 10 * 60;
const MAX_WAIT_SECONDS: u64 = 6 * 60 * 60;

pub(crate) const GITOPS: Vocabulary = Vocabulary {
    context: "gitops",
    heads: &[
        "repo", "branch", "path", "token", "argocd", "wait", "notify",
    ],
};

pub(crate) const POLICY: Vocabulary = Vocabulary {
    context: "policy",
    heads: &[
        "min_coverage",
        "prod_approvals",
        "max_duration",
        "max_deploy_duration",
        "rule",
    ],
};

impl Checker<'_> {
    /// `gitops { repo "https://…", branch "main", path "deploy", token secret("…"),
    /// argocd secret("…"), wait 10m, notify telegram secret("telegram-token") }`
    pub(crate) fn gitops(&mut self, stmt: &Stmt) -> Option<GitOps> {
        const V: Vocabulary = GITOPS;
        let g = stmt.generic()?;
        if !g.args.is_empty() {
            self.diags.push(crate::stmt::malformed(
                stmt.signature_span(),
                "gitops { repo \"https://…\" }",
            ));
        }
        let scope = Scope::default();
        let mut out = GitOps {
            repo: String::new(),
            branch: "main".into(),
            path: "deploy".into(),
            token: None,
            argocd: None,
            wait: Duration::from_secs(DEFAULT_WAIT_SECONDS),
            notifiers: Vec::new(),
            span: g.head.span,
        };
        let mut seen = Vec::new();
        for s in block_stmts(&g.block) {
            let Some(sg) = s.generic() else {
                self.unknown_statement(s, &V);
                continue;
            };
            let head = sg.head.name.as_str();
            if !V.heads.contains(&head) {
                self.unknown_statement(s, &V);
                continue;
            }
            if head == "notify" {
                if let Some(n) = self.notifier(s, &scope) {
                    if let Some(first) = out.notifiers.iter().find(|f| f.service == n.service) {
                        self.diags.push(
                            Diagnostic::new(
                                code::DUPLICATE_STATEMENT,
                                n.span,
                                format!("a second token for {}", n.service.name()),
                            )
                            .label("written again")
                            .secondary(first.span, "first here")
                            .help("give each notification service one token"),
                        );
                    } else {
                        out.notifiers.push(n);
                    }
                }
                continue;
            }
            if !self.once(&mut seen, head, sg.head.span) {
                continue;
            }
            let Some(e) = self.single(s, "repo \"URL\"") else {
                continue;
            };
            match head {
                "repo" => {
                    if let Some(v) = self.eval(e, &Ty::Url, &scope).and_then(|v| v.as_literal()) {
                        if !self.check_credential_host(crate::secrets::url_host(&v), e.span) {
                            continue;
                        }
                        if v.starts_with("https://") {
                            out.repo = v;
                        } else {
                            self.diags.push(
                                Diagnostic::new(code::INVALID_URL, e.span, "GitOps repositories are reached over HTTPS")
                                    .label("not https")
                                    .help("write the https clone URL: \"https://github.com/acme/deploy.git\""),
                            );
                        }
                    }
                }
                "branch" => {
                    if let Some(v) = self.eval(e, &Ty::Glob, &scope).and_then(|v| v.as_literal()) {
                        if v.contains(['*', '?']) {
                            self.diags.push(
                                Diagnostic::new(
                                    code::INVALID_GLOB,
                                    e.span,
                                    "the GitOps branch must be one branch",
                                )
                                .label("a pattern")
                                .help("name the branch: \"main\""),
                            );
                        } else {
                            out.branch = v;
                        }
                    }
                }
                "path" => {
                    if let Some(v) = self.eval(e, &Ty::Path, &scope).and_then(|v| v.as_literal()) {
                        let v = v.trim_matches('/').to_string();
                        if v.is_empty()
                            || v.split('/').any(|p| p == ".." || p == "." || p.is_empty())
                        {
                            self.diags.push(
                                Diagnostic::new(
                                    code::INVALID_NAME,
                                    e.span,
                                    "the manifest path must be a relative folder",
                                )
                                .label("invalid path")
                                .help("for example \"deploy\""),
                            );
                        } else {
                            out.path = v;
                        }
                    }
                }
                "wait" => {
                    if let Some(Value::Duration(d)) = self.eval(e, &Ty::Duration, &scope) {
                        if (60..=MAX_WAIT_SECONDS).contains(&d.seconds) {
                            out.wait = d;
                        } else {
                            self.diags.push(
                                Diagnostic::new(
                                    code::OUT_OF_RANGE,
                                    e.span,
                                    format!("a deployment cannot wait {d} for Argo CD"),
                                )
                                .label("between 1m and 6h")
                                .help("wait 10m"),
                            );
                        }
                    }
                }
                head => {
                    if let Some(Value::Secret(s)) = self.eval(e, &Ty::Secret, &scope) {
                        match head {
                            "argocd" => out.argocd = Some(s),
                            _ => out.token = Some(s),
                        }
                    }
                }
            }
        }
        if out.repo.is_empty()
            && (seen.iter().any(|(h, _)| h == "repo") || self.in_damaged(stmt.span))
        {
            // Written, but wrong: reported where it is written.
            return None;
        }
        if out.repo.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    g.head.span,
                    "gitops needs the repository Argo CD reads",
                )
                .label("needs `repo \"https://…\"`")
                .help("gitops { repo \"https://github.com/acme/app.git\" }"),
            );
            return None;
        }
        Some(out)
    }

    /// `policy { min_coverage 80%, prod_approvals 2, max_duration 5m,
    /// max_deploy_duration 8m, rule PIPE104 warning }`
    pub(crate) fn policy(&mut self, stmt: &Stmt) -> Policy {
        const V: Vocabulary = POLICY;
        let mut p = Policy::default();
        let Some(g) = stmt.generic() else { return p };
        let scope = Scope::default();
        let mut seen = Vec::new();
        for s in block_stmts(&g.block) {
            let Some(sg) = s.generic() else {
                self.unknown_statement(s, &V);
                continue;
            };
            let head = sg.head.name.as_str();
            if !V.heads.contains(&head) {
                self.unknown_statement(s, &V);
                continue;
            }
            if head != "rule" && !self.once(&mut seen, head, sg.head.span) {
                continue;
            }
            match head {
                "min_coverage" => {
                    if let Some(e) = self.single(s, "min_coverage PERCENT")
                        && let Some(Value::Percent(v)) = self.eval(e, &Ty::Percent, &scope)
                    {
                        p.min_coverage = Some(Setting {
                            value: v,
                            span: s.span,
                        });
                    }
                }
                "prod_approvals" => {
                    if let Some(e) = self.single(s, "prod_approvals N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, &scope)
                        && let Some(n) = self.count(n, 0, 6, e.span)
                    {
                        p.prod_approvals = Some(Setting {
                            value: n,
                            span: s.span,
                        });
                    }
                }
                "max_duration" | "max_deploy_duration" => {
                    let shape = if head == "max_duration" {
                        "max_duration DURATION"
                    } else {
                        "max_deploy_duration DURATION"
                    };
                    if let Some(e) = self.single(s, shape)
                        && let Some(Value::Duration(d)) = self.eval(e, &Ty::Duration, &scope)
                    {
                        let setting = Some(Setting {
                            value: d,
                            span: s.span,
                        });
                        if head == "max_duration" {
                            p.max_duration = setting;
                        } else {
                            p.max_deploy_duration = setting;
                        }
                    }
                }
                _ => {
                    let mut args = Args::new(s, sg, "rule RULE off|note|warning|error");
                    let rule = args.next().and_then(|e| e.as_ident());
                    let level = args.next();
                    self.finish(&args);
                    let (Some(rule), Some(level)) = (rule, level) else {
                        self.shape(&args);
                        continue;
                    };
                    let levels = ["off", "note", "warning", "error"];
                    let Some(l) = level.as_ident().filter(|l| levels.contains(l)) else {
                        self.unknown_variant(
                            level.span,
                            level.as_ident().unwrap_or("?"),
                            &levels.map(String::from),
                        );
                        continue;
                    };
                    p.rules.push(RuleSetting {
                        rule: rule.to_string(),
                        level: match l {
                            "off" => RuleLevel::Off,
                            "note" => RuleLevel::Note,
                            "warning" => RuleLevel::Warning,
                            _ => RuleLevel::Error,
                        },
                        span: s.span,
                    });
                }
            }
        }
        p
    }
}
