//! One workflow file: its triggers, concurrency, defaults and jobs, and the
//! lowering context ([`Lower`]) the job modules share.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_emit::{Map, Yaml, yaml};
use pipec_graph::{
    Cond, EnvValue, EnvVar, Glob, Input, InputKind, Pipeline, Program, Text, Trigger, TriggerKind,
};

use crate::deploy::{DeployText, EnvPolicies};
use crate::expr::{self, Expr};

/// What lowering one pipeline needs: the program, the pipeline, and the
/// diagnostics found on the way.
pub struct Lower<'a> {
    pub program: &'a Program,
    pub pipeline: &'a Pipeline,
    /// The pipeline's dispatch inputs.
    pub inputs: Vec<Input>,
    /// Whether pushed tags start the workflow: then dependency caches are not
    /// restored in tag runs (they are releases).
    pub releases: bool,
    /// Lowering the deploy workflow (started by hand) rather than CI.
    pub dispatch: bool,
    pub diags: Vec<Diagnostic>,
    /// Deployment jobs' scripts and comments, shared with the deploy workflow.
    pub deploys: DeployText,
    /// Which environments can have custom deployment policies.
    pub policies: &'a EnvPolicies,
}

/// The workflow body for a pipeline, and its diagnostics, and what its
/// deployment jobs said, for the deploy workflow ([`crate::dispatch`]).
pub fn render(
    program: &Program,
    pipeline: &Pipeline,
    policies: &EnvPolicies,
) -> (String, Vec<Diagnostic>, DeployText) {
    let inputs = pipeline
        .triggers
        .iter()
        .filter_map(|t| match &t.kind {
            TriggerKind::Dispatch { inputs } => Some(inputs.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let mut cx = Lower {
        program,
        pipeline,
        inputs,
        releases: pipeline.has_trigger(|k| matches!(k, TriggerKind::Tag { .. })),
        dispatch: false,
        diags: Vec::new(),
        deploys: DeployText::default(),
        policies,
    };
    let doc = cx.workflow();
    (yaml::to_string(&Yaml::Map(doc)), cx.diags, cx.deploys)
}

impl Lower<'_> {
    fn workflow(&mut self) -> Map {
        let mut w = Map::new();
        w.insert("name", self.pipeline.name.as_str());
        w.insert("on", self.triggers());
        w.insert_commented(
            "permissions",
            Map::new(),
            "Nothing by default: each job asks for the scopes it needs.",
        );
        // GitHub keeps one running and one pending run per group, and a newer
        // pending run replaces the older: a group per ref would make every
        // push wait behind a deployment waiting for approval, and drop the CI
        // of all but the last of several pushes. Only a pull request's runs
        // share a group, so that a newer commit cancels the older run.
        let prs = self
            .pipeline
            .has_trigger(|k| matches!(k, TriggerKind::PullRequest { .. }));
        let mut concurrency = Map::new();
        if prs {
            concurrency.insert(
                "group",
                "${{ github.workflow }}-${{ github.event_name == 'pull_request' && github.ref || github.run_id }}",
            );
            concurrency.insert(
                "cancel-in-progress",
                "${{ github.event_name == 'pull_request' }}",
            );
        } else {
            concurrency.insert("group", "${{ github.workflow }}-${{ github.run_id }}");
            concurrency.insert("cancel-in-progress", false);
        }
        w.insert_commented(
            "concurrency",
            concurrency,
            if prs {
                "A newer commit of a pull request cancels the run of the older one. Other\nruns never wait for each other: deployments queue per environment instead."
            } else {
                "Runs never wait for each other: deployments queue per environment instead."
            },
        );
        let mut run = Map::new();
        run.insert("shell", "bash");
        w.insert("defaults", yaml::map([("run", Yaml::Map(run))]));
        let env = self.env(&self.pipeline.env);
        if !env.is_empty() {
            w.insert("env", env);
        }
        let mut jobs = Map::new();
        for id in self.pipeline.topo_order() {
            for (key, job, comment) in self.job(id) {
                match comment {
                    Some(c) => jobs.insert_commented(key, job, c),
                    None => jobs.insert(key, job),
                };
            }
        }
        w.insert("jobs", jobs);
        w
    }

    /// The `on:` map.
    fn triggers(&mut self) -> Map {
        let mut push_branches: Option<Vec<String>> = None;
        let mut push_any = false;
        let mut tags: Vec<String> = Vec::new();
        let mut pr_branches: Option<Vec<String>> = None;
        let mut pr_any = false;
        let mut crons: Vec<String> = Vec::new();
        let mut dispatch: Option<Vec<Input>> = None;
        let mut push_paths: Option<(Vec<String>, Span)> = None;
        let mut pr_paths: Option<(Vec<String>, Span)> = None;
        for t in &self.pipeline.triggers {
            match &t.kind {
                TriggerKind::Push { branches } => {
                    let list = push_branches.get_or_insert_with(Vec::new);
                    push_any |= branches.is_empty();
                    list.extend(self.filters(branches, t.span));
                    self.paths(&mut push_paths, t, "push");
                }
                TriggerKind::PullRequest { branches } => {
                    let list = pr_branches.get_or_insert_with(Vec::new);
                    pr_any |= branches.is_empty();
                    list.extend(self.filters(branches, t.span));
                    self.paths(&mut pr_paths, t, "pull_request");
                }
                TriggerKind::Tag { patterns } => tags.extend(self.filters(patterns, t.span)),
                TriggerKind::Schedule { cron } => crons.push(cron.clone()),
                TriggerKind::Dispatch { inputs } => {
                    dispatch.get_or_insert_with(Vec::new).extend(inputs.clone())
                }
            }
        }
        let mut on = Map::new();
        if push_branches.is_some() || !tags.is_empty() {
            let mut push = Map::new();
            let ignore = push_branches
                .as_ref()
                .and_then(|b| self.deploy_tree_ignored(b, push_any));
            if let Some(b) = push_branches {
                push.insert("branches", filter_list(b, push_any));
            }
            // Not read for pushed tags: a release runs whatever changed. GitHub
            // takes `paths` or `paths-ignore`, not both: with a path filter, the
            // environment trees are left out by a `!` pattern.
            let paths = push_paths.map(|(p, _)| p).filter(|p| !p.is_empty());
            match (paths, ignore) {
                (Some(mut p), Some(tree)) => {
                    p.push(format!("!{tree}"));
                    push.insert_commented(
                        "paths",
                        p,
                        "Deployment commits change only the environment trees (`!`): they start no run\n(their message also says [skip ci]). Tag pushes are not filtered by path.",
                    );
                }
                (Some(p), None) => {
                    push.insert("paths", p);
                }
                (None, Some(tree)) => {
                    push.insert_commented(
                        "paths-ignore",
                        vec![tree],
                        "Deployment commits change only the environment trees: they start no run\n(their message also says [skip ci]). Tag pushes are not filtered by path.",
                    );
                }
                (None, None) => {}
            }
            if !tags.is_empty() {
                push.insert("tags", filter_list(tags, false));
            }
            on.insert("push", push);
        }
        if let Some(b) = pr_branches {
            let mut pr = Map::new();
            pr.insert("branches", filter_list(b, pr_any));
            if let Some((p, _)) = pr_paths.filter(|(p, _)| !p.is_empty()) {
                pr.insert("paths", p);
            }
            on.insert("pull_request", pr);
        }
        if !crons.is_empty() {
            crons.dedup();
            on.insert(
                "schedule",
                Yaml::Seq(
                    crons
                        .into_iter()
                        .map(|c| Yaml::Map(yaml::map([("cron", Yaml::from(c))])))
                        .collect(),
                ),
            );
        }
        if let Some(inputs) = dispatch {
            let mut d = Map::new();
            if !inputs.is_empty() {
                let mut m = Map::new();
                for i in &inputs {
                    m.insert(i.name.clone(), self.dispatch_input(i));
                }
                d.insert("inputs", m);
            }
            on.insert("workflow_dispatch", d);
        }
        on
    }

    /// Records the path filter of a push or pull-request trigger; GitHub has
    /// one filter per event, so triggers of one event must agree on it.
    fn paths(&mut self, seen: &mut Option<(Vec<String>, Span)>, t: &Trigger, event: &str) {
        let mine = self.filters(&t.paths, t.span);
        match seen {
            None => *seen = Some((mine, t.span)),
            Some((theirs, first)) if *theirs != mine => self.diags.push(
                Diagnostic::new(
                    code::GITHUB_PATHS,
                    t.span,
                    format!("GitHub Actions has one path filter for `{event}` runs, and this trigger's differs"),
                )
                .label("paths differ from the first trigger's")
                .secondary(*first, "the first trigger")
                .help("give the triggers the same `paths`, or put them in pipelines of their own"),
            ),
            Some(_) => {}
        }
    }

    /// The environment trees, when deployments commit them to a branch of this
    /// repository that starts this workflow on push.
    fn deploy_tree_ignored(&self, push: &[String], any: bool) -> Option<String> {
        let g = self
            .program
            .gitops
            .as_ref()
            .filter(|g| g.same_repository())?;
        let deploys_here = self.pipeline.jobs.iter().any(|j| {
            matches!(&j.kind, pipec_graph::JobKind::Deploy(d)
            if d.method == pipec_graph::DeployMethod::ArgoCd
                && {
                    let branch = g.branch_of(self.program.environment(d.env));
                    any || push.iter().any(|p| Glob(p.replace("\\", "")).matches(branch))
                })
        });
        deploys_here.then(|| format!("{}/**", pipec_emit::layout::environments_root(self.program)))
    }

    fn dispatch_input(&self, i: &Input) -> Map {
        let mut m = Map::new();
        m.insert("description", i.name.replace('_', " "));
        m.insert("required", i.default.is_none());
        let (ty, options) = match &i.kind {
            InputKind::String => ("string", None),
            InputKind::Bool => ("boolean", None),
            InputKind::Number => ("number", None),
            InputKind::Choice(o) | InputKind::Environment(o) => ("choice", Some(o.clone())),
        };
        m.insert("type", ty);
        if let Some(o) = options {
            m.insert("options", o);
        }
        if let Some(d) = &i.default {
            let v = match i.kind {
                InputKind::Bool => Yaml::Bool(d == "true"),
                InputKind::Number => d.parse::<i64>().map_or(Yaml::from(d), Yaml::Int),
                _ => Yaml::from(d),
            };
            m.insert("default", v);
        }
        m
    }

    /// Branch or tag globs as GitHub filter patterns. The wildcards `*` and
    /// `**` mean the same there; `+` and a leading `!` are escaped; `?` (one
    /// character) has no equivalent, since GitHub reads it as "the previous
    /// character is optional".
    fn filters(&mut self, globs: &[Glob], span: Span) -> Vec<String> {
        let mut out = Vec::new();
        for g in globs {
            let p = g.as_str();
            if p.contains('?') {
                self.diags.push(
                    Diagnostic::new(
                        code::GITHUB_PATTERN,
                        span,
                        format!("GitHub Actions cannot filter runs by the pattern `{p}`"),
                    )
                    .label("`?` matches one character here, but \"the previous character, or not\" in a GitHub filter")
                    .help("write the pattern with `*` or `**`, or list the names"),
                );
                continue;
            }
            let mut f = p.replace('+', "\\+");
            if f.starts_with('!') {
                f.insert(0, '\\');
            }
            out.push(f);
        }
        out
    }

    /// An `if:` expression for a condition; reports patterns with no exact
    /// expression at `span`.
    pub fn condition(&mut self, cond: &Cond, span: Span) -> Option<Expr> {
        match expr::condition(cond, &self.inputs) {
            Ok(e) => e,
            Err(why) => {
                self.diags.push(
                    Diagnostic::new(
                        code::GITHUB_PATTERN,
                        span,
                        format!(
                            "GitHub Actions cannot test the pattern `{}` exactly",
                            why.pattern
                        ),
                    )
                    .label(why.reason)
                    .help("GitHub expressions compare names with ==, startsWith and endsWith: use a name, `prefix*` without `/`, `prefix/**` or `**suffix`"),
                );
                Some(Expr::atom("false"))
            }
        }
    }

    /// A text for a field that accepts expressions; reports parts that have
    /// none at `span`.
    pub fn value(&mut self, text: &Text, span: Span) -> String {
        self.value_of(text, span, "a value set outside a script")
    }

    /// [`Self::value`], with `what` naming the field in the message.
    pub fn value_of(&mut self, text: &Text, span: Span, what: &str) -> String {
        match expr::text_value(text) {
            Some(v) => v,
            None => {
                self.diags.push(
                    Diagnostic::new(
                        code::GITHUB_NO_EXPRESSION,
                        span,
                        format!("GitHub Actions cannot compute `ci.short_sha` in {what}"),
                    )
                    .label("this value is set before any step runs")
                    .help("use `ci.sha`, or build the short form inside a `run` script, where `{{ ci.short_sha }}` works"),
                );
                String::new()
            }
        }
    }

    /// An `env:` map: texts as values with expressions, secrets by reference.
    pub fn env(&mut self, vars: &[EnvVar]) -> Map {
        let mut m = Map::new();
        for v in vars {
            let value = match &v.value {
                EnvValue::Text(t) => {
                    self.value_of(t, v.span, &format!("the variable `{}`", v.name))
                }
                EnvValue::Secret(s) => secret(&s.name),
            };
            m.insert(v.name.clone(), value);
        }
        m
    }
}

/// `${{ secrets.NAME }}`.
pub fn secret(name: &str) -> String {
    expr::fenced(&format!("secrets.{name}"))
}

fn filter_list(mut patterns: Vec<String>, any: bool) -> Yaml {
    if any {
        return Yaml::from(vec!["**"]);
    }
    let mut seen = Vec::new();
    patterns.retain(|p| {
        let new = !seen.contains(p);
        seen.push(p.clone());
        new
    });
    Yaml::from(patterns)
}
