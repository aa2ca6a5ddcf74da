//! `stages:` from the job graph, each named by what it holds.
//!
//! A job's kind of work (its role, or the environment it deploys to) names
//! its stage: `lint`, `test`, `integration`, `quality`, `other`, `build`,
//! `security`, `publish`, `deploy-<env>` (in promotion order), `notify`. The
//! stages are built in graph order: a job joins the first stage of its kind
//! that is not before any of its dependencies' stages (GitLab lets a job need
//! jobs of its own stage or earlier ones); when there is none, a new stage of
//! its kind is inserted after its dependencies, at the place its kind
//! usually takes. A kind that has to appear twice gets a numbered name
//! (`test-2`). A job that waits for more jobs than `needs:` may list always
//! gets a stage after theirs. Stages only group jobs for the reader: `needs:`
//! decides when each job starts.

use pipec_graph::{Job, JobKind, Pipeline, Program, Role};

/// The stages in order, and the stage of each job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stages {
    pub names: Vec<String>,
    /// Index into `names`, by job index.
    pub of_job: Vec<usize>,
}

impl Stages {
    pub fn name_of(&self, job: usize) -> &str {
        &self.names[self.of_job[job]]
    }
}

/// The kind of stage a job belongs in, and where that kind usually goes.
fn kind(program: &Program, job: &Job) -> (String, usize) {
    if let JobKind::Deploy(d) = &job.kind {
        let env = program.environment(d.env);
        let position = program
            .promotion_order()
            .iter()
            .position(|e| *e == d.env)
            .unwrap_or(0);
        return (
            format!("deploy-{}", pipec_emit::layout::env_name(env)),
            100 + position,
        );
    }
    let (name, rank) = match job.role {
        Role::Lint | Role::Format => ("lint", 0),
        Role::Test => ("test", 1),
        Role::Integration => ("integration", 2),
        Role::Quality => ("quality", 3),
        Role::Other => ("other", 4),
        Role::Build => ("build", 5),
        Role::ImageScan | Role::DependencyAudit | Role::Sast | Role::SecretScan => ("security", 6),
        Role::Publish => ("publish", 7),
        Role::Deploy => ("deploy", 99),
        Role::Notify => ("notify", 1000),
    };
    (name.to_string(), rank)
}

pub fn assign(program: &Program, pipeline: &Pipeline) -> Stages {
    // Each stage: (kind, rank); names are given at the end.
    let mut stages: Vec<(String, usize)> = Vec::new();
    // Stage of each job, as an identity that survives insertions.
    let mut stage_ids: Vec<usize> = Vec::new();
    let mut of_job: Vec<Option<usize>> = vec![None; pipeline.jobs.len()];
    let position = |ids: &[usize], id: usize| ids.iter().position(|s| *s == id);

    for id in pipeline.topo_order() {
        let job = pipeline.job(id);
        let (kind, rank) = kind(program, job);
        let needs = pipeline.needs(id);
        let earliest = needs
            .iter()
            .filter_map(|n| of_job[n.index()])
            .filter_map(|s| position(&stage_ids, s))
            .max();
        // A job that waits for more jobs than `needs:` may list goes after
        // all of them: when they are every job of the earlier stages (as with
        // `after all`), it is written without `needs:`.
        let from = match earliest {
            Some(e) if needs.len() > crate::job::MAX_NEEDS => e + 1,
            e => e.unwrap_or(0),
        };
        let existing = (from..stages.len()).find(|i| stages[*i].0 == kind);
        let at = match existing {
            Some(i) => i,
            None => {
                let after = earliest.map_or(0, |e| e + 1);
                let i = (after..stages.len())
                    .find(|i| stages[*i].1 > rank)
                    .unwrap_or(stages.len());
                stages.insert(i, (kind, rank));
                stage_ids.insert(i, stage_ids.len());
                i
            }
        };
        of_job[id.index()] = Some(stage_ids[at]);
    }

    let mut names: Vec<String> = Vec::new();
    for (kind, _) in &stages {
        let mut name = kind.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{kind}-{n}");
            n += 1;
        }
        names.push(name);
    }
    let of_job = of_job
        .into_iter()
        .map(|s| s.and_then(|s| position(&stage_ids, s)).unwrap_or(0))
        .collect();
    Stages { names, of_job }
}
