//! `deploy/<service>/base/`: the service as the program declares it, before
//! any environment: Deployment, Service, ServiceAccount, ConfigMap (through
//! `configMapGenerator`), HorizontalPodAutoscaler, PodDisruptionBudget,
//! Ingress, the hook Jobs, and the `kustomization.yaml` that lists them. A
//! worker has no Service or Ingress; a CronJob is a ServiceAccount and the
//! CronJob ([`crate::cron`]).

use pipec_emit::yaml::{Map, Yaml, map};
use pipec_graph::Workload;

use crate::plan::{Budget, ServicePlan};
use crate::pod::{self, HOOK_COPY, selector};
use crate::workload::{self, Hook};
use crate::{MANAGED_BY_LABEL, NAME_LABEL, argo_annotations, kustomization, literals, object};

/// The files of the base: (file name, document).
pub fn files(plan: &ServicePlan) -> Vec<(String, Yaml)> {
    let s = plan.service;
    let mut out: Vec<(String, Yaml)> = vec![("serviceaccount.yaml".into(), service_account(plan))];
    match &s.workload {
        Workload::Cron(c) => out.push(("cronjob.yaml".into(), crate::cron::cron_job(plan, c))),
        Workload::Worker(_) => out.push(("deployment.yaml".into(), workload::deployment(plan))),
        Workload::Http => {
            out.push(("deployment.yaml".into(), workload::deployment(plan)));
            out.push(("service.yaml".into(), service(plan)));
        }
    }
    if let (Some(a), true) = (s.autoscale, s.is_deployment()) {
        out.push((
            "hpa.yaml".into(),
            autoscaler(plan, a.min, a.max, a.cpu, a.memory),
        ));
    }
    if let Some(b) = plan.budget {
        out.push(("pdb.yaml".into(), budget(plan, b)));
    }
    if let Some(i) = &s.ingress {
        out.push(("ingress.yaml".into(), ingress(plan, i)));
    }
    let hook_config =
        (plan.has_hooks() && plan.config_map).then(|| format!("{}-{HOOK_COPY}", plan.name));
    if let Some(command) = &s.hooks.pre_sync {
        let hook = Hook {
            phase: "PreSync",
            role: workload::MIGRATE,
            command,
            retries: 0,
            deadline_seconds: 1800,
        };
        out.push((
            "migrate-job.yaml".into(),
            workload::hook_job(plan, &hook, hook_config.clone()),
        ));
    }
    if let Some(command) = &s.hooks.post_sync {
        let hook = Hook {
            phase: "PostSync",
            role: workload::SMOKE_TEST,
            command,
            retries: 2,
            deadline_seconds: 300,
        };
        out.push((
            "smoke-test-job.yaml".into(),
            workload::hook_job(plan, &hook, hook_config),
        ));
    }
    out.extend(crate::monitor::files(plan));
    let resources: Vec<Yaml> = out.iter().map(|(f, _)| Yaml::from(f.as_str())).collect();
    let mut k = kustomization();
    k.insert("resources", resources);
    k.insert(
        "labels",
        vec![Yaml::Map(map([(
            "pairs",
            map([
                (NAME_LABEL, Yaml::from(plan.name.as_str())),
                (MANAGED_BY_LABEL, Yaml::from("pipec")),
            ])
            .into(),
        )]))],
    );
    let mut generators = Vec::new();
    if plan.config_map {
        generators.push(config_generator(plan));
        if plan.has_hooks() {
            generators.push(pod::hook_copy(
                &format!("{}-{HOOK_COPY}", plan.name),
                &plan.service.config,
            ));
        }
    }
    generators.extend(pod::file_generators(plan));
    if !generators.is_empty() {
        k.insert("configMapGenerator", generators);
    }
    out.push(("kustomization.yaml".into(), k.into()));
    out
}

fn service_account(plan: &ServicePlan) -> Yaml {
    let mut m = object("v1", "ServiceAccount", plan, -1);
    // The service does not call the Kubernetes API; no token is mounted.
    m.insert("automountServiceAccountToken", false);
    m.into()
}

fn service(plan: &ServicePlan) -> Yaml {
    let expose = &plan.service.expose;
    let mut m = object("v1", "Service", plan, 0);
    let mut spec = map([
        ("type", Yaml::from(expose.kind.kubernetes())),
        ("selector", Yaml::Map(selector(plan))),
        (
            "ports",
            vec![Yaml::Map(map([
                ("name", Yaml::from("http")),
                ("port", Yaml::from(expose.port)),
                ("targetPort", Yaml::from("http")),
                ("protocol", Yaml::from("TCP")),
            ]))]
            .into(),
        ),
    ]);
    if let Some(d) = expose.affinity {
        spec.insert("sessionAffinity", "ClientIP");
        spec.insert(
            "sessionAffinityConfig",
            map([(
                "clientIP",
                map([("timeoutSeconds", Yaml::from(d.seconds))]).into(),
            )]),
        );
    }
    m.insert("spec", spec);
    m.into()
}

