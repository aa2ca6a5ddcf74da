//! Questions answered on the graph: cycles, and which runs a job can happen
//! in. How long a run takes is [`crate::estimate`].

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::cond::{Cond, Event, Run};
use crate::job::RunOn;
use crate::program::{JobId, Pipeline, TriggerKind};
use crate::value::Duration;

/// A cycle in a dependency graph, as the list of nodes in order (the first node
/// depends on the last). Deterministic: starts from the smallest node.
pub fn find_cycle<N, E>(graph: &DiGraph<N, E>) -> Option<Vec<usize>> {
    let mut sccs: Vec<Vec<NodeIndex>> = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .collect();
    for scc in &mut sccs {
        scc.sort();
    }
    sccs.sort();
    let scc = sccs.into_iter().next()?;
    // Walk inside the component from its smallest node until we come back.
    let start = scc[0];
    let mut path = vec![start];
    let mut seen = vec![start];
    let mut cur = start;
    loop {
        let mut next: Vec<NodeIndex> = graph.neighbors(cur).filter(|n| scc.contains(n)).collect();
        next.sort();
        if next.contains(&start) {
            break;
        }
        let n = *next.iter().find(|n| !seen.contains(n)).or(next.first())?;
        if seen.contains(&n) {
            // Entered a smaller loop; report from there.
            let at = path.iter().position(|p| *p == n)?;
            path.drain(..at);
            break;
        }
        seen.push(n);
        path.push(n);
        cur = n;
    }
    Some(path.into_iter().map(|n| n.index()).collect())
}

/// Most combinations of dispatch input values [`sample_runs`] tries per
/// branch; past it, only one input differs from its default at a time.
pub const MAX_INPUT_COMBINATIONS: usize = 256;

/// Representative runs of a pipeline: one per trigger and per branch or tag name
/// the pipeline's triggers and conditions mention, plus one for a name none of
/// them mention; for manual dispatches, every combination of the input values
/// the conditions compare with (a value no condition mentions behaves like
/// none). Conditions are evaluated on these to find jobs that can never run.
pub fn sample_runs(p: &Pipeline) -> Vec<Run> {
    let mut globs = Vec::new();
    let mut inputs = Vec::new();
    for j in &p.jobs {
        j.when.globs(&mut globs);
        j.when.inputs(&mut inputs);
    }
    let combinations = input_combinations(&inputs);
    let mut branch_names: Vec<String> = globs
        .iter()
        .filter(|(tag, _)| !tag)
        .map(|(_, g)| g.example())
        .collect();
    let mut tag_names: Vec<String> = globs
        .iter()
        .filter(|(tag, _)| *tag)
        .map(|(_, g)| g.example())
        .collect();
    for t in &p.triggers {
        match &t.kind {
            TriggerKind::Push { branches } | TriggerKind::PullRequest { branches } => {
                branch_names.extend(branches.iter().map(|g| g.example()))
            }
            TriggerKind::Tag { patterns } => tag_names.extend(patterns.iter().map(|g| g.example())),
            _ => {}
        }
    }
    branch_names.push("pipec-other-branch".into());
    tag_names.push("pipec-other-tag".into());
    branch_names.sort();
    branch_names.dedup();
    tag_names.sort();
    tag_names.dedup();

    let mut runs = Vec::new();
    let run = |event, branch: Option<&String>, tag: Option<&String>| Run {
        event,
        branch: branch.cloned(),
        tag: tag.cloned(),
        inputs: Vec::new(),
    };
    for t in &p.triggers {
        match &t.kind {
            TriggerKind::Push { branches } => runs.extend(
                branch_names
                    .iter()
                    .filter(|b| branches.is_empty() || branches.iter().any(|g| g.matches(b)))
                    .map(|b| run(Event::Push, Some(b), None)),
            ),
            TriggerKind::PullRequest { branches } => runs.extend(
                branch_names
                    .iter()
                    .filter(|b| branches.is_empty() || branches.iter().any(|g| g.matches(b)))
                    .map(|b| run(Event::PullRequest, Some(b), None)),
            ),
            TriggerKind::Tag { patterns } => runs.extend(
                tag_names
                    .iter()
                    .filter(|t| patterns.iter().any(|g| g.matches(t)))
                    .map(|t| run(Event::Tag, None, Some(t))),
            ),
            TriggerKind::Schedule { .. } => runs.extend(
                branch_names
                    .iter()
                    .map(|b| run(Event::Schedule, Some(b), None)),
            ),
            TriggerKind::Dispatch { inputs: declared } => {
                for b in &branch_names {
                    let mut r = run(Event::Dispatch, Some(b), None);
                    r.inputs = declared
                        .iter()
                        .filter_map(|i| i.default.clone().map(|d| (i.name.clone(), d)))
                        .collect();
                    runs.push(r.clone());
                    let chosen = match &combinations {
                        Some(all) => all.clone(),
                        None => inputs
                            .iter()
                            .map(|i| vec![(i.0.clone(), Some(i.1.clone()))])
                            .collect(),
                    };
                    for combination in chosen {
                        let mut v = r.clone();
                        for (name, value) in combination {
                            v.inputs.retain(|(n, _)| *n != name);
                            v.inputs.extend(value.map(|value| (name, value)));
                        }
                        runs.push(v);
                    }
                }
            }
        }
    }
    runs.dedup();
    runs
}

