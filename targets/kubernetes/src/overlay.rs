//! `deploy/<service>/overlays/<env>/kustomization.yaml`: what one environment
//! changes in the base — namespace, size, resources, configuration values,
//! ingress host — and the image tag its deployments set.

use pipec_emit::yaml::{self, Map, Yaml, map};

use crate::base;
use crate::plan::{EnvPlan, Scale, ServicePlan};
use crate::pod::HOOK_COPY;
use crate::workload::{MIGRATE, SMOKE_TEST};
use crate::{kustomization, literals};

/// The tag an overlay starts with, until the first deployment job sets one.
pub const PENDING_TAG: &str = "pending";

/// The files of one environment's overlay: (file name, document).
pub fn files(plan: &ServicePlan, e: &EnvPlan) -> Vec<(String, Yaml)> {
    let mut out = Vec::new();
    let mut k = kustomization();
    k.insert("namespace", e.env.namespace.as_str());
    let mut resources = vec![Yaml::from("../../base")];
    if let (true, Scale::Auto(a)) = (e.adds_autoscaler, e.scale) {
        resources.push(Yaml::from("hpa.yaml"));
        out.push((
            "hpa.yaml".to_string(),
            base::autoscaler(plan, a.min, a.max, a.cpu, a.memory),
        ));
    }
    let rollout = crate::rollout::overlay(plan, e);
    let extra = rollout.iter().flat_map(|r| r.files.iter().cloned());
    for (f, doc) in extra.chain(crate::monitor::rules(plan, e)) {
        resources.push(Yaml::from(f.as_str()));
        out.push((f, doc));
    }
    k.insert("resources", resources);
    if let (Scale::Fixed(n), None, true) = (e.scale, &rollout, plan.service.is_deployment()) {
        k.insert(
            "replicas",
            vec![Yaml::Map(map([
                ("name", Yaml::from(plan.name.as_str())),
                ("count", Yaml::from(n)),
            ]))],
        );
    }
    let images = vec![Yaml::Map(image(plan))];
    if plan.argocd {
        k.insert("images", images);
    } else {
        k.insert_commented(
            "images",
            images,
            "Deployed `via kubectl`: the deployment job sets newTag in its own checkout\n\
             and applies this overlay (`kubectl apply -k`); the committed file is not\n\
             changed. To apply it by hand, set newTag to the running tag first; rebuilds\n\
             keep it.",
        );
    }
    if !e.config.is_empty() {
        let mut generators = vec![merge_config(&plan.name, e.config)];
        if plan.has_hooks() {
            generators.push(merge_config(
                &format!("{}-{HOOK_COPY}", plan.name),
                e.config,
            ));
        }
        k.insert("configMapGenerator", generators);
    }
    let (mut patches, dropped_budget) = patches(plan, e);
    patches.extend(rollout.into_iter().flat_map(|r| r.patches));
    if !patches.is_empty() {
        if dropped_budget {
            let floor = e.scale.floor();
            k.insert_commented(
                "patches",
                patches,
                format!(
                    "The PodDisruptionBudget is removed here: this environment may run {floor} \
                     pod{}, and\nthe service's min_available would then block every node drain.",
                    if floor == 1 { "" } else { "s" }
                ),
            );
        } else {
            k.insert("patches", patches);
        }
    }
    out.insert(0, ("kustomization.yaml".to_string(), k.into()));
    out
}

/// The `images:` entry the deployment job edits: its `newTag` line is exactly
/// `    newTag: '<tag>' # pipec: set by CI`.
fn image(plan: &ServicePlan) -> Map {
    let mut m = map([
        ("name", Yaml::from(plan.image.as_str())),
        ("newName", Yaml::from(plan.image.as_str())),
    ]);
    m.insert_ci_owned("newTag", PENDING_TAG);
    m
}

fn merge_config(name: &str, values: &[(String, String)]) -> Yaml {
    map([
        ("name", Yaml::from(name)),
        ("behavior", Yaml::from("merge")),
        ("literals", literals(values)),
    ])
    .into()
}

