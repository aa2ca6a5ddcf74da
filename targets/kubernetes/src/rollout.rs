//! Argo Rollouts in the overlay of an environment that rolls out by canary or
//! blue-green: the base's Deployment becomes a `Rollout` there (a patch that
//! changes its kind, so the pod template stays the base's), the autoscaler
//! follows it, a blue-green rollout gets its preview Service (a canary routed
//! by NGINX, Istio or a Gateway its canary Service, with Istio the
//! VirtualService and with a Gateway the HTTPRoute whose weights Argo
//! Rollouts sets, in place of the Ingress), and the
//! analysis becomes an `AnalysisTemplate` whose Prometheus queries measure
//! what the program states.
//!
//! The other environments keep the Deployment: nothing here touches the base.

use pipec_emit::yaml::{self, Map, Yaml, map};
use pipec_graph::{Analysis, Duration, Rollout, Strategy, Traffic};

use crate::plan::{EnvPlan, Scale, ServicePlan};
use crate::pod::selector;
use crate::{MANAGED_BY_LABEL, NAME_LABEL};

pub const API: &str = "argoproj.io/v1alpha1";

/// The argument that carries the pod-template hash of the version under
/// analysis, and the target label Prometheus gives it (see `monitor`).
pub const HASH_ARG: &str = "pod-template-hash";
pub const HASH_POD_LABEL: &str = "rollouts-pod-template-hash";
pub const HASH_SERIES_LABEL: &str = "rollouts_pod_template_hash";

/// What an environment's overlay adds for its rollout.
pub struct RolloutOverlay {
    /// Files of the overlay, listed in its `resources`.
    pub files: Vec<(String, Yaml)>,
    /// Patches applied after the environment's own (they change the kind
    /// of the Deployment, which the earlier ones address).
    pub patches: Vec<Yaml>,
}

/// The overlay additions of an environment that rolls out with Argo Rollouts.
pub fn overlay(plan: &ServicePlan, e: &EnvPlan) -> Option<RolloutOverlay> {
    let r = plan.service.rollout(e.env.id)?;
    let mut files = Vec::new();
    if let Some(a) = &r.analysis {
        files.push((
            "analysis-template.yaml".to_string(),
            analysis_template(plan, e, r, a),
        ));
    }
    match r.strategy {
        Strategy::BlueGreen => {
            files.push((
                "preview-service.yaml".to_string(),
                second_service(plan, &preview_name(plan)),
            ));
        }
        Strategy::Canary { traffic, .. } if traffic.splits_requests() => {
            files.push((
                "canary-service.yaml".to_string(),
                second_service(plan, &canary_name(plan)),
            ));
            if traffic == Traffic::Istio {
                files.push(("virtual-service.yaml".to_string(), virtual_service(plan)));
            }
        }
        Strategy::Canary { .. } => {}
    }
    let mut extra = Vec::new();
    if let Strategy::Canary {
        traffic: Traffic::Gateway,
        gateway: Some(g),
        ..
    } = &r.strategy
        && let (Some(i), Some(host)) = (&plan.service.ingress, &e.ingress_host)
    {
        files.push((
            "http-route.yaml".to_string(),
            http_route(plan, g, host, &i.path),
        ));
        // The HTTPRoute answers for the Ingress's host and path here: the
        // Ingress goes, so that no second route bypasses the split.
        extra.push(delete_ingress(plan));
    }
    let mut ops = vec![
        op("replace", "/apiVersion", API.into()),
        op("replace", "/kind", "Rollout".into()),
        op("add", "/spec/strategy", strategy(plan, e, r)),
    ];
    // Kustomize's `replicas:` field knows only the built-in workloads: the
    // count of a Rollout is set here.
    if let Scale::Fixed(n) = e.scale {
        ops.push(op("add", "/spec/replicas", n.into()));
    }
    let mut patches = vec![json6902("Deployment", &plan.name, ops, true)];
    if let Scale::Auto(_) = e.scale {
        patches.push(json6902(
            "HorizontalPodAutoscaler",
            &plan.name,
            vec![op(
                "replace",
                "/spec/scaleTargetRef",
                map([
                    ("apiVersion", Yaml::from(API)),
                    ("kind", Yaml::from("Rollout")),
                    ("name", Yaml::from(plan.name.as_str())),
                ])
                .into(),
            )],
            false,
        ));
    }
    patches.extend(extra);
    Some(RolloutOverlay { files, patches })
}

/// The name of the preview Service of a blue-green rollout.
pub fn preview_name(plan: &ServicePlan) -> String {
    format!("{}-preview", plan.name)
}

/// The name of the canary Service of a canary routed by NGINX.
pub fn canary_name(plan: &ServicePlan) -> String {
    format!("{}-canary", plan.name)
}

