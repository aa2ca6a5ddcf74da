//! The Argo CD target (`argocd`): for each service deployed `via argocd`, an
//! AppProject that allows only its GitOps repository and its environments'
//! namespaces, and one Application per environment that syncs the
//! environment's Kustomize overlay.
//!
//! - [`project`], `deploy/argocd/<service>.appproject.yaml`;
//! - [`application`], `deploy/argocd/<service>-<env>.yaml`;
//! - [`notifications`], `deploy/argocd/argocd-notifications-cm.yaml`, the
//!   notifications controller's services, triggers and templates, when an
//!   environment subscribes to notifications;
//! - `deploy/argocd/kustomization.yaml` lists them all, so that
//!   `kubectl apply -k deploy/argocd` (or one parent Application) installs them.
//!
//! The overlays themselves come from the Kustomize target; both take their
//! paths and names from [`pipec_emit::layout`].

pub mod application;
pub mod notifications;
pub mod project;

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::yaml::{self, Map, Yaml, map};
use pipec_emit::{OutputTree, Target, layout};
use pipec_graph::{DeployMethod, Program, Service};

/// The namespace Argo CD runs in, where its Applications and AppProjects live.
pub use pipec_emit::layout::ARGOCD_NAMESPACE;

/// The cluster Argo CD runs in, as Argo CD names it.
pub const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// Namespaces that hold the cluster's own workloads or Argo CD itself.
const RESERVED_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    ARGOCD_NAMESPACE,
];

/// The Argo CD target.
pub struct ArgoCd;

impl Target for ArgoCd {
    fn name(&self) -> &'static str {
        "argocd"
    }

    fn emit(&self, program: &Program, out: &mut OutputTree) -> Result<(), Vec<Diagnostic>> {
        let services: Vec<&Service> = program
            .services
            .iter()
            .filter(|s| s.method == DeployMethod::ArgoCd && !s.deploy.is_empty())
            .collect();
        // Without a GitOps repository the checker has already rejected every
        // Argo CD deployment (E0306).
        let Some(gitops) = program.gitops.as_ref().filter(|_| !services.is_empty()) else {
            return Ok(());
        };
        check(program, &services)?;
        let dir = layout::argocd_dir(program);
        let mut files: Vec<(String, String, Yaml)> = Vec::new();
        for s in &services {
            files.push((
                format!("{}.appproject.yaml", layout::k8s_name(s)),
                s.file.clone(),
                project::project(program, gitops, s),
            ));
            for id in &s.deploy {
                let env = program.environment(*id);
                files.push((
                    format!("{}.yaml", application::name(s, env)),
                    env.file.clone(),
                    application::application(program, gitops, s, env),
                ));
            }
        }
        if let Some(cm) = notifications::config_map(program, gitops, &services) {
            let source = services
                .iter()
                .flat_map(|s| &s.deploy)
                .map(|id| program.environment(*id))
                .find(|e| !e.notifications.is_empty())
                .map_or_else(|| services[0].file.clone(), |e| e.file.clone());
            files.push((format!("{}.yaml", notifications::CONFIG_MAP), source, cm));
        }
        let mut k = map([
            ("apiVersion", Yaml::from("kustomize.config.k8s.io/v1beta1")),
            ("kind", Yaml::from("Kustomization")),
        ]);
        let mut names: Vec<&str> = files.iter().map(|(f, _, _)| f.as_str()).collect();
        names.sort_unstable();
        k.insert("resources", names);
        // The index names the file of the first service it lists as its source.
        files.push((
            "kustomization.yaml".into(),
            services[0].file.clone(),
            k.into(),
        ));
        for (file, source, doc) in files {
            // Names are distinct: `check` rejected clashing Application names,
            // none is the notifications ConfigMap's, and project files carry a
            // `.` no Kubernetes name part contains.
            if let Err(clash) = out.add(
                "argocd",
                format!("{dir}/{file}"),
                source,
                yaml::to_string(&doc),
            ) {
                unreachable!("argocd wrote {} twice", clash.path);
            }
        }
        Ok(())
    }
}

/// Destinations Argo CD must not be given, and Application names that clash.
fn check(program: &Program, services: &[&Service]) -> Result<(), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    // By name: a list searched for each Application was quadratic.
    let mut names: std::collections::HashMap<String, (&Service, &pipec_graph::Environment)> =
        std::collections::HashMap::new();
    for s in services {
        for id in &s.deploy {
            let env = program.environment(*id);
            if RESERVED_NAMESPACES.contains(&env.namespace.as_str())
                || env.namespace.starts_with("kube-")
            {
                diags.push(
                    Diagnostic::new(
                        code::RESERVED_NAMESPACE,
                        env.span,
                        format!(
                            "`{}` deploys `{}` with Argo CD into namespace `{}`",
                            env.name, s.name, env.namespace
                        ),
                    )
                    .label("a namespace of the cluster itself")
                    .secondary(s.deploy_span, "deployed here via argocd")
                    .help(format!(
                        "give the environment a namespace of its own: namespace \"{}-{}\"",
                        layout::k8s_name(s),
                        layout::env_name(env)
                    )),
                );
            }
            let name = application::name(s, env);
            if name == notifications::CONFIG_MAP {
                diags.push(
                    Diagnostic::new(
                        code::APPLICATION_NAME_CLASH,
                        s.deploy_span,
                        format!("an Argo CD Application would be named `{name}`"),
                    )
                    .label(format!("`{}` in `{}`", s.name, env.name))
                    .help("rename the service or the environment: Argo CD's notifications configuration has this name"),
                );
            } else if let Some((other_s, other_env)) = names.get(&name) {
                diags.push(
                    Diagnostic::new(
                        code::APPLICATION_NAME_CLASH,
                        s.deploy_span,
                        format!("two Argo CD Applications would be named `{name}`"),
                    )
                    .label(format!("`{}` in `{}`", s.name, env.name))
                    .secondary(
                        other_s.deploy_span,
                        format!("`{}` in `{}`", other_s.name, other_env.name),
                    )
                    .help("rename a service or an environment"),
                );
            } else {
                names.insert(name, (s, env));
            }
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

/// `metadata` of an Argo CD object: its name, in Argo CD's namespace.
pub fn metadata(name: &str) -> Map {
    map([
        ("name", Yaml::from(name)),
        ("namespace", Yaml::from(ARGOCD_NAMESPACE)),
    ])
}
