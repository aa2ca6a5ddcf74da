//! The Kustomize target (`kustomize`): for each service, a base with every
//! Kubernetes object it needs and one overlay per environment it is deployed
//! to.
//!
//! - [`plan`], what each environment gets (pod count or autoscaler bounds,
//!   resources, configuration, ingress host, disruption budget), and every
//!   diagnostic of the target;
//! - [`base`], `deploy/<service>/base/`, with [`monitor`], what Prometheus
//!   scrapes and alerts on;
//! - [`workload`], the pods — the Deployment and the hook Jobs — and [`pod`],
//!   what they share: selector labels, pull secrets, volumes; [`cron`], the
//!   CronJob of a `cronjob`;
//! - [`overlay`], `deploy/<service>/overlays/<env>/`, and in it [`rollout`],
//!   the Argo Rollouts objects of an environment that rolls out by canary or
//!   blue-green;
//! - [`helm`], `deploy/<service>/values/<env>.yaml` in their place for a
//!   service deployed from a Helm chart.
//!
//! Paths and Kubernetes names come from [`pipec_emit::layout`], which the CI
//! targets (that edit the overlays' image tags) and the Argo CD target (whose
//! Applications point at the overlays) read too.

pub mod base;
pub mod cron;
pub mod helm;
pub mod monitor;
pub mod overlay;
pub mod plan;
pub mod pod;
pub mod rollout;
pub mod workload;

use pipec_diagnostics::Diagnostic;
use pipec_emit::yaml::{self, Map, Yaml, map};
use pipec_emit::{OutputTree, Target, layout};
use pipec_graph::Program;

use crate::plan::ServicePlan;

pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The Kustomize target.
pub struct Kustomize;

impl Target for Kustomize {
    fn name(&self) -> &'static str {
        "kustomize"
    }

    fn emit(&self, program: &Program, out: &mut OutputTree) -> Result<(), Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let mut plans = Vec::new();
        for service in &program.services {
            match plan::plan(program, service) {
                Ok(p) => plans.push(p),
                Err(d) => diags.extend(d),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        for p in &plans {
            if let Some(h) = &p.service.helm {
                for e in &p.envs {
                    let path = layout::values_file(program, p.service, e.env);
                    add(out, path, &e.env.file, &helm::values(p, e, h));
                }
                continue;
            }
            let base_dir = layout::base_dir(program, p.service);
            for (file, doc) in base::files(p) {
                add(out, format!("{base_dir}/{file}"), &p.service.file, &doc);
            }
            for e in &p.envs {
                let dir = layout::overlay_dir(program, p.service, e.env);
                for (file, doc) in overlay::files(p, e) {
                    add(out, format!("{dir}/{file}"), &e.env.file, &doc);
                }
            }
        }
        Ok(())
    }
}

fn add(out: &mut OutputTree, path: String, source: &str, doc: &Yaml) {
    // Paths are distinct by construction: service and environment names are
    // unique identifiers, and `layout` maps them one to one.
    if let Err(clash) = out.add("kustomize", path, source, yaml::to_string(doc)) {
        unreachable!("kustomize wrote {} twice", clash.path);
    }
}

/// An empty `Kustomization`.
pub fn kustomization() -> Map {
    map([
        ("apiVersion", Yaml::from("kustomize.config.k8s.io/v1beta1")),
        ("kind", Yaml::from("Kustomization")),
    ])
}

/// `apiVersion`, `kind` and `metadata` (name and sync wave) of an object named
/// after the service.
pub fn object(api: &str, kind: &str, plan: &ServicePlan, wave: i32) -> Map {
    let mut meta = map([("name", Yaml::from(plan.name.as_str()))]);
    if let Some(a) = argo_annotations(plan, wave) {
        meta.insert("annotations", a);
    }
    map([
        ("apiVersion", Yaml::from(api)),
        ("kind", Yaml::from(kind)),
        ("metadata", Yaml::Map(meta)),
    ])
}

/// The Argo CD sync wave of an object, for services Argo CD deploys: identity
/// and configuration (-1) before the workload (0, the default, not written),
/// and what points at the workload (1) after it.
pub fn argo_annotations(plan: &ServicePlan, wave: i32) -> Option<Yaml> {
    (plan.argocd && wave != 0).then(|| map([(SYNC_WAVE, Yaml::from(wave.to_string()))]).into())
}

/// The annotations of an Argo CD hook: its phase, deleted before the next
/// run of the hook is created, and its wave within the phase.
pub fn hook_annotations(phase: &str, wave: Option<i32>) -> Yaml {
    let mut m = map([
        ("argocd.argoproj.io/hook", Yaml::from(phase)),
        (
            "argocd.argoproj.io/hook-delete-policy",
            Yaml::from("BeforeHookCreation"),
        ),
    ]);
    if let Some(w) = wave {
        m.insert(SYNC_WAVE, w.to_string());
    }
    m.into()
}

/// `configMapGenerator` literals: `KEY=value`.
pub fn literals(values: &[(String, String)]) -> Yaml {
    Yaml::Seq(
        values
            .iter()
            .map(|(k, v)| Yaml::from(format!("{k}={}", literal_value(v))))
            .collect(),
    )
}

/// Kustomize removes one pair of matching quotes around a literal's value, so
/// a value that is itself quoted gets a second pair, of the other kind.
fn literal_value(v: &str) -> String {
    let quoted = v.len() >= 2
        && matches!(v.as_bytes()[0], b'"' | b'\'')
        && v.as_bytes()[0] == v.as_bytes()[v.len() - 1];
    match (quoted, v.as_bytes().first()) {
        (true, Some(b'"')) => format!("'{v}'"),
        (true, _) => format!("\"{v}\""),
        (false, _) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::literal_value;

    #[test]
    fn quoted_values_survive_kustomize() {
        assert_eq!(literal_value("INFO"), "INFO");
        assert_eq!(literal_value("\"x\""), "'\"x\"'");
        assert_eq!(literal_value("'x'"), "\"'x'\"");
        assert_eq!(literal_value("\""), "\"");
        assert_eq!(literal_value("\"a'"), "\"a'");
    }
}