fn strategy(plan: &ServicePlan, e: &EnvPlan, r: &Rollout) -> Yaml {
    let analysis = r.analysis.as_ref().map(|_| {
        map([
            (
                "templates",
                vec![Yaml::Map(map([(
                    "templateName",
                    Yaml::from(plan.name.as_str()),
                )]))]
                .into(),
            ),
            (
                "args",
                vec![Yaml::Map(map([
                    ("name", Yaml::from(HASH_ARG)),
                    (
                        "valueFrom",
                        map([("podTemplateHashValue", Yaml::from("Latest"))]).into(),
                    ),
                ]))]
                .into(),
            ),
        ])
    });
    match &r.strategy {
        Strategy::Canary { steps, traffic, .. } => {
            let mut out = Vec::new();
            for s in steps {
                out.push(map([("setWeight", Yaml::from(s.weight.ceil()))]).into());
                if let Some(d) = s.pause {
                    out.push(
                        map([(
                            "pause",
                            map([("duration", Yaml::from(go_duration(d)))]).into(),
                        )])
                        .into(),
                    );
                }
            }
            let mut canary = map([("steps", Yaml::Seq(out))]);
            if traffic.splits_requests() {
                canary.insert("canaryService", canary_name(plan));
                canary.insert("stableService", plan.name.as_str());
            }
            match traffic {
                // NGINX sends the step's share of the requests to the canary
                // Service, through a copy of the service's Ingress that Argo
                // Rollouts manages.
                Traffic::Nginx => {
                    canary.insert(
                        "trafficRouting",
                        map([(
                            "nginx",
                            map([("stableIngress", Yaml::from(plan.name.as_str()))]).into(),
                        )]),
                    );
                }
                // Istio's sidecars split the requests to the service's name
                // by the weights Argo Rollouts sets on the VirtualService's
                // route.
                Traffic::Istio => {
                    canary.insert(
                        "trafficRouting",
                        map([(
                            "istio",
                            map([(
                                "virtualService",
                                map([
                                    ("name", Yaml::from(plan.name.as_str())),
                                    ("routes", Yaml::from(vec![ISTIO_ROUTE])),
                                ])
                                .into(),
                            )])
                            .into(),
                        )]),
                    );
                }
                // Argo Rollouts' Gateway API plugin sets the weights of the
                // two backends of the HTTPRoute's rule.
                Traffic::Gateway => {
                    canary.insert(
                        "trafficRouting",
                        map([(
                            "plugins",
                            map([(
                                GATEWAY_PLUGIN,
                                map([
                                    ("httpRoute", Yaml::from(plan.name.as_str())),
                                    ("namespace", Yaml::from(e.env.namespace.as_str())),
                                ])
                                .into(),
                            )])
                            .into(),
                        )]),
                    );
                }
                Traffic::Replicas => {}
            }
            // Analysis runs in the background for the whole rollout: a
            // failed measurement aborts it and the stable version takes
            // every pod back.
            canary.insert_opt("analysis", analysis);
            map([("canary", Yaml::Map(canary))]).into()
        }
        Strategy::BlueGreen => {
            let mut bg = map([
                ("activeService", Yaml::from(plan.name.as_str())),
                ("previewService", Yaml::from(preview_name(plan))),
                ("autoPromotionEnabled", Yaml::from(true)),
            ]);
            // Measured once the new version serves the active Service; until
            // the analysis succeeds the previous ReplicaSet stays, so a
            // failure switches the Service back to it.
            bg.insert_opt("postPromotionAnalysis", analysis);
            map([("blueGreen", Yaml::Map(bg))]).into()
        }
    }
}

/// A Service in front of the new version only (blue-green's preview, a
/// routed canary's canary); Argo Rollouts adds the pod-template hash to its
/// selector.
fn second_service(plan: &ServicePlan, name: &str) -> Yaml {
    let mut m = header("v1", "Service", name, plan);
    m.insert(
        "spec",
        map([
            ("type", Yaml::from("ClusterIP")),
            ("selector", Yaml::Map(selector(plan))),
            (
                "ports",
                vec![Yaml::Map(map([
                    ("name", Yaml::from("http")),
                    ("port", Yaml::from(plan.service.expose.port)),
                    ("targetPort", Yaml::from("http")),
                    ("protocol", Yaml::from("TCP")),
                ]))]
                .into(),
            ),
        ]),
    );
    m.into()
}

/// The route of the VirtualService whose weights Argo Rollouts sets.
pub const ISTIO_ROUTE: &str = "primary";
/// The Istio API the VirtualService is written for (served since Istio 1.5).
pub const ISTIO_API: &str = "networking.istio.io/v1beta1";

