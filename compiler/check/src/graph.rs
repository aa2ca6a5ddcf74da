//! The last pass: deployment jobs, every dependency edge, and the checks that
//! need the whole graph.

use petgraph::graph::{DiGraph, NodeIndex};
use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::analysis::{find_cycle, inputs_sampled_exhaustively, runnable_in, sample_runs};
use pipec_graph::{
    Cond, Deploy, DeployMethod, Edge, EnvId, Glob, Job, JobId, JobKind, PipelineId, Program,
    PublishId, Role, Run, RunOn, Runner, Service, ServiceId, Text,
};

use crate::Checker;
use crate::declare::Decls;
use crate::lower::deploy_condition;

impl Checker<'_> {
    pub(crate) fn build_graph(&mut self, mut program: Program) -> Program {
        let had_errors = self.diags.iter().any(Diagnostic::is_error);
        self.promotion_cycles(&program);
        self.deploy_jobs(&mut program);
        // The jobs pipec writes itself have an expected duration, for the
        // estimates, unless the program gives one.
        for job in program.pipelines.iter_mut().flat_map(|p| &mut p.jobs) {
            if job.duration.is_none() {
                job.duration = pipec_graph::estimate::default_duration(&job.kind);
            }
        }
        let publishes = publishes_by_pipeline(&program);
        for (pi, publishes) in publishes.iter().enumerate() {
            let pid = PipelineId(pi as u32);
            // The representative runs depend on the jobs' conditions and the
            // triggers, not on the edges: computed once for both uses.
            let runs = sample_runs(program.pipeline(pid));
            let graph = self.edges(&program, pid, publishes, &runs);
            program.pipelines[pi].graph = graph;
            let p = &program.pipelines[pi];
            if let Some(cycle) = find_cycle(&p.graph) {
                let names: Vec<&str> = cycle.iter().map(|i| p.jobs[*i].name.as_str()).collect();
                let message = format!(
                    "jobs wait for each other: {} → {}",
                    names.join(" → "),
                    names[0]
                );
                // Point at the `after` references that close the cycle; the
                // first one is the primary label.
                let mut edges = Vec::new();
                for w in cycle
                    .windows(2)
                    .chain(std::iter::once(&[cycle[cycle.len() - 1], cycle[0]][..]))
                {
                    let (a, b) = (w[0], w[1]);
                    if let Some(Edge::After(span)) = p.edge(JobId(a as u32), JobId(b as u32)) {
                        edges.push((
                            *span,
                            format!("`{}` runs after `{}`", p.jobs[b].name, p.jobs[a].name),
                        ));
                    }
                }
                edges.sort_by_key(|(span, _)| *span);
                let first = &p.jobs[cycle[0]];
                let mut d = match edges.first() {
                    Some((span, label)) => {
                        Diagnostic::new(code::DEPENDENCY_CYCLE, *span, message).label(label.clone())
                    }
                    None => Diagnostic::new(code::DEPENDENCY_CYCLE, first.span, message)
                        .label(format!("`{}` is part of the cycle", first.name)),
                };
                for (span, label) in edges.iter().skip(1) {
                    d = d.secondary(*span, label.clone());
                }
                self.diags
                    .push(d.help("remove one of the `after` edges in the cycle"));
                // The rest of the analysis assumes a DAG.
                continue;
            }
            if !had_errors {
                self.never_runs(&program, pid, &runs);
            }
            self.check_releases(program.pipeline(pid), &runs);
        }
        program
    }

    fn promotion_cycles(&mut self, program: &Program) {
        let mut g: DiGraph<(), ()> = DiGraph::new();
        let nodes: Vec<NodeIndex> = program
            .environments
            .iter()
            .map(|_| g.add_node(()))
            .collect();
        for e in &program.environments {
            if let Some(p) = &e.promotion {
                g.add_edge(nodes[p.from.index()], nodes[e.id.index()], ());
            }
        }
        if let Some(cycle) = find_cycle(&g) {
            let envs = &program.environments;
            let names: Vec<&str> = cycle.iter().map(|i| envs[*i].name.as_str()).collect();
            let at = &envs[cycle[0]];
            let span = at.promotion.as_ref().map_or(at.span, |p| p.span);
            let mut d = Diagnostic::new(
                code::PROMOTION_CYCLE,
                span,
                format!(
                    "environments promote in a circle: {} → {}",
                    names.join(" → "),
                    names[0]
                ),
            )
            .label("promotion source");
            for i in &cycle[1..] {
                if let Some(p) = &envs[*i].promotion {
                    d = d.secondary(p.span, format!("`{}` promotes from here", envs[*i].name));
                }
            }
            self.diags.push(d.help("a promotion chain has a start: the first environment deploys on a trigger (`deploy on branch develop`)"));
        }
    }

    /// One deployment job per pipeline and environment its services go to.
    fn deploy_jobs(&mut self, program: &mut Program) {
        let mut reported_services = Vec::new();
        let mut reported_envs = Vec::new();
        let mut reported_gitops = false;
        let order = program.promotion_order();
        // Each service is deployed by the pipeline that builds its image, with
        // the first publish rule of that image.
        let mut services_of: Vec<Vec<ServiceId>> = vec![Vec::new(); program.pipelines.len()];
        for s in &program.services {
            services_of[program.image(s.image).pipeline.index()].push(s.id);
        }
        let mut first_publish: Vec<Option<PublishId>> = vec![None; program.images.len()];
        for p in program.publishes.iter().rev() {
            first_publish[p.image.index()] = Some(p.id);
        }
        for (pi, own) in services_of.iter().enumerate() {
            let tags = program.pipelines[pi].release_tags();
            for &env_id in &order {
                let services: Vec<&Service> = own
                    .iter()
                    .map(|id| program.service(*id))
                    .filter(|s| s.deploy.contains(&env_id))
                    .collect();
                let Some(first) = services.first() else {
                    continue;
                };
                let env = program.environment(env_id);
                let mut pairs = Vec::new();
                for s in &services {
                    match first_publish[s.image.index()].map(|p| program.publish(p)) {
                        Some(p) => {
                            if !p.tags.iter().any(|t| t.kind.is_immutable())
                                && !reported_services.contains(&s.id)
                                && !self.in_damaged(program.image(s.image).span)
                            {
                                reported_services.push(s.id);
                                let at = self.tag_spans.get(&p.id).copied().unwrap_or(p.span);
                                self.diags.push(
                                    Diagnostic::new(
                                        code::NO_IMMUTABLE_TAG,
                                        at,
                                        format!("`{}` is deployed, but every tag it gets can move", program.image(s.image).name),
                                    )
                                    .label("no sha, branch_sha, semver or git_tag tag")
                                    .secondary(s.deploy_span, "deployed here")
                                    .help("add an immutable tag: tags [sha, …]; environments pin the image by it"),
                                );
                            }
                            pairs.push((s.id, p.id));
                        }
                        None => {
                            // The publish rule may be in a statement that did not parse.
                            if !reported_services.contains(&s.id)
                                && !self.in_damaged(program.image(s.image).span)
                            {
                                reported_services.push(s.id);
                                let image = program.image(s.image);
                                self.diags.push(
                                    Diagnostic::new(
                                        code::IMAGE_NOT_PUBLISHED,
                                        s.deploy_span,
                                        format!("service `{}` is deployed, but image `{}` is never published", s.name, image.name),
                                    )
                                    .label("deployed here")
                                    .secondary(image.span, "built here")
                                    .help(format!("add `publish {} to ghcr(\"owner/name\") {{ tags [sha] }}` to the pipeline", image.name)),
                                );
                            }
                        }
                    }
                }
                let method = first.method.clone();
                if let Some(other) = services.iter().find(|s| !s.method.same_as(&method)) {
                    self.diags.push(
                        Diagnostic::new(
                            code::CONFLICTING_STATEMENTS,
                            other.deploy_span,
                            format!("services reach `{}` in different ways", env.name),
                        )
                        .label("deployed differently")
                        .secondary(first.deploy_span, "than this one")
                        .help("deploy every service of an environment the same way: via argocd or via kubectl"),
                    );
                }
                if method == DeployMethod::ArgoCd
                    && program.gitops.is_none()
                    && !reported_gitops
                    && !self.named_in_unparsed("gitops")
                {
                    reported_gitops = true;
                    self.diags.push(
                        Diagnostic::new(
                            code::NO_GITOPS_REPOSITORY,
                            first.deploy_span,
                            "deploying via Argo CD needs a GitOps repository",
                        )
                        .label("via argocd")
                        .help("declare where the manifests live: gitops { repo \"https://github.com/acme/app.git\" }"),
                    );
                }
                if method == DeployMethod::ArgoCd
                    && let Some(gitops) = &program.gitops
                {
                    let release = program.pipelines[pi].release_tags();
                    if let (Some(r), Some(at)) = (&env.revision, env.revision_span)
                        && let Some(what) = not_a_branch(r, &release)
                        && !reported_envs.contains(&env_id)
                    {
                        reported_envs.push(env_id);
                        self.diags.push(
                            Diagnostic::new(
                                code::REVISION_NOT_A_BRANCH,
                                at,
                                if what == "HEAD" {
                                    format!("`{}` follows `HEAD`, but its deployments commit to a branch", env.name)
                                } else {
                                    format!("`{}` follows {what} `{r}`, but its deployments commit to a branch", env.name)
                                },
                            )
                            .label(format!("{what}: nothing is ever committed to it"))
                            .secondary(first.deploy_span, "deployed by a commit here")
                            .help(format!(
                                "remove `revision`: the Application follows `{}` and the commit pins the image digest; or name the branch deployments commit to",
                                gitops.branch
                            )),
                        );
                    }
                    if gitops.argocd.is_none() && !reported_gitops {
                        reported_gitops = true;
                        self.diags.push(
                            Diagnostic::new(
                                code::UNVERIFIED_DEPLOYMENT,
                                first.deploy_span,
                                "deployments via Argo CD end when the commit is pushed: nothing waits until the new version is healthy",
                            )
                            .label("via argocd")
                            .secondary(gitops.span, "no `argocd` access here")
                            .help("give deploy jobs a kubeconfig for the cluster Argo CD runs in: gitops { …, argocd secret(\"ARGOCD_KUBECONFIG\") }"),
                        );
                    }
                }
                let Some(when) = deploy_condition(&program.environments, env_id) else {
                    // A promotion chain that loops was reported as E0302.
                    // Nor when the chain passes an environment with errors of
                    // its own: its trigger may be in the statement that is wrong.
                    let chain_has_errors = promotion_chain(&program.environments, env_id)
                        .iter()
                        .any(|e| self.statement_has_errors(program.environment(*e).span));
                    if !reported_envs.contains(&env_id)
                        && !promotes_in_a_loop(&program.environments, env_id)
                        && !chain_has_errors
                    {
                        reported_envs.push(env_id);
                        self.diags.push(
                            Diagnostic::new(
                                code::NO_DEPLOY_TRIGGER,
                                env.span,
                                format!("nothing says when `{}` is deployed", env.name),
                            )
                            .label("no `deploy on …` and no `promote from …`")
                            .secondary(first.deploy_span, "services are deployed here")
                            .help("add `deploy on branch main`, or `promote from ENV` to follow another environment"),
                        );
                    }
                    continue;
                };
                if pairs.is_empty() {
                    continue;
                }
                // `release` names every pipeline's tags; this pipeline runs
                // for its own only.
                let when = when.for_tags(&tags);
                let env_name = env.name.clone();
                let name = format!("deploy_{env_name}");
                let title = format!("Deploy to {env_name}");
                let (origin, when_span, span) = (env.span, env.trigger_span, first.deploy_span);
                if let Some(clash) = program.pipelines[pi].jobs.iter().find(|j| j.name == name) {
                    let at = self.first_line(clash.span);
                    self.diags.push(
                        Diagnostic::new(
                            code::DUPLICATE_JOB,
                            at,
                            format!(
                                "job `{}` has the name of the deployment to `{env_name}`",
                                clash.name
                            ),
                        )
                        .label(format!("this is the job `{}`", clash.name))
                        .secondary(span, "the deployment comes from here")
                        .help("rename the job"),
                    );
                }
                let pipeline = &mut program.pipelines[pi];
                let id = JobId(pipeline.jobs.len() as u32);
                pipeline.jobs.push(Job {
                    id,
                    name,
                    title: Text::lit(title),
                    title_span: None,
                    span,
                    origin: Some(origin),
                    role: Role::Deploy,
                    kind: JobKind::Deploy(Deploy {
                        env: env_id,
                        services: pairs,
                        method,
                    }),
                    when,
                    when_span,
                    run_on: RunOn::Success,
                    runner: Runner::Ubuntu,
                    runner_span: None,
                    timeout: None,
                    allow_failure: false,
                    matrix: None,
                    env: Vec::new(),
                    duration: None,
                });
            }
        }
    }

    fn edges(
        &mut self,
        program: &Program,
        pid: PipelineId,
        publishes: &[PublishId],
        runs: &[Run],
    ) -> DiGraph<JobId, Edge> {
        let p = program.pipeline(pid);
        let pending = &self.pending[pid.index()];
        let mut g: DiGraph<JobId, Edge> = DiGraph::new();
        for j in &p.jobs {
            g.add_node(j.id);
        }
        let add = |g: &mut DiGraph<JobId, Edge>, from: JobId, to: JobId, e: Edge| {
            let (a, b) = (NodeIndex::new(from.index()), NodeIndex::new(to.index()));
            if g.find_edge(a, b).is_none() {
                g.add_edge(a, b, e);
            }
        };
        for (job, dep, span) in &pending.after {
            add(&mut g, *dep, *job, Edge::After(*span));
        }
        for (job, image) in &pending.loads {
            add(&mut g, program.image(*image).job, *job, Edge::Image(*image));
        }
        for publish in publishes {
            let publish = program.publish(*publish);
            add(
                &mut g,
                program.image(publish.image).job,
                publish.job,
                Edge::Release,
            );
        }
        let deploy_of = |env: EnvId| {
            p.jobs
                .iter()
                .find(|j| j.environment() == Some(env))
                .map(|j| j.id)
        };
        for j in &p.jobs {
            let JobKind::Deploy(d) = &j.kind else {
                continue;
            };
            for (_, publish) in &d.services {
                add(&mut g, program.publish(*publish).job, j.id, Edge::Release);
            }
            let env = program.environment(d.env);
            if let Some(promo) = &env.promotion
                && let Some(src) = deploy_of(promo.from)
            {
                // Promotion within one run only when both can happen in it;
                // otherwise (branch deploys vs. tag releases) it spans runs.
                let src_when = &p.job(src).when;
                if runs.iter().any(|r| src_when.eval(r) && j.when.eval(r)) {
                    add(&mut g, src, j.id, Edge::Promotion);
                }
            }
        }
        for job in &pending.after_all {
            for other in &p.jobs {
                if !pending.after_all.contains(&other.id) {
                    add(&mut g, other.id, *job, Edge::After(p.job(*job).span));
                }
            }
        }
        g
    }

    fn never_runs(&mut self, program: &Program, pid: PipelineId, runs: &[Run]) {
        let p = program.pipeline(pid);
        let runnable = runnable_in(p, runs);
        // Too many input combinations to try them all: say nothing about
        // jobs whose conditions, or their dependencies', compare inputs.
        let mut on_inputs = vec![false; p.jobs.len()];
        if !inputs_sampled_exhaustively(p) {
            for id in p.topo_order() {
                let mut compared = Vec::new();
                p.job(id).when.inputs(&mut compared);
                on_inputs[id.index()] =
                    !compared.is_empty() || p.needs(id).iter().any(|n| on_inputs[n.index()]);
            }
        }
        for (j, ok) in p.jobs.iter().zip(runnable) {
            if ok || j.when == Cond::Never || on_inputs[j.id.index()] {
                continue;
            }
            let own = j.when.holds_in_any(runs);
            let mut d = Diagnostic::new(
                code::NEVER_RUNS,
                j.when_span.unwrap_or(j.span),
                format!("job `{}` can never run", j.name),
            );
            if own {
                let blockers: Vec<&str> = p
                    .needs(j.id)
                    .into_iter()
                    .map(|n| p.job(n).name.as_str())
                    .collect();
                d = d
                    .label("its condition holds, but not in the same runs as its dependencies")
                    .help(format!(
                        "it waits for {}; make their conditions overlap, or drop the dependency",
                        blockers.join(", ")
                    ));
            } else {
                d = d
                    .label("this condition never holds for the pipeline's triggers")
                    .secondary(p.span, "the pipeline's triggers")
                    .help("add a trigger that starts such runs (`on push to …`, `on tag …`), or change the condition");
            }
            self.diags.push(d);
        }
    }

    /// A statement's span cut before its block or its second line: the IR
    /// keeps whole statements, and a diagnostic should not underline a block.
    fn first_line(&self, span: pipec_diagnostics::Span) -> pipec_diagnostics::Span {
        let text = self.sources.slice(span);
        let cut = text.find(['{', '\n']).unwrap_or(text.len());
        let len = text[..cut].trim_end().len();
        pipec_diagnostics::Span::new(span.source, span.start as usize, span.start as usize + len)
    }

    pub(crate) fn warn_unused(&mut self, decls: &Decls) {
        for d in &decls.templates {
            if !self.used_templates.contains(&(None, d.name.clone()))
                && !self.named_in_unparsed(&d.name)
            {
                self.diags.push(
                    Diagnostic::new(
                        code::UNUSED,
                        d.span,
                        format!("template `{}` is never used", d.name),
                    )
                    .label("defined here")
                    .help("remove it, or call it from a pipeline"),
                );
            }
        }
        for (fi, f) in self.files.iter().enumerate() {
            for (alias, (_, span)) in &f.imports.aliases {
                if !self.used_imports.contains(&(fi, alias.clone()))
                    && !self.named_in_unparsed(alias)
                {
                    self.diags.push(
                        Diagnostic::new(
                            code::UNUSED_IMPORT,
                            *span,
                            format!("`{alias}` is imported but never used"),
                        )
                        .label("unused import")
                        .help("remove the `use`"),
                    );
                }
            }
        }
    }
}

