//! `pipec graph`: a picture of the program — jobs, the images they build, the
//! environments they deploy to and the services running there — as Graphviz
//! DOT or a Mermaid flowchart. When jobs declare expected durations, the
//! critical path is drawn in bold red, and each pipeline's title has its
//! estimated CI time and the time from a push until each environment deployed
//! without approval runs it ([`pipec_graph::estimate`]). A service that rolls
//! out progressively in an environment is reached through its rollout's steps
//! ([`rollout`]): a canary's weights and pauses, or blue-green's preview and
//! promotion, with the analysis that aborts it.

mod render;
mod rollout;

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use pipec::ProjectFs;
use pipec_check::check;
use pipec_graph::estimate::estimates;
use pipec_graph::{JobKind, Program};

use crate::output::{Format, Output};

#[derive(Args)]
pub struct GraphArgs {
    /// A .pipe file, or a directory whose .pipe files form one program.
    pub path: PathBuf,
    /// The project directory the program may import from (default: the
    /// program's directory). `use` outside it is refused (E0114).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// The picture's language.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz: `pipec graph . | dot -Tsvg > pipeline.svg`.
    Dot,
    /// A Mermaid flowchart, which GitHub and GitLab render in Markdown.
    Mermaid,
}

pub fn run(args: &GraphArgs, out: &Output) -> u8 {
    let fs = ProjectFs::for_program(&args.path, args.root.as_deref());
    let checked = match fs.and_then(|fs| check(&args.path, &fs)) {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("cannot read {}: {e}", args.path.display()));
            return 2;
        }
    };
    out.diagnostics(&checked.diagnostics, &checked.sources, Format::Human);
    let Some(program) = &checked.program else {
        return 1;
    };
    let picture = picture(program);
    let text = match args.format {
        GraphFormat::Dot => render::dot(&picture),
        GraphFormat::Mermaid => render::mermaid(&picture),
    };
    print!("{text}");
    0
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Job,
    Image,
    Environment,
    Service,
    /// A step of a progressive rollout.
    Step,
    /// The analysis watching a rollout.
    Analysis,
}

pub struct Node {
    /// Unique, letters, digits and `_`.
    pub id: String,
    pub label: String,
    pub kind: NodeKind,
    /// The pipeline it belongs to (index into `Picture::clusters`).
    pub cluster: Option<usize>,
    pub critical: bool,
}

pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<&'static str>,
    pub dashed: bool,
    pub critical: bool,
}

/// The program as nodes and edges, independent of the output language.
pub struct Picture {
    /// Pipeline titles, with the estimated duration when known.
    pub clusters: Vec<String>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn job_id(pipeline: usize, job: &str) -> String {
    format!("p{pipeline}_{job}")
}

pub fn picture(program: &Program) -> Picture {
    let mut pic = Picture {
        clusters: Vec::new(),
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    for (pi, p) in program.pipelines.iter().enumerate() {
        let e = estimates(program, p);
        let critical = e.ci;
        let on_path = |id| critical.as_ref().is_some_and(|c| c.jobs.contains(&id));
        let mut times: Vec<String> = critical
            .iter()
            .map(|c| format!("CI estimated {}", c.total))
            .collect();
        times.extend(
            e.deploys
                .iter()
                .map(|d| format!("push → {} {}", program.environment(d.env).name, d.total)),
        );
        pic.clusters.push(if times.is_empty() {
            format!("pipeline {}", p.name)
        } else {
            format!("pipeline {} ({})", p.name, times.join("; "))
        });
        for j in &p.jobs {
            let mut label = j.name.clone();
            if let Some(d) = j.duration {
                label.push_str(&format!("\n{d}"));
            }
            pic.nodes.push(Node {
                id: job_id(pi, &j.name),
                label,
                kind: NodeKind::Job,
                cluster: Some(pi),
                critical: on_path(j.id),
            });
            for n in p.needs(j.id) {
                let before = p.job(n);
                let consecutive = critical
                    .as_ref()
                    .is_some_and(|c| c.jobs.windows(2).any(|w| w[0] == n && w[1] == j.id));
                pic.edges.push(Edge {
                    from: job_id(pi, &before.name),
                    to: job_id(pi, &j.name),
                    label: None,
                    dashed: false,
                    critical: consecutive,
                });
            }
            match &j.kind {
                JobKind::BuildImage(img) => pic.edges.push(Edge {
                    from: job_id(pi, &j.name),
                    to: format!("image_{}", program.image(*img).name),
                    label: Some("builds"),
                    dashed: true,
                    critical: false,
                }),
                JobKind::Deploy(d) => pic.edges.push(Edge {
                    from: job_id(pi, &j.name),
                    to: format!("env_{}", program.environment(d.env).name),
                    label: Some("deploys"),
                    dashed: true,
                    critical: false,
                }),
                _ => {}
            }
        }
    }
    for img in &program.images {
        pic.nodes.push(Node {
            id: format!("image_{}", img.name),
            label: format!("image {}", img.name),
            kind: NodeKind::Image,
            cluster: None,
            critical: false,
        });
        for publish in program.publishes_of(img.id) {
            pic.edges.push(Edge {
                from: format!("image_{}", img.name),
                to: job_id(
                    img.pipeline.index(),
                    &program.pipeline(img.pipeline).job(publish.job).name,
                ),
                label: Some("pushed by"),
                dashed: true,
                critical: false,
            });
        }
    }
    for env in &program.environments {
        let mut label = format!("environment {}", env.name);
        if env.approvals > 0 {
            label.push_str(&format!("\n{} approval(s)", env.approvals));
        }
        pic.nodes.push(Node {
            id: format!("env_{}", env.name),
            label,
            kind: NodeKind::Environment,
            cluster: None,
            critical: false,
        });
        if let Some(pr) = &env.promotion {
            pic.edges.push(Edge {
                from: format!("env_{}", program.environment(pr.from).name),
                to: format!("env_{}", env.name),
                label: Some("promotes to"),
                dashed: true,
                critical: false,
            });
        }
    }
    for s in &program.services {
        pic.nodes.push(Node {
            id: format!("service_{}", s.name),
            label: format!("service {}", s.name),
            kind: NodeKind::Service,
            cluster: None,
            critical: false,
        });
        for env in &s.deploy {
            if let Some(r) = s.rollout(*env) {
                rollout::steps(&mut pic, s, program.environment(*env), r);
                continue;
            }
            pic.edges.push(Edge {
                from: format!("env_{}", program.environment(*env).name),
                to: format!("service_{}", s.name),
                label: Some("runs"),
                dashed: true,
                critical: false,
            });
        }
    }
    pic
}