/// The VirtualService of a canary routed by Istio: the requests to the
/// service's name in the mesh, all to the stable Service until Argo
/// Rollouts moves the step's weight to the canary one.
fn virtual_service(plan: &ServicePlan) -> Yaml {
    let destination = |host: &str, weight: u32| -> Yaml {
        map([
            (
                "destination",
                map([
                    ("host", Yaml::from(host)),
                    (
                        "port",
                        map([("number", Yaml::from(plan.service.expose.port))]).into(),
                    ),
                ])
                .into(),
            ),
            ("weight", Yaml::from(weight)),
        ])
        .into()
    };
    let mut m = header(ISTIO_API, "VirtualService", &plan.name, plan);
    m.insert(
        "spec",
        map([
            ("hosts", Yaml::from(vec![plan.name.as_str()])),
            (
                "http",
                vec![Yaml::Map(map([
                    ("name", Yaml::from(ISTIO_ROUTE)),
                    (
                        "route",
                        vec![
                            destination(&plan.name, 100),
                            destination(&canary_name(plan), 0),
                        ]
                        .into(),
                    ),
                ]))]
                .into(),
            ),
        ]),
    );
    m.into()
}

/// The name under which Argo Rollouts' Gateway API plugin is registered
/// (`trafficRouterPlugins` of the argo-rollouts-config ConfigMap).
pub const GATEWAY_PLUGIN: &str = "argoproj-labs/gatewayAPI";
/// The Gateway API version the HTTPRoute is written for (GA since v1.0).
pub const GATEWAY_API: &str = "gateway.networking.k8s.io/v1";

/// The HTTPRoute of a canary routed by a Gateway: the requests for the
/// environment's ingress host and the service's path, all to the stable
/// Service until Argo Rollouts moves the step's weight to the canary one.
fn http_route(plan: &ServicePlan, g: &pipec_graph::GatewayRef, host: &str, path: &str) -> Yaml {
    let backend = |name: &str, weight: u32| -> Yaml {
        map([
            ("name", Yaml::from(name)),
            ("port", Yaml::from(plan.service.expose.port)),
            ("weight", Yaml::from(weight)),
        ])
        .into()
    };
    let mut parent = map([("name", Yaml::from(g.name.as_str()))]);
    parent.insert_opt("namespace", g.namespace.as_deref());
    let mut m = header(GATEWAY_API, "HTTPRoute", &plan.name, plan);
    m.insert(
        "spec",
        map([
            ("parentRefs", vec![Yaml::Map(parent)].into()),
            ("hostnames", Yaml::from(vec![host])),
            (
                "rules",
                vec![Yaml::Map(map([
                    (
                        "matches",
                        vec![Yaml::Map(map([(
                            "path",
                            map([
                                ("type", Yaml::from("PathPrefix")),
                                ("value", Yaml::from(path)),
                            ])
                            .into(),
                        )]))]
                        .into(),
                    ),
                    (
                        "backendRefs",
                        vec![backend(&plan.name, 100), backend(&canary_name(plan), 0)].into(),
                    ),
                ]))]
                .into(),
            ),
        ]),
    );
    m.into()
}

/// A patch that removes the base's Ingress from the overlay.
fn delete_ingress(plan: &ServicePlan) -> Yaml {
    let body = map([
        ("$patch", Yaml::from("delete")),
        ("apiVersion", Yaml::from("networking.k8s.io/v1")),
        ("kind", Yaml::from("Ingress")),
        (
            "metadata",
            map([("name", Yaml::from(plan.name.as_str()))]).into(),
        ),
    ]);
    map([
        (
            "target",
            map([
                ("kind", Yaml::from("Ingress")),
                ("name", Yaml::from(plan.name.as_str())),
            ])
            .into(),
        ),
        ("patch", Yaml::from(yaml::to_string(&Yaml::Map(body)))),
    ])
    .into()
}

/// The AnalysisTemplate of the service in this environment.
fn analysis_template(plan: &ServicePlan, e: &EnvPlan, r: &Rollout, a: &Analysis) -> Yaml {
    let mut metrics = Vec::new();
    for q in queries(plan, e, r, a) {
        let mut m = map([
            ("name", Yaml::from(q.name.as_str())),
            ("interval", Yaml::from(go_duration(a.interval))),
            ("failureLimit", Yaml::from(a.failure_limit)),
            ("successCondition", Yaml::from(q.condition.as_str())),
        ]);
        m.insert(
            "provider",
            map([(
                "prometheus",
                map([
                    ("address", Yaml::from(a.prometheus.as_str())),
                    ("query", Yaml::from(q.promql.as_str())),
                ])
                .into(),
            )]),
        );
        metrics.push(Yaml::Map(m));
    }
    let mut doc = header(crate::rollout::API, "AnalysisTemplate", &plan.name, plan);
    doc.insert(
        "spec",
        map([
            (
                "args",
                vec![Yaml::Map(map([("name", Yaml::from(HASH_ARG))]))].into(),
            ),
            ("metrics", Yaml::Seq(metrics)),
        ]),
    );
    doc.into()
}

