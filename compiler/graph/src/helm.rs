//! A service deployed from a Helm chart instead of the generated Kustomize
//! base: where the chart comes from, its exact version, the release name,
//! and where in the chart's values each part of what the program says about
//! the service is written.

use serde::Serialize;

use crate::Span;

/// `helm { … }` of a service.
#[derive(Debug, Clone, Serialize)]
pub struct Helm {
    pub repo: ChartRepo,
    pub chart: String,
    /// One exact semantic version: a chart is pinned like an image digest.
    pub version: String,
    /// The Helm release name (`.Release.Name` in the chart's templates).
    pub release: String,
    /// Where each part is written, as key paths (`["image"]`,
    /// `["service", "port"]`), every part present, in `ValuesPart::ALL`
    /// order.
    pub keys: Vec<(ValuesPart, Vec<String>)>,
    #[serde(skip)]
    pub span: Span,
}

impl Helm {
    /// The key path a part is written at.
    pub fn key(&self, part: ValuesPart) -> &[String] {
        self.keys
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }
}

/// Where a chart is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartRepo {
    /// A chart repository served over HTTPS (an `index.yaml` beside the
    /// charts): `https://charts.example.com`.
    Https(String),
    /// An OCI registry, without its `oci://` scheme: `ghcr.io/acme/charts`.
    Oci(String),
}

impl ChartRepo {
    /// The address as the program writes it.
    pub fn url(&self) -> String {
        match self {
            ChartRepo::Https(u) => u.clone(),
            ChartRepo::Oci(r) => format!("oci://{r}"),
        }
    }
}

named! {
    /// A part of what the program says about a service, written into the
    /// chart's values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ValuesPart {
        /// `repository` and `tag` under the key.
        Image = "image",
        /// The port the container listens on.
        Port = "port",
        /// The pod count of an environment that does not autoscale.
        Replicas = "replicas",
        /// `enabled`, `minReplicas`, `maxReplicas` and the utilisation targets.
        Autoscale = "autoscale",
        /// `requests` and `limits`.
        Resources = "resources",
        /// The configuration values, as a list of `name`/`value` pairs.
        Env = "env",
        /// `enabled`, `className`, `hosts` and `tls`.
        Ingress = "ingress",
        /// The pull secrets, as a list of `name`s.
        PullSecrets = "pull_secrets",
    }
}

impl ValuesPart {
    /// Where a part goes in the layout of the chart `helm create` writes,
    /// which most charts follow.
    pub fn default_key(self) -> &'static str {
        match self {
            ValuesPart::Image => "image",
            ValuesPart::Port => "service.port",
            ValuesPart::Replicas => "replicaCount",
            ValuesPart::Autoscale => "autoscaling",
            ValuesPart::Resources => "resources",
            ValuesPart::Env => "env",
            ValuesPart::Ingress => "ingress",
            ValuesPart::PullSecrets => "imagePullSecrets",
        }
    }

    /// The keys a part writes below its own key (`repository` and `tag` of
    /// the image); empty when it writes the key itself.
    pub fn leaves(self) -> &'static [&'static str] {
        match self {
            ValuesPart::Image => &["repository", "tag"],
            _ => &[],
        }
    }
}
