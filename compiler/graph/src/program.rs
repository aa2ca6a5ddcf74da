//! The program: pipelines with their job graphs, images, publish rules,
//! environments and services — everything resolved, typed and expanded.

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::Span;
use crate::deploy::{Environment, GitOps, Service};
use crate::job::{EnvVar, Job};
use crate::policy::{Policy, Suppression};
use crate::release::{Image, Publish};
use crate::value::*;

macro_rules! id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}
id!(PipelineId, JobId, ImageId, PublishId, EnvId, ServiceId);

/// A whole `.pipe` program.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Program {
    pub pipelines: Vec<Pipeline>,
    pub images: Vec<Image>,
    pub publishes: Vec<Publish>,
    /// In declaration order; see [`Program::promotion_order`] for the chain.
    pub environments: Vec<Environment>,
    pub services: Vec<Service>,
    pub gitops: Option<GitOps>,
    pub policy: Policy,
    pub suppressions: Vec<Suppression>,
    /// [`Program::deploying_pipelines`], made on first use: every
    /// deployment job's protection comment reads it, and counting for each
    /// of them would make rendering quadratic in the number of pipelines.
    /// Filled only once the program is complete (the targets read it).
    #[serde(skip)]
    deploying_pipelines: std::sync::OnceLock<Vec<u32>>,
    /// [`Program::release_patterns`], made on first use (collecting it for
    /// each deployment job was quadratic).
    #[serde(skip)]
    release_patterns: std::sync::OnceLock<Vec<Glob>>,
    /// [`Program::deployed_to_production`], made on first use (a scan of
    /// every job for each publish rule was quadratic).
    #[serde(skip)]
    in_production: std::sync::OnceLock<Vec<bool>>,
    /// [`Program::image_named`], made on first use (a scan of every image
    /// for each service and each scan step was quadratic).
    #[serde(skip)]
    images_by_name: std::sync::OnceLock<std::collections::HashMap<String, u32>>,
}

impl Program {
    pub fn pipeline(&self, id: PipelineId) -> &Pipeline {
        &self.pipelines[id.index()]
    }
    pub fn image(&self, id: ImageId) -> &Image {
        &self.images[id.index()]
    }
    pub fn publish(&self, id: PublishId) -> &Publish {
        &self.publishes[id.index()]
    }
    pub fn environment(&self, id: EnvId) -> &Environment {
        &self.environments[id.index()]
    }
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    /// The first image declared with this name. Made once, on first use, so
    /// the images must not change afterwards (the checker lowers services
    /// after every pipeline's images).
    pub fn image_named(&self, name: &str) -> Option<&Image> {
        let index = self.images_by_name.get_or_init(|| {
            let mut index = std::collections::HashMap::new();
            for (i, image) in self.images.iter().enumerate() {
                index.entry(image.name.clone()).or_insert(i as u32);
            }
            index
        });
        index.get(name).map(|i| &self.images[*i as usize])
    }

    /// Every pipeline's `on tag` patterns, each once, sorted: what counts as
    /// a release anywhere in the program (`release` in an environment).
    /// Made once, on first use, so the program must not change afterwards.
    pub fn release_patterns(&self) -> &[Glob] {
        self.release_patterns.get_or_init(|| {
            let mut all: Vec<Glob> = self
                .pipelines
                .iter()
                .flat_map(|p| p.release_tags())
                .collect();
            all.sort();
            all.dedup();
            all
        })
    }

    /// Whether a deployment to a production environment ships what publish
    /// rule `p` pushes. Made once, on first use, so the program must not
    /// change afterwards.
    pub fn deployed_to_production(&self, p: PublishId) -> bool {
        let shipped = self.in_production.get_or_init(|| {
            let mut shipped = vec![false; self.publishes.len()];
            for j in self.pipelines.iter().flat_map(|pl| &pl.jobs) {
                if let crate::job::JobKind::Deploy(d) = &j.kind
                    && self
                        .environments
                        .get(d.env.index())
                        .is_some_and(|e| e.tier == crate::deploy::Tier::Production)
                {
                    for (_, pid) in &d.services {
                        if let Some(s) = shipped.get_mut(pid.index()) {
                            *s = true;
                        }
                    }
                }
            }
            shipped
        });
        shipped.get(p.index()).copied().unwrap_or(false)
    }

    /// How many pipelines deploy to environment `env`. Made once, on first
    /// use, so the program must not change afterwards.
    pub fn deploying_pipelines(&self, env: EnvId) -> u32 {
        let counts = self.deploying_pipelines.get_or_init(|| {
            let mut counts = vec![0u32; self.environments.len()];
            for p in &self.pipelines {
                let mut seen = vec![false; self.environments.len()];
                for j in &p.jobs {
                    if let Some(e) = j.environment()
                        && let Some(s) = seen.get_mut(e.index())
                        && !*s
                    {
                        *s = true;
                        counts[e.index()] += 1;
                    }
                }
            }
            counts
        });
        counts.get(env.index()).copied().unwrap_or(0)
    }

