//! The platforms both CI targets build images for, and the emulator that
//! lets an x86 runner build the others.
//!
//! A build for a platform other than the runner's runs the image's `RUN`
//! steps under QEMU, registered with the kernel by `tonistiigi/binfmt`; an
//! image for several platforms is a manifest list, which only a registry
//! holds (Docker's image store keeps one platform per tag), so both targets
//! hand it to later jobs by digest.

/// The QEMU emulators, by digest (refresh with `docker buildx imagetools
/// inspect tonistiigi/binfmt:qemu-vX.Y.Z`).
pub const BINFMT: &str = "tonistiigi/binfmt:qemu-v10.2.3@sha256:400a4873b838d1b89194d982c45e5fb3cda4593fbfd7e08a02e76b03b21166f0";

/// BuildKit in a container of its own: the Docker daemon's built-in builder
/// cannot build several platforms into one manifest list.
pub const BUILDKIT: &str =
    "moby/buildkit:v0.31.2@sha256:2f5adac4ecd194d9f8c10b7b5d7bceb5186853db1b26e5abd3a657af0b7e26ec";

/// The platforms the hosted runners build for: natively (`linux/amd64`), or
/// under one of `BINFMT`'s emulators.
pub const BUILDABLE: &[&str] = &[
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "linux/arm/v6",
    "linux/386",
    "linux/ppc64le",
    "linux/s390x",
    "linux/riscv64",
    "linux/mips64le",
    "linux/mips64",
    "linux/loong64",
];

/// The runners' own platform, built without emulation.
pub const NATIVE: &str = "linux/amd64";

/// Whether a platform can be built: `linux/arm64/v8` is `linux/arm64`.
pub fn buildable(platform: &str) -> bool {
    let p = platform.strip_suffix("/v8").unwrap_or(platform);
    BUILDABLE.contains(&p)
}

/// Whether building for `platforms` needs the emulators.
pub fn needs_emulation(platforms: &[String]) -> bool {
    platforms.iter().any(|p| p != NATIVE)
}

/// The emulators `BINFMT` installs for `platforms` (`arm64`, `arm` for
/// `linux/arm/v7`), the runner's own platform left out.
pub fn emulators(platforms: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in platforms.iter().filter(|p| p.as_str() != NATIVE) {
        let arch = p.trim_start_matches("linux/");
        let arch = arch.split('/').next().unwrap_or(arch).to_string();
        if !out.contains(&arch) {
            out.push(arch);
        }
    }
    out
}

/// The errors of a target (`"GitHub Actions"`, its `code`) for the
/// platforms of `image` no emulator builds.
pub fn unbuildable(
    image: &pipec_graph::Image,
    target: &str,
    code: pipec_diagnostics::Code,
    who: &str,
) -> Vec<pipec_diagnostics::Diagnostic> {
    image
        .platforms
        .iter()
        .filter(|p| !buildable(p))
        .map(|p| {
            pipec_diagnostics::Diagnostic::new(
                code,
                image.span,
                format!("{target} cannot build image `{}` for `{p}`", image.name),
            )
            .label(format!(
                "{who} other platforms under QEMU, which has no emulator for it"
            ))
            .help(format!(
                "build for the platforms QEMU emulates: {}",
                BUILDABLE.join(", ")
            ))
        })
        .collect()
}

/// The platforms of the manifest lists a script reads as `{{ image.source }}`
/// (Trivy), in order, without repeats.
pub fn scanned_platforms(
    program: &pipec_graph::Program,
    script: &pipec_graph::Text,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in &script.parts {
        if let pipec_graph::Part::ImageSource(name) = part
            && let Some(image) = program.image_named(name)
            && is_list(&image.platforms)
        {
            for p in &image.platforms {
                if !out.contains(p) {
                    out.push(p.clone());
                }
            }
        }
    }
    out
}

/// A script that reads a manifest list (Trivy scans one platform of a
/// list, the runner's, unless told another), run once per platform of the
/// list with `TRIVY_PLATFORM` set, so that every image the list holds is
/// scanned.
pub fn per_platform(script: &str, platforms: &[String]) -> String {
    if platforms.is_empty() {
        return script.to_string();
    }
    let words: Vec<String> = platforms
        .iter()
        .map(|p| crate::release::sh_quote(p))
        .collect();
    format!(
        "for pipec_platform in {}; do\n\
         echo \"pipec: the $pipec_platform image of the manifest list\"\n\
         export TRIVY_PLATFORM=\"$pipec_platform\"\n\
         {}\n\
         done\n",
        words.join(" "),
        script.trim_end_matches('\n')
    )
}

/// Whether an image is a manifest list of several platforms.
pub fn is_list(platforms: &[String]) -> bool {
    platforms.len() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_by_digest() {
        for image in [BINFMT, BUILDKIT] {
            let (_, digest) = image.split_once("@sha256:").expect("pinned");
            assert_eq!(digest.len(), 64, "{image}");
        }
    }

    #[test]
    fn arm64_variants_are_buildable() {
        assert!(buildable("linux/arm64/v8"));
        assert!(buildable("linux/arm/v7"));
        assert!(!buildable("linux/sparc64"));
        assert!(!needs_emulation(&["linux/amd64".to_string()]));
        assert!(needs_emulation(&["linux/arm64".to_string()]));
        let ps: Vec<String> = ["linux/amd64", "linux/arm/v7", "linux/arm/v6", "linux/arm64"]
            .map(String::from)
            .to_vec();
        assert_eq!(emulators(&ps), ["arm", "arm64"]);
    }
}
