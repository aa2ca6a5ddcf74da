//! The targets `pipec build` knows, in the order they run.

use pipec_emit::Target;

pub fn all() -> Vec<Box<dyn Target>> {
    vec![
        Box::new(pipec_target_github::GitHub),
        Box::new(pipec_target_gitlab::GitLab),
        Box::new(pipec_target_kubernetes::Kustomize),
        Box::new(pipec_target_argocd::ArgoCd),
        Box::new(pipec_target_precommit::PreCommit),
    ]
}