    /// Environments ordered so that every environment comes after the one it
    /// promotes from (stable: declaration order otherwise). The checker has
    /// rejected promotion cycles.
    pub fn promotion_order(&self) -> Vec<EnvId> {
        let mut order: Vec<EnvId> = Vec::new();
        let mut placed = vec![false; self.environments.len()];
        while order.len() < self.environments.len() {
            let before = order.len();
            for e in &self.environments {
                let ready = e.promotion.as_ref().is_none_or(|p| placed[p.from.index()]);
                if !placed[e.id.index()] && ready {
                    placed[e.id.index()] = true;
                    order.push(e.id);
                }
            }
            if order.len() == before {
                // A cycle slipped through; keep the rest in declaration order.
                order.extend(
                    self.environments
                        .iter()
                        .map(|e| e.id)
                        .filter(|id| !placed[id.index()]),
                );
            }
        }
        order
    }

    /// Publish rules of an image, in declaration order.
    pub fn publishes_of(&self, image: ImageId) -> impl Iterator<Item = &Publish> {
        self.publishes.iter().filter(move |p| p.image == image)
    }

    /// Services deployed to an environment.
    pub fn services_in(&self, env: EnvId) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .filter(move |s| s.deploy.contains(&env))
    }
}

/// One pipeline: the unit that becomes a GitHub workflow file or the GitLab
/// pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    /// The user file it was declared in, as given on the command line.
    pub file: String,
    pub triggers: Vec<Trigger>,
    /// Variables for every job.
    pub env: Vec<EnvVar>,
    pub jobs: Vec<Job>,
    /// Dependencies: an edge `a → b` means `b` runs after `a`. Node `i` is job `i`.
    #[serde(skip)]
    pub graph: DiGraph<JobId, Edge>,
}

impl Pipeline {
    pub fn job(&self, id: JobId) -> &Job {
        &self.jobs[id.index()]
    }

    pub fn job_named(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// The jobs `id` directly depends on, by name.
    pub fn needs(&self, id: JobId) -> Vec<JobId> {
        let mut v: Vec<JobId> = self
            .graph
            .neighbors_directed(NodeIndex::new(id.index()), petgraph::Direction::Incoming)
            .map(|n| JobId(n.index() as u32))
            .collect();
        v.sort_by(|a, b| self.job(*a).name.cmp(&self.job(*b).name));
        v.dedup();
        v
    }

    /// The jobs that directly depend on `id`.
    pub fn dependents(&self, id: JobId) -> Vec<JobId> {
        let mut v: Vec<JobId> = self
            .graph
            .neighbors_directed(NodeIndex::new(id.index()), petgraph::Direction::Outgoing)
            .map(|n| JobId(n.index() as u32))
            .collect();
        v.sort_by(|a, b| self.job(*a).name.cmp(&self.job(*b).name));
        v.dedup();
        v
    }

    /// The reason for the edge `from → to`, if there is one.
    pub fn edge(&self, from: JobId, to: JobId) -> Option<&Edge> {
        self.graph
            .find_edge(NodeIndex::new(from.index()), NodeIndex::new(to.index()))
            .map(|e| &self.graph[e])
    }

    /// Jobs in an order where every job comes after its dependencies (ties by
    /// declaration order). Assumes no cycle, which the checker guarantees.
    pub fn topo_order(&self) -> Vec<JobId> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;

        let n = self.jobs.len();
        let mut indegree: Vec<usize> = (0..n).map(|i| self.needs(JobId(i as u32)).len()).collect();
        // Jobs whose dependencies are all placed, smallest index first.
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|i| indegree[*i] == 0).map(Reverse).collect();
        let mut done = vec![false; n];
        let mut out = Vec::with_capacity(n);
        while let Some(Reverse(next)) = ready.pop() {
            done[next] = true;
            out.push(JobId(next as u32));
            for d in self.dependents(JobId(next as u32)) {
                indegree[d.index()] -= 1;
                if indegree[d.index()] == 0 {
                    ready.push(Reverse(d.index()));
                }
            }
        }
        out.extend((0..n).filter(|i| !done[*i]).map(|i| JobId(i as u32)));
        out
    }

    pub fn has_trigger(&self, f: impl Fn(&TriggerKind) -> bool) -> bool {
        self.triggers.iter().any(|t| f(&t.kind))
    }

    /// Tag patterns of the pipeline's `on tag` triggers: what counts as a release.
    pub fn release_tags(&self) -> Vec<Glob> {
        self.triggers
            .iter()
            .filter_map(|t| match &t.kind {
                TriggerKind::Tag { patterns } => Some(patterns.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

/// Why one job runs after another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Edge {
    /// Written by the user (`after`).
    After(#[serde(skip)] Span),
    /// The job uses an image that the other job builds.
    Image(ImageId),
    /// A publish waits for its image's build; a deploy waits for the publish.
    Release,
    /// An environment's deployment waits for the one it promotes from.
    Promotion,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub kind: TriggerKind,
    /// For pushes and pull requests: the run starts only when a file
    /// matching one of these changed (any file when empty).
    pub paths: Vec<Glob>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// Pushes to matching branches (any branch when empty).
    Push { branches: Vec<Glob> },
    /// Pull requests targeting matching branches (any when empty).
    PullRequest { branches: Vec<Glob> },
    /// Pushed tags matching any pattern.
    Tag { patterns: Vec<Glob> },
    /// A five-field cron schedule, in UTC.
    Schedule { cron: String },
    /// Started by hand with typed inputs.
    Dispatch { inputs: Vec<Input> },
}

/// A typed manual-dispatch input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    pub name: String,
    pub kind: InputKind,
    /// The default, already rendered as text (`true`, `dev`, `3`).
    pub default: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    String,
    Bool,
    Number,
    Choice(Vec<String>),
    /// One of the program's environments.
    Environment(Vec<String>),
}
