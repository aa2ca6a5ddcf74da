//! Images the pipeline builds and the rules that publish them: registry,
//! condition and tags.

use serde::Serialize;

use crate::Span;
use crate::cond::Cond;
use crate::program::{ImageId, JobId, PipelineId, PublishId};
use crate::value::*;

/// A container image the pipeline builds.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub id: ImageId,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub pipeline: PipelineId,
    /// The job that builds it.
    pub job: JobId,
    pub dockerfile: Text,
    pub context: Text,
    /// The multi-stage build target, if not the last stage.
    pub target: Option<Text>,
    pub build_args: Vec<(String, Text)>,
    pub platforms: Vec<String>,
}

impl Image {
    /// The archive the build job hands to later jobs.
    pub fn archive(&self) -> String {
        format!("{}.tar", self.name)
    }

    /// The tag the image has inside the pipeline before it is published.
    pub fn local_ref(&self) -> String {
        format!("{}:ci", self.name)
    }
}

/// Where and how an image is pushed.
#[derive(Debug, Clone, Serialize)]
pub struct Publish {
    pub id: PublishId,
    pub image: ImageId,
    #[serde(skip)]
    pub span: Span,
    pub registry: Registry,
    /// Pushes happen only when this holds.
    pub when: Cond,
    pub tags: Vec<TagRule>,
    /// The job that pushes.
    pub job: JobId,
    /// Whether builds share a layer cache kept in the registry.
    pub layer_cache: bool,
}

impl Publish {
    /// The full image name without tag: `ghcr.io/acme/api`.
    pub fn image_name(&self) -> String {
        self.registry.image_name()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registry {
    pub kind: RegistryKind,
    /// `ghcr.io`, `docker.io`, `registry.example.com`; empty for GitLab's own
    /// registry, whose address is known only in the pipeline.
    pub host: String,
    /// `acme/api`; empty for GitLab's own registry (the project's path).
    pub repository: String,
    pub username: Option<Credential>,
    pub password: Option<Credential>,
}

impl Registry {
    pub fn image_name(&self) -> String {
        match self.kind {
            RegistryKind::DockerHub => format!("docker.io/{}", self.repository),
            _ if self.host.is_empty() => self.repository.clone(),
            _ => format!("{}/{}", self.host, self.repository),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    Ghcr,
    DockerHub,
    /// The GitLab project's container registry.
    GitLab,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    Literal(String),
    Secret(SecretRef),
}

/// One tag pushed for an image, when `when` holds (in addition to the publish
/// condition).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagRule {
    pub kind: TagKind,
    pub when: Cond,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TagKind {
    /// `sha-<short sha>`
    Sha,
    /// The branch name (branch runs only).
    Branch,
    /// `<branch>-<short sha>` (branch runs only).
    BranchSha,
    /// From a SemVer git tag `vX.Y.Z`, or `PREFIXvX.Y.Z` for a tag pattern
    /// `PREFIX*`: `X.Y.Z`, `X.Y` and `X` (tag runs only).
    Semver,
    /// The git tag as is (tag runs only).
    GitTag,
    /// `latest`.
    Latest,
    /// A tag written in the program, which may hold values of the run
    /// (`"nightly-{{ ci.run_id }}"`).
    Literal(Text),
}

impl TagKind {
    /// Tags that always name the same image: safe to deploy.
    pub fn is_immutable(&self) -> bool {
        matches!(
            self,
            TagKind::Sha | TagKind::BranchSha | TagKind::Semver | TagKind::GitTag
        )
    }
}