/// One measurement of an analysis.
pub struct Query {
    pub name: String,
    pub promql: String,
    /// Argo Rollouts' success condition on the query's result.
    pub condition: String,
}

/// The measurements of an analysis, as Prometheus queries over the series of
/// the version under analysis (its pod-template hash), in the environment's
/// namespace. Both queries answer 0 while the new version has served no
/// request, so a quiet canary is not failed for lack of data.
pub fn queries(plan: &ServicePlan, e: &EnvPlan, _r: &Rollout, a: &Analysis) -> Vec<Query> {
    let metrics = match &plan.service.metrics {
        Some(m) => &m.requests,
        None => return Vec::new(),
    };
    let window = go_duration(Duration::from_secs(a.interval.seconds.max(60)));
    let base = format!(
        "namespace=\"{}\", {HASH_SERIES_LABEL}=\"{{{{args.{HASH_ARG}}}}}\"",
        e.env.namespace
    );
    let mut out = Vec::new();
    if let Some(er) = &a.error_rate {
        let requests = &metrics.requests.name;
        out.push(Query {
            name: "error-rate".into(),
            promql: format!(
                "(sum(rate({requests}{{{base}, {label}=~\"5..\"}}[{window}])) or vector(0))\n  / (sum(rate({requests}{{{base}}}[{window}])) > 0)\nor vector(0)\n",
                label = er.status_label
            ),
            condition: format!("result[0] <= {}", ratio(er.max.hundredths)),
        });
    }
    if let Some(l) = &a.latency {
        out.push(Query {
            name: format!("latency-p{}", l.quantile),
            promql: format!(
                "(histogram_quantile({q}, sum by (le) (rate({hist}_bucket{{{base}}}[{window}]))) >= 0)\nor vector(0)\n",
                q = ratio(l.quantile * 100),
                hist = metrics.latency.name
            ),
            condition: format!("result[0] <= {}", seconds(l.max_ms)),
        });
    }
    out
}

/// Hundredths of a percent as a ratio: 150 (1.5%) → `0.015`.
pub fn ratio(hundredths: u32) -> String {
    trim(format!(
        "{}.{:04}",
        hundredths / 10_000,
        hundredths % 10_000
    ))
}

/// Milliseconds as seconds: 500 → `0.5`.
pub fn seconds(ms: u64) -> String {
    trim(format!("{}.{:03}", ms / 1000, ms % 1000))
}

fn trim(s: String) -> String {
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A duration as Go and Prometheus write it: `90s` → `90s`, `300s` → `5m`.
pub fn go_duration(d: Duration) -> String {
    match d.seconds {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn header(api: &str, kind: &str, name: &str, plan: &ServicePlan) -> Map {
    map([
        ("apiVersion", Yaml::from(api)),
        ("kind", Yaml::from(kind)),
        (
            "metadata",
            map([
                ("name", Yaml::from(name)),
                (
                    "labels",
                    map([
                        (NAME_LABEL, Yaml::from(plan.name.as_str())),
                        (MANAGED_BY_LABEL, Yaml::from("pipec")),
                    ])
                    .into(),
                ),
            ])
            .into(),
        ),
    ])
}

fn op(op: &str, path: &str, value: Yaml) -> Yaml {
    map([
        ("op", Yaml::from(op)),
        ("path", Yaml::from(path)),
        ("value", value),
    ])
    .into()
}

/// A JSON 6902 patch of one object; `kind_change` lets it change the kind.
fn json6902(kind: &str, name: &str, ops: Vec<Yaml>, kind_change: bool) -> Yaml {
    let mut m = map([(
        "target",
        map([("kind", Yaml::from(kind)), ("name", Yaml::from(name))]).into(),
    )]);
    if kind_change {
        m.insert("options", map([("allowKindChange", Yaml::from(true))]));
    }
    m.insert("patch", Yaml::from(yaml::to_string(&Yaml::Seq(ops))));
    m.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_become_the_numbers_prometheus_returns() {
        assert_eq!(ratio(100), "0.01");
        assert_eq!(ratio(150), "0.015");
        assert_eq!(ratio(9_500), "0.95");
        assert_eq!(ratio(5), "0.0005");
        assert_eq!(seconds(500), "0.5");
        assert_eq!(seconds(1500), "1.5");
        assert_eq!(seconds(2000), "2");
        assert_eq!(seconds(1), "0.001");
        assert_eq!(go_duration(Duration::from_secs(90)), "90s");
        assert_eq!(go_duration(Duration::from_secs(300)), "5m");
        assert_eq!(go_duration(Duration::from_secs(7200)), "2h");
    }
}
