//! A progressive rollout in the picture: between an environment and the
//! service it runs, one node per step — a canary's weight and pause, or
//! blue-green's preview and promotion — and the analysis that watches them
//! and aborts back to the stable version.

use pipec_graph::rollout::{Analysis, Rollout, Strategy, Traffic};
use pipec_graph::{Environment, Service};

use super::{Edge, Node, NodeKind, Picture};

pub fn steps(pic: &mut Picture, service: &Service, env: &Environment, r: &Rollout) {
    // By number: names joined with `_` could meet (`a_b` in `c`, `a` in `b_c`).
    let prefix = format!("rollout_{}_{}", service.id.0, env.id.index());
    let labels: Vec<String> = match &r.strategy {
        Strategy::Canary { steps, traffic, .. } => {
            let of = match traffic {
                Traffic::Replicas => "of the pods",
                Traffic::Nginx => "of the requests (nginx)",
                Traffic::Istio => "of the requests (istio)",
                Traffic::Gateway => "of the requests (gateway)",
            };
            steps
                .iter()
                .map(|s| {
                    let mut l = format!("canary {}% {of}", s.weight);
                    if let Some(p) = s.pause {
                        l.push_str(&format!("\npause {p}"));
                    }
                    l
                })
                .collect()
        }
        Strategy::BlueGreen => vec![
            "blue-green: new version\nbehind the preview Service".to_string(),
            "promotion: the active Service\nswitches to it".to_string(),
        ],
    };
    let ids: Vec<String> = (0..labels.len()).map(|i| format!("{prefix}_{i}")).collect();
    for (id, label) in ids.iter().zip(labels) {
        pic.nodes.push(Node {
            id: id.clone(),
            label,
            kind: NodeKind::Step,
            cluster: None,
            critical: false,
        });
    }
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
        return;
    };
    pic.edges.push(Edge {
        from: format!("env_{}", env.name),
        to: first.clone(),
        label: Some("rolls out"),
        dashed: true,
        critical: false,
    });
    for w in ids.windows(2) {
        pic.edges.push(Edge {
            from: w[0].clone(),
            to: w[1].clone(),
            label: None,
            dashed: false,
            critical: false,
        });
    }
    pic.edges.push(Edge {
        from: last.clone(),
        to: format!("service_{}", service.name),
        label: Some("runs"),
        dashed: true,
        critical: false,
    });
    if let Some(a) = &r.analysis {
        let id = format!("{prefix}_analysis");
        pic.nodes.push(Node {
            id: id.clone(),
            label: analysis_label(a),
            kind: NodeKind::Analysis,
            cluster: None,
            critical: false,
        });
        // A canary is measured from its first step on; blue-green once it
        // has been promoted.
        let (watched, label) = match r.strategy {
            Strategy::Canary { .. } => (first, "watches every step"),
            Strategy::BlueGreen => (last, "watches after promotion"),
        };
        pic.edges.push(Edge {
            from: id,
            to: watched.clone(),
            label: Some(label),
            dashed: true,
            critical: false,
        });
    }
}

fn analysis_label(a: &Analysis) -> String {
    let mut l = format!("analysis every {}", a.interval);
    if let Some(e) = &a.error_rate {
        l.push_str(&format!("\nerror rate ≤ {}%", e.max));
    }
    if let Some(lat) = &a.latency {
        l.push_str(&format!("\np{} latency ≤ {}ms", lat.quantile, lat.max_ms));
    }
    l.push_str(&format!(
        "\n{} failed measurement(s) abort:\nback to the stable version",
        a.failure_limit + 1
    ));
    l
}
