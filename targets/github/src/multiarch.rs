//! Images for several platforms on GitHub Actions: one build job under QEMU
//! and Buildx pushes the manifest list to the repository's own packages
//! (`ghcr.io/<owner>/<repository>/pipec-ci/<image>:<commit>`) and hands it
//! on by digest. A manifest list cannot be `docker load`ed, so the jobs after
//! the build read the registry instead of an archive: Trivy scans the list,
//! jobs that run the image pull it (their runner's platform), and a publish
//! job copies the list, every platform, to its registry
//! (`pipec_emit::release::Source::Registry`) — what was scanned is what ships.
//!
//! The build job needs `packages: write` for that push. A pull request from
//! a fork gets a read-only token, so its build cannot hand the list on
//! (docs/targets/github.md, "Multi-platform images").

use pipec_diagnostics::code;
use pipec_emit::{Map, Yaml, platforms};
use pipec_graph::{Image, ImageId};

use crate::permissions::Level;
use crate::pins;
use crate::steps;
use crate::workflow::Lower;

/// The step of the build job naming the list it pushes.
pub const STAGING_STEP: &str = "staging";
/// The build step, whose `digest` output is the list's.
pub const BUILD_STEP: &str = "build";
/// The step that hands the list on as the job output `image`.
pub const IMAGE_STEP: &str = "image";

/// The variable a job reads the list's `<reference>@<digest>` from.
pub fn source_var(image: &Image) -> String {
    format!("PIPEC_IMAGE_SOURCE_{}", image.name.to_ascii_uppercase())
}

impl Lower<'_> {
    /// Whether jobs read this image from the registry rather than an archive.
    pub fn is_list(&self, id: ImageId) -> bool {
        platforms::is_list(&self.program.image(id).platforms)
    }

    /// `${{ needs.<build>.outputs.image }}` for a list.
    pub fn list_ref(&self, id: ImageId) -> String {
        let build = self.pipeline.job(self.program.image(id).job);
        format!("${{{{ needs.{}.outputs.{IMAGE_STEP} }}}}", build.name)
    }

    /// QEMU for the platforms the runner does not run natively, with the
    /// emulators pinned by digest; an error for a platform there is none for
    /// (reported by the build job, whose step this is).
    pub fn emulation(&mut self, image: &Image) -> Option<Map> {
        self.unbuildable(image);
        emulation_step(image)
    }

    fn unbuildable(&mut self, image: &Image) {
        self.diags.extend(platforms::unbuildable(
            image,
            "GitHub Actions",
            code::GITHUB_PLATFORM,
            "the x86 runners build",
        ));
    }
}

/// The step that registers QEMU's emulators, if the image needs them.
pub fn emulation_step(image: &Image) -> Option<Map> {
    if !platforms::needs_emulation(&image.platforms) {
        return None;
    }
    let mut with = Map::new();
    with.insert("image", platforms::BINFMT);
    with.insert(
        "platforms",
        platforms::emulators(&image.platforms).join(","),
    );
    // The emulators come from the pinned image, never from a cache another
    // run wrote.
    with.insert("cache-image", false);
    Some(steps::uses("Set up QEMU", &pins::SETUP_QEMU, with))
}

impl Lower<'_> {
    /// The steps before a list's build: log in to ghcr.io with the job's
    /// token and name the list after the repository (lowercase, as ghcr.io
    /// requires) and the commit.
    pub fn staging_steps(
        &mut self,
        image: &Image,
        cond: Option<&str>,
        body: &mut crate::job::Body,
    ) {
        body.permissions.grant(
            "packages",
            Level::Write,
            "push the manifest list the jobs after it read",
        );
        body.steps.push(steps::uses_when(
            "Log in to ghcr.io",
            cond,
            &pins::LOGIN,
            crate::image::ghcr_login(),
        ));
        body.steps.push(steps::run_with_id(
            &format!("Name the manifest list of {}", image.name),
            Some(STAGING_STEP),
            cond,
            format!(
                "printf 'ref=ghcr.io/%s/pipec-ci/{}:%s\\n' \"$(printf '%s' \"$GITHUB_REPOSITORY\" | tr '[:upper:]' '[:lower:]')\" \"$GITHUB_SHA\" >> \"$GITHUB_OUTPUT\"",
                image.name
            ),
            &[],
        ));
    }

    /// The step that hands the list on, and the job's `outputs:`.
    pub fn hand_over(
        &mut self,
        image: &Image,
        commit_step: Option<&str>,
        body: &mut crate::job::Body,
    ) {
        let mut env = vec![
            (
                "PIPEC_STAGING".to_string(),
                format!("${{{{ steps.{STAGING_STEP}.outputs.ref }}}}"),
            ),
            (
                "PIPEC_DIGEST".to_string(),
                format!("${{{{ steps.{BUILD_STEP}.outputs.digest }}}}"),
            ),
        ];
        if let Some(step) = commit_step {
            env.insert(
                0,
                (
                    "PIPEC_COMMIT_IMAGE".to_string(),
                    format!("${{{{ steps.{step}.outputs.image }}}}"),
                ),
            );
        }
        body.steps.push(steps::run_with_id(
            &format!("Hand on the manifest list of {}", image.name),
            Some(IMAGE_STEP),
            None,
            pipec_emit::release::hand_over_script(),
            &env,
        ));
        body.outputs = Some(pipec_emit::yaml::map([(
            IMAGE_STEP,
            pipec_emit::Yaml::from(format!(
                "${{{{ steps.{IMAGE_STEP}.outputs.{IMAGE_STEP} }}}}"
            )),
        )]));
    }

    /// The steps of a job that reads a list built earlier: log in to read the
    /// repository's packages, and, unless the job reads the registry itself
    /// (Trivy), pull the list (the runner's platform) under the image's name
    /// in the pipeline.
    pub fn list_steps(&mut self, id: ImageId, pull: bool, body: &mut crate::job::Body) {
        let image = self.program.image(id);
        let build = self.pipeline.job(image.job).name.clone();
        if !body.extra_needs.contains(&build) {
            body.extra_needs.push(build);
        }
        body.permissions.grant(
            "packages",
            Level::Read,
            "read the manifest list the build pushed",
        );
        let logged_in = body
            .steps
            .iter()
            .any(|s| matches!(s.get("name"), Some(Yaml::Str(n)) if n == "Log in to ghcr.io"));
        if !logged_in {
            body.steps.push(steps::uses(
                "Log in to ghcr.io",
                &pins::LOGIN,
                crate::image::ghcr_login(),
            ));
        }
        if pull {
            let var = source_var(image);
            body.steps.push(steps::run(
                &format!("Pull image {}", image.name),
                format!(
                    "docker pull \"${var}\"\ndocker tag \"${var}\" {}",
                    pipec_emit::release::sh_quote(&image.local_ref())
                ),
                &[(var.clone(), self.list_ref(id))],
            ));
        }
    }
}
