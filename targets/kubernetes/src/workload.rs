//! The pods of a service: the Deployment, and the Jobs of its Argo CD hooks,
//! which run the same image with the same configuration, secrets, resources
//! and security context. A worker's Deployment has no port: it runs its
//! command, and its probes run commands too.

use pipec_emit::yaml::{Map, Yaml, map};
use pipec_graph::{Probe, Resources};

use crate::plan::ServicePlan;
use crate::pod::{self, selector};
use crate::{COMPONENT_LABEL, NAME_LABEL, argo_annotations, hook_annotations};

/// The role of the PreSync hook: its Job's name suffix, container and component.
pub const MIGRATE: &str = "migrate";
/// The role of the PostSync hook.
pub const SMOKE_TEST: &str = "smoke-test";

/// `Deployment`: rolling updates that never drop below the running count.
pub fn deployment(plan: &ServicePlan) -> Yaml {
    let s = plan.service;
    let mut spec = Map::new();
    // With an autoscaler the count is left out: Kubernetes advises it, since
    // every sync would otherwise reset the autoscaler's choice.
    if s.autoscale.is_none() {
        spec.insert("replicas", s.replicas);
    }
    spec.insert(
        "selector",
        map([("matchLabels", Yaml::Map(selector(plan)))]),
    );
    spec.insert(
        "strategy",
        map([
            ("type", Yaml::from("RollingUpdate")),
            (
                "rollingUpdate",
                map([
                    ("maxSurge", Yaml::from(1u32)),
                    ("maxUnavailable", Yaml::from(0u32)),
                ])
                .into(),
            ),
        ]),
    );
    let mut template_meta = map([("labels", Yaml::Map(pod::pod_labels(plan)))]);
    if let Some(m) = &s.metrics {
        template_meta.insert(
            "annotations",
            map([
                ("prometheus.io/scrape", Yaml::from("true")),
                ("prometheus.io/port", Yaml::from(m.port.to_string())),
                ("prometheus.io/path", Yaml::from(m.path.as_str())),
            ]),
        );
    }
    let mut pod = Map::new();
    pod.insert("serviceAccountName", plan.name.as_str());
    pod::pull_secrets(plan, &mut pod);
    pod.insert("securityContext", pod_security(plan));
    if plan.envs.iter().any(|e| e.scale.ceiling() > 1) {
        pod.insert(
            "topologySpreadConstraints",
            vec![Yaml::Map(map([
                ("maxSkew", Yaml::from(1u32)),
                ("topologyKey", Yaml::from("kubernetes.io/hostname")),
                ("whenUnsatisfiable", Yaml::from("ScheduleAnyway")),
                (
                    "labelSelector",
                    map([("matchLabels", Yaml::Map(selector(plan)))]).into(),
                ),
            ]))],
        );
    }
    let mut c = container(plan, &plan.name);
    if let pipec_graph::Workload::Worker(w) = &s.workload {
        if let Some(command) = &w.command {
            c.insert("command", command.to_vec());
        }
    } else {
        c.insert("ports", ports(plan));
    }
    environment(plan, &mut c, plan.config_map.then(|| plan.name.clone()));
    // Probes after the ports they name, as people write them.
    let probes = [
        ("livenessProbe", &s.probes.liveness),
        ("readinessProbe", &s.probes.readiness),
        ("startupProbe", &s.probes.startup),
    ];
    for (key, probe) in probes {
        if let Some(p) = probe {
            c.insert(key, probe_spec(plan, p));
        }
    }
    c.insert("securityContext", container_security());
    c.insert("volumeMounts", pod::mounts(plan));
    pod.insert("containers", vec![Yaml::Map(c)]);
    pod.insert("volumes", pod::volumes(plan, false));
    spec.insert(
        "template",
        map([
            ("metadata", Yaml::Map(template_meta)),
            ("spec", Yaml::Map(pod)),
        ]),
    );
    let mut meta = map([("name", Yaml::from(plan.name.as_str()))]);
    if let Some(a) = argo_annotations(plan, 0) {
        meta.insert("annotations", a);
    }
    map([
        ("apiVersion", Yaml::from("apps/v1")),
        ("kind", Yaml::from("Deployment")),
        ("metadata", Yaml::Map(meta)),
        ("spec", Yaml::Map(spec)),
    ])
    .into()
}

