//! `environment NAME { … }`: namespace, size, configuration, promotion, gates
//! and how Argo CD syncs it.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Cond, EnvId, Environment, Glob, Promotion, SyncPolicy, Tier};
use pipec_syntax::ast::Stmt;

use super::World;
use crate::Checker;
use crate::declare::{Decl, Decls};
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::{Ty, enum_of};
use crate::value::Value;

pub(crate) const V: Vocabulary = Vocabulary {
    context: "an environment",
    heads: &[
        "namespace",
        "url",
        "tier",
        "replicas",
        "resources",
        "autoscale",
        "config",
        "approvals",
        "promote",
        "deploy",
        "on",
        "sync",
        "revision",
        "notify",
    ],
};

fn default_tier(name: &str) -> Tier {
    match name {
        "dev" | "develop" | "development" | "local" => Tier::Development,
        "qa" | "test" | "testing" | "uat" => Tier::Testing,
        "staging" | "stage" | "preprod" => Tier::Staging,
        "prod" | "production" | "live" => Tier::Production,
        _ => Tier::Other,
    }
}

impl Checker<'_> {
    pub(crate) fn environment(
        &mut self,
        world: &World,
        decls: &Decls,
        d: &Decl,
        index: usize,
        release: &[Glob],
    ) -> Environment {
        let stmt = &world.files[d.at.file].file.stmts[d.at.index];
        let envs = decls.environment_names();
        let scope = Scope {
            release,
            environments: &envs,
            ..Scope::default()
        };
        let mut env = Environment {
            id: EnvId(index as u32),
            name: d.name.clone(),
            span: d.span,
            file: crate::load::display(&world.files[d.at.file].path),
            namespace: d.name.replace('_', "-"),
            url: None,
            tier: default_tier(&d.name),
            replicas: None,
            resources: None,
            autoscale: None,
            config: Vec::new(),
            approvals: 0,
            approvals_span: None,
            promotion: None,
            trigger: None,
            trigger_span: None,
            sync: SyncPolicy {
                automated: false,
                prune: false,
                self_heal: false,
                span: None,
            },
            revision: None,
            revision_span: None,
            notifications: Vec::new(),
        };
        let mut seen = Vec::new();
        let mut namespace = None;
        let mut sync_written = None;
        let body = stmt.generic().map(|g| block_stmts(&g.block)).unwrap_or(&[]);
        for s in body {
            let Some(g) = s.generic() else {
                self.unknown_statement(s, &V);
                continue;
            };
            let head = g.head.name.as_str();
            if !V.heads.contains(&head) {
                self.unknown_statement(s, &V);
                continue;
            }
            let key = if head == "on" { "deploy" } else { head };
            if head != "notify" && !self.once(&mut seen, key, g.head.span) {
                continue;
            }
            match head {
                "namespace" => {
                    if let Some(e) = self.single(s, "namespace \"NAME\"")
                        && let Some(v) = self
                            .eval(e, &Ty::String, &scope)
                            .and_then(|v| v.as_literal())
                    {
                        if super::is_dns_label(&v) {
                            namespace = Some(v);
                        } else {
                            self.diags.push(
                                Diagnostic::new(
                                    code::INVALID_NAME,
                                    e.span,
                                    format!("`{v}` is not a valid namespace"),
                                )
                                .label("invalid namespace")
                                .help("lowercase letters, digits and `-`, at most 63 characters"),
                            );
                        }
                    }
                }
                "url" => {
                    if let Some(e) = self.single(s, "url \"https://…\"") {
                        env.url = self.eval(e, &Ty::Url, &scope).and_then(|v| v.as_literal());
                    }
                }
                "tier" => {
                    if let Some(e) = self.single(s, "tier development|testing|staging|production")
                        && let Some(Value::Enum(t)) = self.eval(e, &enum_of(&Tier::ALL), &scope)
                    {
                        env.tier = Tier::ALL
                            .iter()
                            .find(|(n, _)| *n == t)
                            .map_or(Tier::Other, |x| x.1);
                    }
                }
                "replicas" => {
                    if let Some(e) = self.single(s, "replicas N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, &scope)
                    {
                        env.replicas = self.count(n, 0, 1000, e.span);
                    }
                }
                "resources" => env.resources = self.resources(s, &scope),
                "autoscale" => env.autoscale = self.autoscale(s, &scope),
                "config" => {
                    if let Some(e) = self.single(s, "config { KEY: \"value\" }") {
                        env.config = self.string_map(e, &scope);
                    }
                }
                "approvals" => {
                    if let Some(e) = self.single(s, "approvals N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, &scope)
                    {
                        env.approvals = self.count(n, 0, 6, e.span).unwrap_or(0);
                        env.approvals_span = Some(s.span);
                    }
                }
                "promote" => env.promotion = self.promotion(s, &scope, &decls.environments),
                "deploy" | "on" => {
                    let shape = if head == "on" {
                        "on CONDITION"
                    } else {
                        "deploy on CONDITION"
                    };
                    let mut args = Args::new(s, g, shape);
                    if head == "deploy" && !args.word("on") {
                        self.shape(&args);
                        continue;
                    }
                    let Some(e) = args.next() else {
                        self.shape(&args);
                        continue;
                    };
                    self.finish(&args);
                    if let Some(Value::Cond(c)) = self.eval(e, &Ty::Cond, &scope) {
                        env.trigger = Some(c);
                        env.trigger_span = Some(e.span);
                    }
                }
                "sync" => {
                    sync_written = Some(s.span);
                    self.sync(s, &mut env.sync, &scope);
                }
                "revision" => {
                    if let Some(e) = self.single(s, "revision \"TAG-OR-COMMIT\"") {
                        env.revision = self
                            .eval(e, &Ty::String, &scope)
                            .and_then(|v| v.as_literal());
                        env.revision_span = Some(e.span);
                    }
                }
                "notify" => {
                    if let Some(n) = self.argo_notification(s, &scope) {
                        env.notifications.extend(n);
                    }
                }
                _ => {}
            }
        }
        match namespace {
            Some(n) => env.namespace = n,
            // Written, but wrong: reported where it is written.
            None if seen.iter().any(|(h, _)| h == "namespace") || self.in_damaged(d.span) => {}
            None => self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    d.span,
                    format!("environment `{}` has no namespace", d.name),
                )
                .label("needs `namespace \"…\"`")
                .help("each environment deploys into its own Kubernetes namespace: namespace \"app-dev\""),
            ),
        }
        if sync_written.is_none() {
            let automated = env.approvals == 0 && env.tier != Tier::Production;
            env.sync = SyncPolicy {
                automated,
                // An automated sync that never prunes leaves the ConfigMap of
                // every earlier configuration behind: the Application stays
                // OutOfSync after each config change.
                prune: automated,
                self_heal: automated,
                span: None,
            };
        }
        if let Some(p) = &env.promotion
            && p.from.index() == index
        {
            self.diags.push(
                Diagnostic::new(code::PROMOTION_CYCLE, p.span, "an environment cannot promote from itself")
                    .label("promotes from itself")
                    .help("promote from the environment before this one in the chain, e.g. dev → staging → prod"),
            );
            env.promotion = None;
        }
        env
    }

    fn promotion(&mut self, s: &Stmt, scope: &Scope, envs: &[Decl]) -> Option<Promotion> {
        let g = s.generic()?;
        let mut args = Args::new(s, g, "promote from ENVIRONMENT");
        if !args.word("from") {
            self.shape(&args);
            return None;
        }
        let e = args.next()?;
        self.finish(&args);
        let Value::Ref(name, _) = self.eval(e, &Ty::Environment, scope)? else {
            return None;
        };
        let from = envs.iter().position(|d| d.name == name)?;
        Some(Promotion {
            from: EnvId(from as u32),
            span: e.span,
        })
    }

    /// `sync automatic [{ prune false, self_heal false }]` or `sync manual`.
    fn sync(&mut self, s: &Stmt, sync: &mut SyncPolicy, scope: &Scope) {
        const SV: Vocabulary = Vocabulary {
            context: "sync",
            heads: &["prune", "self_heal"],
        };
        let Some(g) = s.generic() else { return };
        let mut args = Args::new(s, g, "sync automatic|manual");
        let mode = args.next();
        self.finish(&args);
        let automated = match mode.and_then(|m| m.as_ident()) {
            Some("automatic") => true,
            Some("manual") => false,
            Some(other) => {
                self.unknown_variant(
                    mode.map_or(s.span, |m| m.span),
                    other,
                    &["automatic".into(), "manual".into()],
                );
                return;
            }
            None => {
                self.shape(&args);
                return;
            }
        };
        *sync = SyncPolicy {
            automated,
            prune: automated,
            self_heal: automated,
            span: Some(s.span),
        };
        for o in block_stmts(&g.block) {
            let Some(og) = o.generic() else {
                self.unknown_statement(o, &SV);
                continue;
            };
            let value = match og.args.as_slice() {
                [] => true,
                [e] => matches!(self.eval(e, &Ty::Bool, scope), Some(Value::Bool(true))),
                _ => {
                    self.diags.push(crate::stmt::malformed(
                        o.signature_span(),
                        "prune [true|false]",
                    ));
                    continue;
                }
            };
            match og.head.name.as_str() {
                "prune" => sync.prune = value,
                "self_heal" => sync.self_heal = value,
                _ => {
                    self.unknown_statement(o, &SV);
                    continue;
                }
            }
            if !automated {
                self.diags.push(
                    Diagnostic::new(
                        code::CONFLICTING_STATEMENTS,
                        og.head.span,
                        format!("`{}` applies only to automatic sync", og.head.name),
                    )
                    .label("needs `sync automatic`")
                    .secondary(mode.map_or(s.span, |m| m.span), "sync is manual")
                    .help("remove it, or use `sync automatic`"),
                );
            }
        }
    }
}

/// The run condition of an environment's deployments: its own trigger, or the
/// one of the environment it promotes from.
pub fn deploy_condition(envs: &[Environment], id: EnvId) -> Option<&Cond> {
    let mut cur = id;
    for _ in 0..envs.len() {
        let e = &envs[cur.index()];
        if let Some(t) = &e.trigger {
            return Some(t);
        }
        cur = e.promotion.as_ref()?.from;
    }
    None
}
