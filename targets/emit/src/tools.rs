//! The tools both CI targets install from release archives (`tool trivy`,
//! `tool golangci_lint`, …): where each release is downloaded from, the
//! SHA-256 of the archives pipec knows — the one table of tool versions, as
//! `targets/github/src/pins.rs` is the one table of actions — and the shell
//! that downloads, checks and unpacks one.
//!
//! An archive listed in [`ARCHIVES`] is checked against its pinned
//! checksum. Another version is checked against the checksum file the
//! release publishes, or, for tools whose releases publish none, built from
//! its package registry, which checks what it downloads itself
//! (`cargo install --locked`). The versions the standard library uses are
//! all pinned here (a test of the workspace keeps them so).

use pipec_graph::Tool;

/// The SHA-256 of a release archive pipec knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Archive {
    pub tool: Tool,
    pub version: &'static str,
    /// `x64` or `arm64`.
    pub arch: &'static str,
    pub sha256: &'static str,
}

/// Archives with a known checksum.
pub const ARCHIVES: &[Archive] = &[
    // Older Trivy release archives were withdrawn from GitHub in 2026; 0.69.2
    // is the default of `std.security.trivy`.
    Archive {
        tool: Tool::Trivy,
        version: "0.69.2",
        arch: "x64",
        sha256: "affa59a1e37d86e4b8ab2cd02f0ab2e63d22f1bf9cf6a7aa326c884e25e26ce3",
    },
    Archive {
        tool: Tool::Gitleaks,
        version: "8.21.2",
        arch: "x64",
        sha256: "5bc41815076e6ed6ef8fbecc9d9b75bcae31f39029ceb55da08086315316e3ba",
    },
    Archive {
        tool: Tool::Gitleaks,
        version: "8.21.2",
        arch: "arm64",
        sha256: "654c935542c89f565aabe7bf7c6c500830f116c114f0aeb509d2460c1ac2e6da",
    },
    Archive {
        tool: Tool::GolangciLint,
        version: "2.1.6",
        arch: "x64",
        sha256: "e55e0eb515936c0fbd178bce504798a9bd2f0b191e5e357768b18fd5415ee541",
    },
    Archive {
        tool: Tool::GolangciLint,
        version: "2.1.6",
        arch: "arm64",
        sha256: "582eb73880f4408d7fb89f12b502d577bd7b0b63d8c681da92bb6b9d934d4363",
    },
    Archive {
        tool: Tool::CargoLlvmCov,
        version: "0.8.7",
        arch: "x64",
        sha256: "9a75fe29538d3800b3da57f6f6efb64cba5c720a257bf0cb8b51f39d495a9168",
    },
    Archive {
        tool: Tool::CargoLlvmCov,
        version: "0.8.7",
        arch: "arm64",
        sha256: "8f399d84993d13998b63fbe1084377713c719b00655c7d88d5b56c8c29105d90",
    },
];

/// The known checksum of a tool's archive, if any.
pub fn archive(tool: Tool, version: &str, arch: &str) -> Option<&'static Archive> {
    ARCHIVES
        .iter()
        .find(|a| a.tool == tool && a.version == version && a.arch == arch)
}

/// How a tool's releases are laid out, in shell text reading `$version`.
struct Release {
    /// The folder of the release's files.
    url: String,
    /// The archive (or program) for the architecture.
    file: String,
    /// How a version without a pinned checksum is checked.
    unpinned: Unpinned,
    /// The program inside the archive, and the folders above it; `None`
    /// when the download is the program itself.
    member: Option<(String, u8)>,
    /// The program's name.
    program: &'static str,
}