/// Values of dispatch inputs, by name (`None`: a value no condition names).
type Assignment = Vec<(String, Option<String>)>;

/// Every assignment of the compared input values (or of no value) to the
/// inputs the conditions compare, or `None` when there are more than
/// [`MAX_INPUT_COMBINATIONS`].
fn input_combinations(compared: &[(String, String)]) -> Option<Vec<Assignment>> {
    let mut values: Vec<(String, Vec<Option<String>>)> = Vec::new();
    for (name, value) in compared {
        let at = match values.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                values.push((name.clone(), vec![None]));
                values.len() - 1
            }
        };
        let v = Some(value.clone());
        if !values[at].1.contains(&v) {
            values[at].1.push(v);
        }
    }
    let count = values
        .iter()
        .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()))?;
    if count > MAX_INPUT_COMBINATIONS {
        return None;
    }
    let mut out: Vec<Assignment> = vec![Vec::new()];
    for (name, options) in &values {
        out = out
            .iter()
            .flat_map(|partial| {
                options.iter().map(move |v| {
                    let mut next = partial.clone();
                    next.push((name.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    Some(out)
}

/// Whether [`sample_runs`] tried every combination of the dispatch inputs
/// the conditions compare: when not, a job that depends on inputs may run in
/// a run the samples miss.
pub fn inputs_sampled_exhaustively(p: &Pipeline) -> bool {
    let mut inputs = Vec::new();
    for j in &p.jobs {
        j.when.inputs(&mut inputs);
    }
    input_combinations(&inputs).is_some()
}

/// For each job, whether some run of the pipeline executes it: its condition
/// holds and its dependencies run in that same run (for `RunOn::Success`; for
/// failure and always hooks, any dependency running is enough).
pub fn runnable_jobs(p: &Pipeline) -> Vec<bool> {
    runnable_in(p, &sample_runs(p))
}

/// [`runnable_jobs`] on runs the caller already has from [`sample_runs`].
pub fn runnable_in(p: &Pipeline, runs: &[Run]) -> Vec<bool> {
    job_runs(p, runs)
        .iter()
        .map(|v| v.iter().any(|b| *b))
        .collect()
}

/// For each job, in which of `runs` it runs: its condition holds and the
/// jobs it waits for ran (or, for `run_if failure|always`, one of them).
pub fn job_runs(p: &Pipeline, runs: &[Run]) -> Vec<Vec<bool>> {
    let order = p.topo_order();
    let mut in_run = vec![vec![false; runs.len()]; p.jobs.len()];
    for id in order {
        let job = p.job(id);
        let needs = p.needs(id);
        for (r, run) in runs.iter().enumerate() {
            let deps_ok = match job.run_on {
                RunOn::Success => needs.iter().all(|d| in_run[d.index()][r]),
                RunOn::Failure | RunOn::Always => {
                    needs.is_empty() || needs.iter().any(|d| in_run[d.index()][r])
                }
            };
            in_run[id.index()][r] = deps_ok && job.when.eval(run);
        }
    }
    in_run
}

/// Whether a condition holds in some run of the pipeline.
pub fn can_hold(p: &Pipeline, cond: &Cond) -> bool {
    cond.holds_in_any(&sample_runs(p))
}

/// The longest chain of jobs by expected duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalPath {
    pub total: Duration,
    pub jobs: Vec<JobId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cycle_in_order() {
        let mut g: DiGraph<(), ()> = DiGraph::new();
        let n: Vec<_> = (0..4).map(|_| g.add_node(())).collect();
        g.add_edge(n[0], n[1], ());
        g.add_edge(n[1], n[2], ());
        g.add_edge(n[2], n[3], ());
        g.add_edge(n[3], n[1], ());
        assert_eq!(find_cycle(&g), Some(vec![1, 2, 3]));
        let mut g: DiGraph<(), ()> = DiGraph::new();
        let a = g.add_node(());
        g.add_edge(a, a, ());
        assert_eq!(find_cycle(&g), Some(vec![0]));
    }
}