/// `id` and the environments it promotes from, nearest first, each once.
fn promotion_chain(envs: &[pipec_graph::Environment], id: EnvId) -> Vec<EnvId> {
    let mut chain = vec![id];
    while let Some(p) = &envs[chain[chain.len() - 1].index()].promotion {
        if chain.contains(&p.from) {
            break;
        }
        chain.push(p.from);
    }
    chain
}

/// Whether following `promote from` from `id` never reaches an environment
/// that does not promote (a cycle, or a chain leading into one).
fn promotes_in_a_loop(envs: &[pipec_graph::Environment], id: EnvId) -> bool {
    let mut cur = id;
    for _ in 0..=envs.len() {
        match &envs[cur.index()].promotion {
            Some(p) => cur = p.from,
            None => return false,
        }
    }
    true
}

/// The publish rules of each pipeline (of the images it builds), by pipeline.
fn publishes_by_pipeline(program: &Program) -> Vec<Vec<PublishId>> {
    let mut out = vec![Vec::new(); program.pipelines.len()];
    for p in &program.publishes {
        out[program.image(p.image).pipeline.index()].push(p.id);
    }
    out
}

/// What a revision names when it is not a branch a deployment could commit
/// to: `HEAD`, a commit, or a tag (a release tag of the pipeline, or a
/// version number).
fn not_a_branch(revision: &str, release: &[Glob]) -> Option<&'static str> {
    let r = revision.strip_prefix("refs/heads/").unwrap_or(revision);
    if r.eq_ignore_ascii_case("HEAD") {
        return Some("HEAD");
    }
    if (7..=40).contains(&r.len()) && r.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some("the commit");
    }
    let version = r.strip_prefix('v').unwrap_or(r);
    let looks_like_version = version.split('.').count() >= 2
        && version
            .split(['.', '-', '+'])
            .next()
            .is_some_and(|major| !major.is_empty() && major.chars().all(|c| c.is_ascii_digit()));
    if r.starts_with("refs/tags/") || looks_like_version || release.iter().any(|g| g.matches(r)) {
        return Some("the tag");
    }
    None
}