/// An Argo CD hook: a migration before the sync, a smoke test after it.
pub struct Hook<'a> {
    /// `PreSync` or `PostSync`.
    pub phase: &'static str,
    /// The Job's name suffix, its container's name and its pods' component.
    pub role: &'static str,
    pub command: &'a [String],
    /// Retries after a failed run: none for a migration, which may have done
    /// part of its work; a few for a smoke test right after a rollout.
    pub retries: u32,
    /// How long the Job may run before it fails the sync.
    pub deadline_seconds: u32,
}

/// The Job of a hook. Its pods use the namespace's default ServiceAccount
/// without a token: the service's own account may not exist yet before the
/// first sync.
pub fn hook_job(plan: &ServicePlan, hook: &Hook, config_map: Option<String>) -> Yaml {
    let mut c = container(plan, hook.role);
    c.insert("command", hook.command.to_vec());
    environment(plan, &mut c, config_map);
    c.insert("securityContext", container_security());
    c.insert("volumeMounts", pod::mounts(plan));
    let mut pod = map([
        ("restartPolicy", Yaml::from("Never")),
        ("automountServiceAccountToken", Yaml::from(false)),
    ]);
    pod::pull_secrets(plan, &mut pod);
    pod.insert("securityContext", pod_security(plan));
    pod.insert("containers", vec![Yaml::Map(c)]);
    pod.insert("volumes", pod::volumes(plan, true));
    let labels = map([
        (NAME_LABEL, Yaml::from(plan.name.as_str())),
        (COMPONENT_LABEL, Yaml::from(hook.role)),
    ]);
    map([
        ("apiVersion", Yaml::from("batch/v1")),
        ("kind", Yaml::from("Job")),
        (
            "metadata",
            map([
                ("name", Yaml::from(format!("{}-{}", plan.name, hook.role))),
                // Jobs cannot be updated in place; the last run stays until
                // the next sync, for its logs.
                ("annotations", hook_annotations(hook.phase, None)),
            ])
            .into(),
        ),
        (
            "spec",
            map([
                ("backoffLimit", Yaml::from(hook.retries)),
                ("activeDeadlineSeconds", Yaml::from(hook.deadline_seconds)),
                (
                    "template",
                    map([
                        ("metadata", map([("labels", Yaml::Map(labels))]).into()),
                        ("spec", Yaml::Map(pod)),
                    ])
                    .into(),
                ),
            ])
            .into(),
        ),
    ])
    .into()
}

/// A container of the service's image.
pub(crate) fn container(plan: &ServicePlan, name: &str) -> Map {
    let mut c = Map::new();
    c.insert("name", name);
    c.insert("image", plan.image.as_str());
    // Deployed tags are immutable (the checker requires one, E0305).
    c.insert("imagePullPolicy", "IfNotPresent");
    c
}

/// What every container of the service gets: configuration, secrets, resources.
pub(crate) fn environment(plan: &ServicePlan, c: &mut Map, config_map: Option<String>) {
    let s = plan.service;
    if let Some(cm) = config_map {
        c.insert(
            "envFrom",
            vec![Yaml::Map(map([(
                "configMapRef",
                map([("name", Yaml::from(cm))]).into(),
            )]))],
        );
    }
    if !s.secrets.is_empty() {
        let env: Vec<Yaml> = s
            .secrets
            .iter()
            .map(|sec| {
                map([
                    ("name", Yaml::from(sec.env.as_str())),
                    (
                        "valueFrom",
                        map([(
                            "secretKeyRef",
                            map([
                                ("name", Yaml::from(sec.secret.as_str())),
                                ("key", Yaml::from(sec.key.as_str())),
                            ])
                            .into(),
                        )])
                        .into(),
                    ),
                ])
                .into()
            })
            .collect();
        c.insert("env", env);
    }
    if let Some(r) = s.resources {
        c.insert("resources", resources(&r));
    }
}

