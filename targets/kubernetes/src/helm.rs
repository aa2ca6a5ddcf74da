//! `deploy/<service>/values/<env>.yaml`: for a service deployed from a Helm
//! chart, what the program says about it in one environment, written at the
//! values keys the program names (by default the layout of the chart `helm
//! create` writes), in place of the base and overlay. The image tag is the
//! one line CI sets (`TAG@DIGEST`, so that a chart writing
//! `repository:tag` pulls exactly that image).

use pipec_emit::yaml::{Map, Yaml, map};
use pipec_graph::{Helm, Service, ValuesPart};

use crate::overlay::PENDING_TAG;
use crate::plan::{EnvPlan, Scale, ServicePlan};

/// The values file of one environment.
pub fn values(plan: &ServicePlan, e: &EnvPlan, helm: &Helm) -> Yaml {
    let mut root = Map::new();
    for (part, key) in &helm.keys {
        let (last, parents) = key.split_last().expect("a values key has a segment");
        if *part == ValuesPart::Image {
            let mut image = Map::new();
            image.insert("repository", plan.image.as_str());
            image.insert_ci_owned("tag", PENDING_TAG);
            nested(&mut root, parents).insert_commented(
                last.as_str(),
                image,
                "The deployment job sets tag to the tag and digest it ships (TAG@DIGEST).",
            );
        } else if let Some(value) = part_value(plan, e, *part) {
            nested(&mut root, parents).insert(last.as_str(), value);
        }
    }
    root.into()
}

/// What a part writes in an environment; `None` when the program says
/// nothing about it there (the chart's default stays).
fn part_value(plan: &ServicePlan, e: &EnvPlan, part: ValuesPart) -> Option<Yaml> {
    let s: &Service = plan.service;
    Some(match part {
        // Written by `values` itself, with the line CI owns.
        ValuesPart::Image => return None,
        ValuesPart::Port => Yaml::from(s.port),
        ValuesPart::Replicas => match e.scale {
            Scale::Fixed(n) => Yaml::from(n),
            Scale::Auto(_) => return None,
        },
        ValuesPart::Autoscale => match e.scale {
            Scale::Auto(a) => {
                let mut m = map([
                    ("enabled", Yaml::from(true)),
                    ("minReplicas", Yaml::from(a.min)),
                    ("maxReplicas", Yaml::from(a.max)),
                ]);
                m.insert_opt("targetCPUUtilizationPercentage", a.cpu.map(|p| p.ceil()));
                m.insert_opt(
                    "targetMemoryUtilizationPercentage",
                    a.memory.map(|p| p.ceil()),
                );
                m.into()
            }
            // Off where the environment has a fixed size, if some other
            // environment of the service autoscales.
            Scale::Fixed(_) if autoscales_somewhere(plan) => {
                map([("enabled", Yaml::from(false))]).into()
            }
            Scale::Fixed(_) => return None,
        },
        ValuesPart::Resources => {
            let r = crate::plan::merge_resources(s.resources, e.resources)?;
            crate::workload::resources(&r).into()
        }
        ValuesPart::Env => {
            let mut vars: Vec<(&str, &str)> = Vec::new();
            for (k, v) in s.config.iter().chain(e.config.iter()) {
                match vars.iter_mut().find(|(n, _)| n == k) {
                    Some(slot) => slot.1 = v,
                    None => vars.push((k, v)),
                }
            }
            if vars.is_empty() {
                return None;
            }
            vars.sort();
            Yaml::Seq(
                vars.into_iter()
                    .map(|(k, v)| map([("name", Yaml::from(k)), ("value", Yaml::from(v))]).into())
                    .collect(),
            )
        }
        ValuesPart::Ingress => {
            let i = s.ingress.as_ref()?;
            let host = e.ingress_host.as_deref().unwrap_or(&i.host);
            let mut m = map([("enabled", Yaml::from(true))]);
            m.insert_opt("className", i.class.as_deref());
            m.insert(
                "hosts",
                vec![Yaml::Map(map([
                    ("host", Yaml::from(host)),
                    (
                        "paths",
                        vec![Yaml::Map(map([
                            ("path", Yaml::from(i.path.as_str())),
                            ("pathType", Yaml::from("Prefix")),
                        ]))]
                        .into(),
                    ),
                ]))],
            );
            if let Some(secret) = &i.tls_secret {
                m.insert(
                    "tls",
                    vec![Yaml::Map(map([
                        ("secretName", Yaml::from(secret.as_str())),
                        ("hosts", vec![host].into()),
                    ]))],
                );
            }
            m.into()
        }
        ValuesPart::PullSecrets => {
            if s.pull_secrets.is_empty() {
                return None;
            }
            Yaml::Seq(
                s.pull_secrets
                    .iter()
                    .map(|n| map([("name", Yaml::from(n.as_str()))]).into())
                    .collect(),
            )
        }
    })
}

fn autoscales_somewhere(plan: &ServicePlan) -> bool {
    plan.envs.iter().any(|e| matches!(e.scale, Scale::Auto(_)))
}

/// The map at `path` below `root`, made where missing. The checker keeps
/// one part's key out of another's, so what is on the way is always a map.
fn nested<'m>(root: &'m mut Map, path: &[String]) -> &'m mut Map {
    let Some((first, rest)) = path.split_first() else {
        return root;
    };
    if !matches!(root.get(first), Some(Yaml::Map(_))) {
        root.insert(first.as_str(), Map::new());
    }
    match root.get_mut(first) {
        Some(Yaml::Map(m)) => nested(m, rest),
        _ => unreachable!("a map was just put at `{first}`"),
    }
}