enum Unpinned {
    /// A checksum file of the release, listing `SHA256  FILE`.
    ChecksumFile(String),
    /// `FILE.sha256` beside the download, holding only the checksum.
    SideFile,
    /// No checksums published: built from the tool's package registry.
    Registry(&'static str),
}

/// The tools installed from release archives; `None` for runtimes.
fn release(tool: Tool, arch: &str) -> Option<Release> {
    let arm = arch == "arm64";
    Some(match tool {
        Tool::Trivy => {
            let a = if arm { "ARM64" } else { "64bit" };
            Release {
                url: "https://github.com/aquasecurity/trivy/releases/download/v${version}".into(),
                file: format!("trivy_${{version}}_Linux-{a}.tar.gz"),
                unpinned: Unpinned::ChecksumFile("trivy_${version}_checksums.txt".into()),
                member: Some(("trivy".into(), 0)),
                program: "trivy",
            }
        }
        Tool::Gitleaks => Release {
            url: "https://github.com/gitleaks/gitleaks/releases/download/v${version}".into(),
            file: format!("gitleaks_${{version}}_linux_{arch}.tar.gz"),
            unpinned: Unpinned::ChecksumFile("gitleaks_${version}_checksums.txt".into()),
            member: Some(("gitleaks".into(), 0)),
            program: "gitleaks",
        },
        Tool::Kubectl => {
            let a = if arm { "arm64" } else { "amd64" };
            Release {
                url: "https://dl.k8s.io/release/v${version}/bin/linux".into(),
                file: format!("{a}/kubectl"),
                unpinned: Unpinned::SideFile,
                member: None,
                program: "kubectl",
            }
        }
        Tool::GolangciLint => {
            let a = if arm { "arm64" } else { "amd64" };
            let folder = format!("golangci-lint-${{version}}-linux-{a}");
            Release {
                url: "https://github.com/golangci/golangci-lint/releases/download/v${version}"
                    .into(),
                file: format!("{folder}.tar.gz"),
                unpinned: Unpinned::ChecksumFile("golangci-lint-${version}-checksums.txt".into()),
                member: Some((format!("{folder}/golangci-lint"), 1)),
                program: "golangci-lint",
            }
        }
        Tool::CargoLlvmCov => {
            let a = if arm { "aarch64" } else { "x86_64" };
            Release {
                url: "https://github.com/taiki-e/cargo-llvm-cov/releases/download/v${version}"
                    .into(),
                file: format!("cargo-llvm-cov-{a}-unknown-linux-gnu.tar.gz"),
                unpinned: Unpinned::Registry("cargo-llvm-cov"),
                member: Some(("cargo-llvm-cov".into(), 0)),
                program: "cargo-llvm-cov",
            }
        }
        Tool::Python | Tool::Node | Tool::Go | Tool::Java | Tool::Rust => return None,
    })
}

/// Whether the tool is installed from a release archive.
pub fn from_archive(tool: Tool) -> bool {
    release(tool, "x64").is_some()
}

/// The shell that installs `tool` into `$dir/bin` on a Linux machine of
/// `arch` (`x64` or `arm64`). `version` is the version as one shell word
/// (`"1.2.3"`, or `"$VAR"` for a value of the run); `pinned` is the version when
/// it is known before the run. The script starts with `set -eu`, sets
/// `dir` to `dir` (shell text) and leaves the working directory there; the
/// caller puts `$dir/bin` on the path. `None` for runtimes.
pub fn install_script(
    tool: Tool,
    version: &str,
    pinned: Option<&str>,
    arch: &str,
    dir: &str,
) -> Option<String> {
    let r = release(tool, arch)?;
    let known = pinned.and_then(|v| archive(tool, v, arch));
    let name = r.program;
    let mut s = String::from("set -eu\n");
    s.push_str(&format!("version={version}\n"));
    s.push_str(&format!(
        "dir=\"{dir}\"\nmkdir -p \"$dir/bin\"\ncd \"$dir\"\n"
    ));
    if let (None, Unpinned::Registry(krate)) = (known, &r.unpinned) {
        // No checksum to check a download against: the registry checks the
        // sources it builds from.
        s.push_str(&format!(
            "cargo install {krate} --version \"$version\" --locked --root \"$dir\"\n"
        ));
        return Some(s);
    }
    let (url, file) = (&r.url, &r.file);
    s.push_str(&format!(
        "curl -fsSL --retry 3 -o {name}.download \"{url}/{file}\"\n"
    ));
    match (known, &r.unpinned) {
        (Some(a), _) => s.push_str(&format!(
            "echo \"{}  {name}.download\" | sha256sum --check --strict\n",
            a.sha256
        )),
        (None, Unpinned::SideFile) => s.push_str(&format!(
            "echo \"$(curl -fsSL --retry 3 \"{url}/{file}.sha256\")  {name}.download\" | sha256sum --check --strict\n"
        )),
        (None, Unpinned::ChecksumFile(sums)) => s.push_str(&format!(
            "curl -fsSL --retry 3 -o checksums.txt \"{url}/{sums}\"\nexpected=\"$(grep \" {file}\\$\" checksums.txt | cut -d ' ' -f 1)\"\n[ -n \"$expected\" ] || {{ echo \"pipec: no checksum for {file}\" >&2; exit 1; }}\necho \"$expected  {name}.download\" | sha256sum --check --strict\n"
        )),
        (None, Unpinned::Registry(_)) => unreachable!("handled above"),
    }
    match &r.member {
        None => s.push_str(&format!("install -m 0755 {name}.download bin/{name}\n")),
        Some((member, 0)) => s.push_str(&format!("tar -xzf {name}.download -C bin {member}\n")),
        Some((member, strip)) => s.push_str(&format!(
            "tar -xzf {name}.download -C bin --strip-components={strip} {member}\n"
        )),
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_have_sha256_checksums_of_archive_tools() {
        for a in ARCHIVES {
            assert!(
                a.sha256.len() == 64
                    && a.sha256
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{a:?}"
            );
            assert!(matches!(a.arch, "x64" | "arm64"), "{a:?}");
            assert!(from_archive(a.tool), "{a:?}");
        }
    }

    #[test]
    fn runtimes_are_not_archives() {
        for (_, t) in Tool::ALL {
            assert_eq!(from_archive(t), !t.is_runtime(), "{t:?}");
        }
    }

    #[test]
    fn pinned_versions_are_checked_against_the_table() {
        let s = install_script(Tool::GolangciLint, "\"2.1.6\"", Some("2.1.6"), "x64", "/t")
            .expect("an archive tool");
        assert!(s.contains("e55e0eb515936c0fbd178bce504798a9bd2f0b191e5e357768b18fd5415ee541"));
        assert!(s.contains("--strip-components=1"));
        let s = install_script(Tool::CargoLlvmCov, "\"$V\"", None, "x64", "/t").expect("archive");
        assert!(s.contains("cargo install cargo-llvm-cov --version \"$version\" --locked"));
        assert!(install_script(Tool::Rust, "\"1.85\"", Some("1.85"), "x64", "/t").is_none());
    }
}