/// The patches of an environment, and whether one removes the budget.
fn patches(plan: &ServicePlan, e: &EnvPlan) -> (Vec<Yaml>, bool) {
    let mut out = Vec::new();
    let name = plan.name.as_str();
    if let (Scale::Auto(a), false) = (e.scale, e.adds_autoscaler) {
        let mut spec = map([
            ("minReplicas", Yaml::from(a.min)),
            ("maxReplicas", Yaml::from(a.max)),
        ]);
        if e.env.autoscale.is_some() {
            spec.insert("metrics", base::autoscaler_metrics(a.cpu, a.memory));
        }
        out.push(strategic(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            name,
            Some(spec),
        ));
    }
    if e.adds_autoscaler {
        // The autoscaler owns the count here.
        out.push(json6902(
            "Deployment",
            name,
            vec![op("remove", "/spec/replicas", None)],
        ));
    }
    if let (Some(r), false) = (e.resources, plan.service.is_deployment()) {
        out.push(cron_resources(name, &r));
    } else if let Some(r) = e.resources {
        // The hook Jobs run with the same resources as the service's pods.
        let mut targets = vec![("apps/v1", "Deployment", name.to_string(), name)];
        let hooks = &plan.service.hooks;
        if plan.argocd && hooks.pre_sync.is_some() {
            targets.push(("batch/v1", "Job", format!("{name}-{MIGRATE}"), MIGRATE));
        }
        if plan.argocd && hooks.post_sync.is_some() {
            targets.push((
                "batch/v1",
                "Job",
                format!("{name}-{SMOKE_TEST}"),
                SMOKE_TEST,
            ));
        }
        for (api, kind, object, container) in targets {
            let container = map([
                ("name", Yaml::from(container)),
                ("resources", Yaml::Map(crate::workload::resources(&r))),
            ]);
            let spec = map([(
                "template",
                map([(
                    "spec",
                    map([("containers", vec![Yaml::Map(container)].into())]).into(),
                )])
                .into(),
            )]);
            out.push(strategic(api, kind, &object, Some(spec)));
        }
    }
    if let (Some(host), Some(ingress)) = (&e.ingress_host, &plan.service.ingress)
        && *host != ingress.host
    {
        let mut ops = vec![op("replace", "/spec/rules/0/host", Some(host))];
        if ingress.tls_secret.is_some() {
            ops.push(op("replace", "/spec/tls/0/hosts/0", Some(host)));
        }
        out.push(json6902("Ingress", name, ops));
    }
    let dropped_budget = plan.budget.is_some() && !e.keeps_budget;
    if dropped_budget {
        let mut doc = map([("$patch", Yaml::from("delete"))]);
        for (k, v) in header("policy/v1", "PodDisruptionBudget", name).iter() {
            doc.insert(k, v.clone());
        }
        out.push(map([("patch", Yaml::from(yaml::to_string(&doc.into())))]).into());
    }
    (out, dropped_budget)
}

/// The resources of a CronJob's container in one environment.
fn cron_resources(name: &str, r: &pipec_graph::Resources) -> Yaml {
    let container = map([
        ("name", Yaml::from(name)),
        ("resources", Yaml::Map(crate::workload::resources(r))),
    ]);
    let pod = map([("containers", vec![Yaml::Map(container)].into())]);
    let job = map([("template", map([("spec", Yaml::Map(pod))]).into())]);
    let spec = map([("jobTemplate", map([("spec", Yaml::Map(job))]).into())]);
    strategic("batch/v1", "CronJob", name, Some(spec))
}

fn header(api: &str, kind: &str, name: &str) -> Map {
    map([
        ("apiVersion", Yaml::from(api)),
        ("kind", Yaml::from(kind)),
        ("metadata", map([("name", Yaml::from(name))]).into()),
    ])
}

/// A strategic-merge patch of one object, inline.
fn strategic(api: &str, kind: &str, name: &str, spec: Option<Map>) -> Yaml {
    let mut doc = header(api, kind, name);
    if let Some(s) = spec {
        doc.insert("spec", s);
    }
    map([("patch", Yaml::from(yaml::to_string(&doc.into())))]).into()
}

/// A JSON 6902 patch of one object, for changes a merge cannot express.
fn json6902(kind: &str, name: &str, ops: Vec<Yaml>) -> Yaml {
    map([
        (
            "target",
            map([("kind", Yaml::from(kind)), ("name", Yaml::from(name))]).into(),
        ),
        ("patch", Yaml::from(yaml::to_string(&Yaml::Seq(ops)))),
    ])
    .into()
}

fn op(op: &str, path: &str, value: Option<&str>) -> Yaml {
    let mut m = map([("op", Yaml::from(op)), ("path", Yaml::from(path))]);
    m.insert_opt("value", value);
    m.into()
}
