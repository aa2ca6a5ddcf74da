//! ## What it does
//! Compares the image tag a deployment command rolls out (`kubectl set image`,
//! `kustomize edit set image`) with the tags the pipeline pushes for that image
//! in the same run, and reports a tag no job pushes — `main-<full sha>` where
//! the pushes are `main-<short sha>`, `$CI_COMMIT_SHA` where they are
//! `$CI_COMMIT_SHORT_SHA`. It only speaks when every push of the run can be
//! followed; images pushed by other pipelines are not checked.
//!
//! ## Why is this bad
//! The deployment asks the cluster for an image that does not exist: the
//! rollout hangs on `ImagePullBackOff` until it times out, and the pipeline
//! reports a failure only after the old pods had to wait for it — or, with a
//! mutable tag that happens to exist, ships something else than was built.
//!
//! ## Example
//! ```yaml
//! - uses: docker/metadata-action@…
//!   with:
//!     tags: type=sha,prefix={{branch}}-     # main-1a2b3c4
//! …
//! - run: kubectl set image deployment/app app=ghcr.io/acme/app:main-${{ github.sha }}
//! ```
//!
//! ## Use instead
//! ```yaml
//!     tags: type=sha,prefix={{branch}}-,format=long
//! ```
//! or deploy `${{ steps.meta.outputs.version }}` from the job that pushed.

use pipec_diagnostics::Severity;

use crate::facts::tags::{compact, concrete, shown};
use crate::facts::{Pipeline, Run};
use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE110",
    name: "deployed-tag-never-pushed",
    summary: "deployments roll out an image tag the pipeline pushed",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let runs = flow::runs(p);
        let eff = flow::effective(p);
        for (i, j) in p.jobs.iter().enumerate() {
            for d in &j.deployed {
                let Some(template) = &d.template else {
                    continue;
                };
                for r in runs.iter().filter(|r| eff[i].holds(r)) {
                    let Some(want) = concrete(template, r) else {
                        continue;
                    };
                    let Some(pushed) = pushed_in(p, &eff, r, &d.image) else {
                        continue;
                    };
                    if pushed.is_empty() || pushed.iter().any(|(c, _)| *c == want) {
                        continue;
                    }
                    let list: Vec<&str> = pushed.iter().map(|(_, s)| s.as_str()).collect();
                    out.report(
                        d.loc.clone(),
                        format!(
                            "`{}` deploys `{}:{}`, a tag no job pushes in {}",
                            j.name,
                            d.image,
                            shown(template, r),
                            flow::describe(r)
                        ),
                    )
                    .label("never pushed")
                    .note(format!("the pipeline pushes {}", list.join(", ")))
                    .help(
                        "deploy a tag the push produces (the same SHA length, prefix and suffix)",
                    );
                    break;
                }
            }
        }
    }
}

/// Every tag pushed for `image` in run `r`, concrete and as shown; `None`
/// when some push of the run cannot be followed.
fn pushed_in(
    p: &Pipeline,
    eff: &[crate::facts::When],
    r: &Run,
    image: &str,
) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (k, job) in p.jobs.iter().enumerate() {
        if job.pushes.is_empty() || !eff[k].eval(r)? {
            continue;
        }
        for push in &job.pushes {
            if !push.when.eval(r)? {
                continue;
            }
            for t in &push.tags {
                let same = t
                    .image
                    .as_deref()
                    .is_none_or(|i| compact(i).eq_ignore_ascii_case(&compact(image)));
                if !same || !t.when.eval(r)? {
                    continue;
                }
                let tpl = t.template.as_ref()?;
                out.push((concrete(tpl, r)?, shown(tpl, r)));
            }
        }
    }
    Some(out)
}
