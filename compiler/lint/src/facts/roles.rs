//! Roles a generated CI file declares for its jobs. pipec writes
//! `# pipec: role ROLE` (`pipec_emit::layout::ROLE_MARK`) above each job the
//! program gives a role; in a file whose header and hash are intact, the job
//! has that role as the program's job has it (the same scan, the same
//! tests), so the program and its YAML reach the same verdict.

use pipec_emit::layout::ROLE_MARK;
use pipec_graph::Role;

use super::Pipeline;

/// Gives the jobs of `pipelines` (those of one generated file, `text`) the
/// roles its comments declare.
pub fn apply(text: &str, pipelines: &mut [Pipeline]) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line
            .trim_start()
            .strip_prefix("# ")
            .and_then(|c| c.strip_prefix(ROLE_MARK))
        else {
            continue;
        };
        let Some(role) = Role::ALL
            .iter()
            .find(|(n, _)| *n == name.trim())
            .map(|x| x.1)
        else {
            continue;
        };
        // The job is the entry on the next line that is not a comment.
        let Some(key) = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .and_then(|l| l.strip_suffix(':'))
        else {
            continue;
        };
        for job in pipelines.iter_mut().flat_map(|p| p.jobs.iter_mut()) {
            if job.name == key {
                let loc = job.loc.clone();
                job.declare_role(role, &loc);
            }
        }
    }
}