/// `resources:` with requests (the range's start) and limits (its end).
pub fn resources(r: &Resources) -> Map {
    let mut requests = Map::new();
    let mut limits = Map::new();
    if let Some(cpu) = r.cpu {
        requests.insert("cpu", cpu.min.to_string());
        limits.insert("cpu", cpu.max.to_string());
    }
    if let Some(mem) = r.memory {
        requests.insert("memory", mem.min.to_string());
        limits.insert("memory", mem.max.to_string());
    }
    map([
        ("requests", Yaml::Map(requests)),
        ("limits", Yaml::Map(limits)),
    ])
}

fn ports(plan: &ServicePlan) -> Vec<Yaml> {
    let s = plan.service;
    let port = |name: &str, number: u16| -> Yaml {
        map([
            ("name", Yaml::from(name)),
            ("containerPort", Yaml::from(number)),
            ("protocol", Yaml::from("TCP")),
        ])
        .into()
    };
    let mut out = vec![port("http", s.port)];
    if let Some(m) = s.metrics.as_ref().filter(|m| m.port != s.port) {
        out.push(port("metrics", m.port));
    }
    out
}

fn probe_spec(plan: &ServicePlan, p: &Probe) -> Yaml {
    let mut m = match &p.command {
        Some(command) => map([(
            "exec",
            map([("command", Yaml::from(command.to_vec()))]).into(),
        )]),
        None => map([("httpGet", http_get(plan, p))]),
    };
    if let Some(d) = p.initial_delay {
        m.insert("initialDelaySeconds", d.seconds);
    }
    if let Some(d) = p.period {
        m.insert("periodSeconds", d.seconds);
    }
    m.insert("timeoutSeconds", p.timeout.seconds);
    if let Some(n) = p.failure_threshold {
        m.insert("failureThreshold", n);
    }
    m.into()
}

fn http_get(plan: &ServicePlan, p: &Probe) -> Yaml {
    let s = plan.service;
    // Named ports keep the probes right if a port number changes.
    let port = if p.port == s.port {
        Yaml::from("http")
    } else if s.metrics.as_ref().is_some_and(|m| m.port == p.port) {
        Yaml::from("metrics")
    } else {
        Yaml::from(p.port)
    };
    map([("path", Yaml::from(p.path.as_str())), ("port", port)]).into()
}

/// Pod-level security: the program's user (never root), the runtime's default
/// seccomp profile. Together with [`container_security`] this meets the
/// `restricted` Pod Security Standard.
pub(crate) fn pod_security(plan: &ServicePlan) -> Yaml {
    let uid = plan.service.run_as_user;
    map([
        ("runAsNonRoot", Yaml::from(true)),
        ("runAsUser", Yaml::from(uid)),
        ("runAsGroup", Yaml::from(uid)),
        ("fsGroup", Yaml::from(uid)),
        (
            "seccompProfile",
            map([("type", Yaml::from("RuntimeDefault"))]).into(),
        ),
    ])
    .into()
}

/// No privilege escalation, no capabilities, a read-only root file system
/// (with a writable `/tmp`, which most runtimes need, and the program's
/// writable volumes: [`pod::mounts`]).
pub(crate) fn container_security() -> Yaml {
    map([
        ("allowPrivilegeEscalation", Yaml::from(false)),
        ("readOnlyRootFilesystem", Yaml::from(true)),
        ("runAsNonRoot", Yaml::from(true)),
        ("capabilities", map([("drop", vec!["ALL"].into())]).into()),
    ])
    .into()
}
