//! `pipeline NAME { … }`: triggers, jobs, images and publish rules.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{
    EnvValue, EnvVar, Glob, Image, ImageId, Job, JobId, JobKind, Pipeline, PipelineId, Program,
    Publish, PublishId, Role, RunJob, Text, TriggerKind,
};
use pipec_syntax::ast::{Expr, Stmt, StmtKind};

use super::World;
use super::job::{BodyKind, JobDraft, declared_axes};
use super::template::Returns;
use crate::Checker;
use crate::declare::Decls;
use crate::eval::Scope;
use crate::load::display;
use crate::stmt::{Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

pub(crate) const V: Vocabulary = Vocabulary {
    context: "a pipeline",
    heads: &["on", "paths", "env", "job", "image", "publish"],
};

/// The dependencies of one pipeline found while lowering, resolved into graph
/// edges later.
#[derive(Debug, Default)]
pub(crate) struct PendingEdges {
    /// (job, the job it must run after, where the user said so)
    pub after: Vec<(JobId, JobId, Span)>,
    /// Jobs that run after every other job of their pipeline.
    pub after_all: Vec<JobId>,
    /// (job, image it loads)
    pub loads: Vec<(JobId, ImageId)>,
}

impl Checker<'_> {
    pub(crate) fn pipeline(
        &mut self,
        world: &World,
        decls: &Decls,
        index: usize,
        program: &mut Program,
    ) {
        let d = &decls.pipelines[index];
        let file = d.at.file;
        let stmt = &world.files[file].file.stmts[d.at.index];
        let body = stmt.generic().map(|g| block_stmts(&g.block)).unwrap_or(&[]);
        let pid = PipelineId(program.pipelines.len() as u32);

        let mut triggers = Vec::new();
        for s in body {
            match &s.kind {
                StmtKind::Dispatch(dsp) => {
                    if let Some(t) = self.dispatch(s, dsp, decls) {
                        triggers.push(t);
                    }
                }
                StmtKind::Generic(g) if g.head.name == "on" => {
                    if let Some(t) = self.trigger(s) {
                        triggers.push(t);
                    }
                }
                _ => {}
            }
        }
        self.pipeline_paths(body, &mut triggers);
        let written = body.iter().any(|s| match &s.kind {
            StmtKind::Dispatch(_) => true,
            StmtKind::Generic(g) => g.head.name == "on",
            StmtKind::Template(_) => false,
        });
        // Triggers that are written but wrong were reported themselves.
        if !written && !self.in_damaged(d.span) {
            self.diags.push(
                Diagnostic::new(code::NO_TRIGGERS, d.span, format!("pipeline `{}` never starts", d.name))
                    .label("no `on …` trigger")
                    .help("add a trigger: on push, on pull_request, on tag \"v*\", on schedule \"0 3 * * *\""),
            );
        }
        let inputs: Vec<String> = triggers
            .iter()
            .filter_map(|t| match &t.kind {
                TriggerKind::Dispatch { inputs } => Some(inputs.iter().map(|i| i.name.clone())),
                _ => None,
            })
            .flatten()
            .collect();
        let release: Vec<Glob> = triggers
            .iter()
            .filter_map(|t| match &t.kind {
                TriggerKind::Tag { patterns } => Some(patterns.clone()),
                _ => None,
            })
            .flatten()
            .collect();

        let names = &decls.pipeline_names[index];
        let publish_names = self.publish_names(body);
        let mut refnames: Vec<String> = names.jobs.iter().map(|(n, _)| n.clone()).collect();
        refnames.extend(names.images.iter().map(|(n, _)| n.clone()));
        refnames.extend(publish_names.iter().cloned());
        let pipeline_images: Vec<String> = names.images.iter().map(|(n, _)| n.clone()).collect();
        let envs = decls.environment_names();
        let deploys: Vec<(String, pipec_graph::Cond)> = program
            .environments
            .iter()
            .filter_map(|e| {
                super::deploy_condition(&program.environments, e.id)
                    .map(|c| (e.name.clone(), c.for_tags(&release)))
            })
            .collect();
        let scope = Scope {
            inputs: &inputs,
            release: &release,
            jobs: &refnames,
            images: &pipeline_images,
            environments: &envs,
            deploys: &deploys,
            run_time: true,
            ..Scope::default()
        };

        let mut env = Vec::new();
        let mut drafts: Vec<JobDraft> = Vec::new();
        let mut image_of_job: Vec<(String, ImageId, JobId)> = Vec::new();
        let mut publishes: Vec<Publish> = Vec::new();
        let mut broken: Vec<JobId> = Vec::new();
        let mut deferred: Vec<&Stmt> = Vec::new();
        let mut headless: Option<(&'static str, Span)> = None;
        let mut headless_reported = false;
        for s in body {
            let StmtKind::Generic(g) = &s.kind else {
                continue;
            };
            // `publish app to …` or `job x` without its `{`: the statements of
            // the block follow as if they were the pipeline's.
            let opened = std::mem::take(&mut headless);
            if !V.heads.contains(&g.head.name.as_str())
                && let Some((kind, head)) = opened
                && block_heads(kind).contains(&g.head.name.as_str())
            {
                if !headless_reported {
                    headless_reported = true;
                    self.diags.push(
                        Diagnostic::new(
                            code::UNKNOWN_STATEMENT,
                            g.head.span,
                            format!("`{}` is not allowed in a pipeline", g.head.name),
                        )
                        .label(format!("belongs in the block of the `{kind}` above"))
                        .secondary(head, "is a `{` missing at the end of this line?")
                        .help(format!("end the `{kind}` line with `{{`, and close the block with `}}` after its statements")),
                    );
                }
                self.unparsed.push(s.span);
                headless = opened;
                continue;
            }
            if g.block.is_none() && matches!(g.head.name.as_str(), "job" | "image" | "publish") {
                let kind: &'static str = match g.head.name.as_str() {
                    "job" => "job",
                    "image" => "image",
                    _ => "publish",
                };
                headless = Some((kind, s.signature_span()));
            }
            match g.head.name.as_str() {
                "on" | "paths" => {}
                "env" => {
                    if let Some(e) = self.single(s, "env { NAME: \"value\" }") {
                        env = self.env_vars(e, &scope);
                        env.retain(|v| match &v.value {
                            EnvValue::Text(t) => self.check_url_password(t, v.span, &[]),
                            EnvValue::Secret(_) => true,
                        });
                    }
                }
                "job" => {
                    let id = JobId(drafts.len() as u32);
                    let errors = self.error_count();
                    if let Some(draft) = self.job_decl(world, decls, file, s, id, &scope) {
                        // A job whose body had errors may lack steps because of
                        // them; do not add a second error about that.
                        if self.error_count() > errors {
                            broken.push(id);
                        }
                        drafts.push(draft);
                    }
                }
                "image" => {
                    let iid = ImageId(program.images.len() as u32);
                    let jid = JobId(drafts.len() as u32);
                    if let Some((draft, image)) =
                        self.image_decl(world, decls, file, s, iid, jid, pid, &scope)
                    {
                        image_of_job.push((image.name.clone(), iid, jid));
                        program.images.push(image);
                        drafts.push(draft);
                    }
                }
                "publish" => {
                    // An image declared further down is published once it is
                    // lowered: references may point forward.
                    let image = g.args.first().and_then(Expr::as_ident);
                    let later = image.is_some_and(|i| {
                        !image_of_job.iter().any(|(n, _, _)| n == i)
                            && pipeline_images.iter().any(|n| n == i)
                    });
                    if later {
                        deferred.push(s);
                        continue;
                    }
                    let id = PublishId((program.publishes.len() + publishes.len()) as u32);
                    let jid = JobId(drafts.len() as u32);
                    if let Some((draft, p)) = self.publish_decl(s, id, jid, &image_of_job, &scope) {
                        publishes.push(p);
                        drafts.push(draft);
                    }
                }
                _ => self.unknown_statement(s, &V),
            }
        }
        for s in deferred {
            let id = PublishId((program.publishes.len() + publishes.len()) as u32);
            let jid = JobId(drafts.len() as u32);
            if let Some((draft, p)) = self.publish_decl(s, id, jid, &image_of_job, &scope) {
                publishes.push(p);
                drafts.push(draft);
            }
        }
        for s in body {
            if let StmtKind::Template(_) = s.kind {
                self.unknown_statement(s, &V);
            }
        }

        // Names must be unique across user jobs and generated ones.
        // (Two `job` statements with one name were reported as E0102.)
        let is_user_job = |d: &JobDraft| matches!(d.job.kind, JobKind::Run(_));
        for i in 0..drafts.len() {
            if let Some(first) = drafts[..i]
                .iter()
                .find(|d| d.job.name == drafts[i].job.name)
                && !(is_user_job(first) && is_user_job(&drafts[i]))
            {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_JOB,
                        drafts[i].name_span,
                        format!("two jobs would be named `{}`", drafts[i].job.name),
                    )
                    .label(format!("this is the job `{}`", drafts[i].job.name))
                    .secondary(first.name_span, "so is this one")
                    .help("rename the job, or name the publish rule with `as NAME`"),
                );
            }
        }

        for d in &mut drafts {
            for (name, _) in &d.loads {
                if let Some((_, iid, _)) = image_of_job.iter().find(|(n, _, _)| n == name)
                    && let JobKind::Run(r) = &mut d.job.kind
                    && !r.images.contains(iid)
                {
                    r.images.push(*iid);
                }
            }
            // Loaded in full by one statement: more than its archive.
            let archives: Vec<&String> = d
                .archive_only
                .iter()
                .filter(|n| d.loads.iter().filter(|(l, _)| l == *n).count() == 1)
                .collect();
            for name in archives {
                if let Some((_, iid, _)) = image_of_job.iter().find(|(n, _, _)| n == name)
                    && let JobKind::Run(r) = &mut d.job.kind
                    && !r.archive_only.contains(iid)
                {
                    r.archive_only.push(*iid);
                }
            }
        }
        // Resolve references now that every job has an id.
        let id_of = |name: &str| -> Option<JobId> {
            image_of_job
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, _, j)| *j)
                .or_else(|| drafts.iter().find(|d| d.job.name == name).map(|d| d.job.id))
        };
        let mut pending = PendingEdges::default();
        for d in &drafts {
            for (name, span) in &d.after {
                if let Some(from) = id_of(name) {
                    pending.after.push((d.job.id, from, *span));
                }
            }
            if d.after_all {
                pending.after_all.push(d.job.id);
            }
            for (name, span) in &d.loads {
                match image_of_job.iter().find(|(n, _, _)| n == name) {
                    Some((_, iid, _)) => pending.loads.push((d.job.id, *iid)),
                    // Declared here, but its own statement had errors.
                    None if names.images.iter().any(|(n, _)| n == name) => {}
                    None => self.diags.push(
                        Diagnostic::new(
                            code::UNKNOWN_NAME,
                            *span,
                            format!("image `{name}` is not built in this pipeline"),
                        )
                        .label("built elsewhere")
                        .help("a job can load only images its own pipeline builds"),
                    ),
                }
            }
        }

        for d in &mut drafts {
            // A URL may carry the throw-away password of the job's own service
            // containers, and no other.
            if let JobKind::Run(r) = &mut d.job.kind {
                let hosts: Vec<String> = r.services.iter().map(|s| s.name.clone()).collect();
                let clean = |this: &mut Self, vars: &mut Vec<EnvVar>| {
                    vars.retain(|v| match &v.value {
                        EnvValue::Text(t) => this.check_url_password(t, v.span, &hosts),
                        EnvValue::Secret(_) => true,
                    })
                };
                clean(self, &mut d.job.env);
                for svc in &mut r.services {
                    clean(self, &mut svc.env);
                }
            }
        }
        for d in &drafts {
            // Steps may be in a statement that did not parse.
            let damaged =
                self.in_damaged(d.job.span) || d.job.origin.is_some_and(|o| self.in_damaged(o));
            if let JobKind::Run(r) = &d.job.kind
                && r.steps.is_empty()
                && r.upload.is_none()
                && r.release.is_none()
                && !broken.contains(&d.job.id)
                && !damaged
            {
                self.diags.push(
                    Diagnostic::new(
                        code::MISSING_STATEMENT,
                        d.name_span,
                        format!("job `{}` has no steps", d.job.name),
                    )
                    .label("nothing to run")
                    .help("add a step: step \"Test\" run \"pytest\""),
                );
            }
        }
        let jobs: Vec<Job> = drafts.into_iter().map(|d| d.job).collect();
        program.publishes.extend(publishes);
        self.pending.push(pending);
        program.pipelines.push(Pipeline {
            id: pid,
            name: d.name.clone(),
            span: d.span,
            file: display(&world.files[file].path),
            triggers,
            env,
            jobs,
            graph: Default::default(),
        });
    }

    fn publish_names(&mut self, body: &[Stmt]) -> Vec<String> {
        let mut out = Vec::new();
        for s in body {
            let Some(g) = s.generic().filter(|g| g.head.name == "publish") else {
                continue;
            };
            let explicit = g
                .args
                .windows(2)
                .find(|w| w[0].as_ident() == Some("as"))
                .and_then(|w| w[1].as_ident());
            if let Some(n) = explicit {
                out.push(n.to_string());
            } else if let Some(img) = g.args.first().and_then(Expr::as_ident) {
                out.push(format!("publish_{img}"));
            }
        }
        out
    }

    fn job_decl(
        &mut self,
        world: &World,
        decls: &Decls,
        file: usize,
        s: &Stmt,
        id: JobId,
        scope: &Scope,
    ) -> Option<JobDraft> {
        let g = s.generic()?;
        let (Some(name), 1) = (g.args.first().and_then(Expr::as_ident), g.args.len()) else {
            self.diags.push(crate::stmt::malformed(
                s.signature_span(),
                "job NAME = TEMPLATE(…) [{ … }]` or `job NAME { … }",
            ));
            return None;
        };
        if g.assign.is_none() && g.block.is_none() {
            self.diags.push(crate::stmt::malformed(
                s.signature_span(),
                "job NAME = TEMPLATE(…) [{ … }]` or `job NAME { … }",
            ));
            return None;
        }
        let mut draft = JobDraft::new(
            id,
            name,
            s.span,
            Role::Other,
            JobKind::Run(RunJob::default()),
        );
        draft.name_span = g.args[0].span;
        let mut axes: Vec<String> = Vec::new();
        if let Some(call_expr) = &g.assign {
            let call = self.call(world, decls, file, call_expr, Returns::Job, scope)?;
            self.expand(&call, &mut draft, BodyKind::Job, scope);
            self.universal_args(call.after, call.when, &mut draft, scope);
            axes.extend(call.axes.iter().map(|a| a.name.clone()));
        }
        let block = block_stmts(&g.block);
        axes.extend(declared_axes(block));
        let user_scope = Scope {
            axes: &axes,
            ..scope.clone()
        };
        self.job_body(block, &mut draft, &user_scope, BodyKind::Job);
        self.place_steps(&mut draft);
        self.check_tool_runtimes(&draft);
        self.check_health_waits(&draft);
        super::job::runner_matrix(&mut draft.job);
        Some(draft)
    }

    fn universal_args(
        &mut self,
        after: Option<&Expr>,
        when: Option<&Expr>,
        draft: &mut JobDraft,
        scope: &Scope,
    ) {
        if let Some(a) = after
            && let Some(v) = self.eval(a, &Ty::List(Box::new(Ty::Job)), scope)
        {
            for item in v.into_list() {
                if let Value::Ref(n, span) = item {
                    draft.after.push((n, span));
                }
            }
        }
        if let Some(w) = when
            && let Some(Value::Cond(c)) = self.eval(w, &Ty::Cond, scope)
        {
            draft.job.when = c;
            draft.job.when_span = Some(w.span);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn image_decl(
        &mut self,
        world: &World,
        decls: &Decls,
        file: usize,
        s: &Stmt,
        iid: ImageId,
        jid: JobId,
        pid: PipelineId,
        scope: &Scope,
    ) -> Option<(JobDraft, Image)> {
        let g = s.generic()?;
        let (Some(name), 1) = (g.args.first().and_then(Expr::as_ident), g.args.len()) else {
            self.diags.push(crate::stmt::malformed(
                s.signature_span(),
                "image NAME = TEMPLATE(…) [{ … }]` or `image NAME { … }",
            ));
            return None;
        };
        if g.assign.is_none() && g.block.is_none() {
            self.diags.push(crate::stmt::malformed(
                s.signature_span(),
                "image NAME = docker.build(…)` or `image NAME { dockerfile \"…\" }",
            ));
            return None;
        }
        if !crate::declare::is_resource_name(name) {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    g.args[0].span,
                    format!("`{name}` cannot name an image"),
                )
                .label("invalid name")
                .help("lowercase letters, digits and `_`"),
            );
        }
        let mut draft = JobDraft::new(
            jid,
            &format!("build_{name}"),
            s.span,
            Role::Build,
            JobKind::BuildImage(iid),
        );
        draft.job.title = Text::lit(format!("Build image {name}"));
        draft.name_span = g.args[0].span;
        if let Some(call_expr) = &g.assign {
            let call = self.call(world, decls, file, call_expr, Returns::Image, scope)?;
            self.expand(&call, &mut draft, BodyKind::Image, scope);
            self.universal_args(call.after, call.when, &mut draft, scope);
        }
        self.job_body(block_stmts(&g.block), &mut draft, scope, BodyKind::Image);
        let image = Image {
            id: iid,
            name: name.to_string(),
            span: g.args[0].span,
            pipeline: pid,
            job: jid,
            dockerfile: draft.image.dockerfile.clone(),
            context: draft.image.context.clone(),
            target: draft.image.target.clone(),
            build_args: draft.image.build_args.clone(),
            platforms: draft.image.platforms.clone(),
        };
        Some((draft, image))
    }

    fn publish_decl(
        &mut self,
        s: &Stmt,
        id: PublishId,
        jid: JobId,
        images: &[(String, ImageId, JobId)],
        scope: &Scope,
    ) -> Option<(JobDraft, Publish)> {
        let g = s.generic()?;
        let image_expr = g.args.first()?;
        let Some(image_name) = image_expr.as_ident() else {
            self.diags.push(crate::stmt::malformed(
                s.signature_span(),
                "publish IMAGE to REGISTRY { … }",
            ));
            return None;
        };
        let Some((_, iid, _)) = images.iter().find(|(n, _, _)| n == image_name) else {
            if scope.images.iter().any(|n| n == image_name) {
                // Declared, but its own statement had errors.
                return None;
            }
            let known: Vec<String> = images.iter().map(|(n, _, _)| n.clone()).collect();
            self.eval(
                image_expr,
                &Ty::Image,
                &Scope {
                    images: &known,
                    ..Scope::default()
                },
            );
            return None;
        };
        self.note_reference(
            image_expr.span,
            image_name,
            crate::index::ReferenceKind::Image,
            None,
            None,
        );
        let (registry, name) = self.publish_target(s, scope)?;
        let name_span = name.as_ref().map_or(image_expr.span, |(_, span)| *span);
        let job_name = name.map_or_else(|| format!("publish_{image_name}"), |(n, _)| n);
        let mut draft = JobDraft::new(
            jid,
            &job_name,
            s.span,
            Role::Publish,
            JobKind::PublishImage(id),
        );
        draft.name_span = name_span;
        draft.job.title = Text::lit(format!("Publish {image_name} to {}", registry.image_name()));
        self.job_body(block_stmts(&g.block), &mut draft, scope, BodyKind::Publish);
        let mut tags = None;
        let mut layer_cache = true;
        for st in std::mem::take(&mut draft.publish_stmts) {
            match st.generic().map(|g| g.head.name.as_str()) {
                Some("tags") => {
                    self.tag_spans.insert(id, st.signature_span());
                    tags = self.tags(&st, scope);
                }
                Some("cache") => layer_cache = self.layer_cache(&st).unwrap_or(true),
                _ => {}
            }
        }
        let tags = tags.unwrap_or_else(|| {
            vec![pipec_graph::TagRule {
                kind: pipec_graph::TagKind::Sha,
                when: pipec_graph::Cond::Always,
            }]
        });
        let publish = Publish {
            id,
            image: *iid,
            span: s.span,
            registry,
            when: draft.job.when.clone(),
            tags,
            job: jid,
            layer_cache,
        };
        Some((draft, publish))
    }
}

/// The statements of the block of a `job`, `image` or `publish` statement.
fn block_heads(kind: &str) -> &'static [&'static str] {
    match kind {
        "job" => super::job::JOB_HEADS,
        "image" => super::job::IMAGE_HEADS,
        _ => super::job::PUBLISH_HEADS,
    }
}