/// `HorizontalPodAutoscaler` (autoscaling/v2) on CPU and/or memory utilization.
pub fn autoscaler(
    plan: &ServicePlan,
    min: u32,
    max: u32,
    cpu: Option<pipec_graph::Percent>,
    memory: Option<pipec_graph::Percent>,
) -> Yaml {
    let mut m = object("autoscaling/v2", "HorizontalPodAutoscaler", plan, 1);
    m.insert(
        "spec",
        map([
            (
                "scaleTargetRef",
                map([
                    ("apiVersion", Yaml::from("apps/v1")),
                    ("kind", Yaml::from("Deployment")),
                    ("name", Yaml::from(plan.name.as_str())),
                ])
                .into(),
            ),
            ("minReplicas", Yaml::from(min)),
            ("maxReplicas", Yaml::from(max)),
            ("metrics", autoscaler_metrics(cpu, memory)),
        ]),
    );
    m.into()
}

/// The `metrics:` list of an autoscaler.
pub fn autoscaler_metrics(
    cpu: Option<pipec_graph::Percent>,
    memory: Option<pipec_graph::Percent>,
) -> Yaml {
    let metric = |name: &str, p: pipec_graph::Percent| -> Yaml {
        map([
            ("type", Yaml::from("Resource")),
            (
                "resource",
                map([
                    ("name", Yaml::from(name)),
                    (
                        "target",
                        map([
                            ("type", Yaml::from("Utilization")),
                            ("averageUtilization", Yaml::from(p.ceil())),
                        ])
                        .into(),
                    ),
                ])
                .into(),
            ),
        ])
        .into()
    };
    let mut out = Vec::new();
    if let Some(p) = cpu {
        out.push(metric("cpu", p));
    }
    if let Some(p) = memory {
        out.push(metric("memory", p));
    }
    Yaml::Seq(out)
}

fn budget(plan: &ServicePlan, b: Budget) -> Yaml {
    let mut m = object("policy/v1", "PodDisruptionBudget", plan, 1);
    let mut spec = Map::new();
    match b {
        Budget::MinAvailable(n) => spec.insert("minAvailable", n),
        Budget::MaxUnavailableOne => spec.insert("maxUnavailable", 1u32),
    };
    spec.insert(
        "selector",
        map([("matchLabels", Yaml::Map(selector(plan)))]),
    );
    // A pod that is not ready protects nothing; evicting it must not block a drain.
    spec.insert("unhealthyPodEvictionPolicy", "AlwaysAllow");
    m.insert("spec", spec);
    m.into()
}

fn ingress(plan: &ServicePlan, i: &pipec_graph::Ingress) -> Yaml {
    let mut m = object("networking.k8s.io/v1", "Ingress", plan, 1);
    let mut spec = Map::new();
    spec.insert_opt("ingressClassName", i.class.as_deref());
    if let Some(secret) = &i.tls_secret {
        spec.insert(
            "tls",
            vec![Yaml::Map(map([
                ("hosts", vec![i.host.as_str()].into()),
                ("secretName", Yaml::from(secret.as_str())),
            ]))],
        );
    }
    let backend = map([(
        "service",
        map([
            ("name", Yaml::from(plan.name.as_str())),
            ("port", map([("name", Yaml::from("http"))]).into()),
        ])
        .into(),
    )]);
    spec.insert(
        "rules",
        vec![Yaml::Map(map([
            ("host", Yaml::from(i.host.as_str())),
            (
                "http",
                map([(
                    "paths",
                    vec![Yaml::Map(map([
                        ("path", Yaml::from(i.path.as_str())),
                        ("pathType", Yaml::from("Prefix")),
                        ("backend", Yaml::Map(backend)),
                    ]))]
                    .into(),
                )])
                .into(),
            ),
        ]))],
    );
    m.insert("spec", spec);
    m.into()
}

/// The service's ConfigMap: its name gets a hash of its contents, so a
/// configuration change rolls the pods.
fn config_generator(plan: &ServicePlan) -> Yaml {
    let mut g = map([
        ("name", Yaml::from(plan.name.as_str())),
        ("literals", literals(&plan.service.config)),
    ]);
    if let Some(a) = argo_annotations(plan, -1) {
        g.insert("options", map([("annotations", a)]));
    }
    g.into()
}
