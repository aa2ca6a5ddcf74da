//! Every third-party action and downloaded tool the generated workflows use,
//! pinned in one place.
//!
//! Actions are referenced by the full commit SHA of a release tag, with the
//! tag as a trailing comment (`uses: actions/checkout@<sha> # v5.0.0`), so a
//! moved tag cannot change what runs. Tools installed from release archives
//! carry the SHA-256 of the archive, in [`pipec_emit::tools`]. How to refresh both is described in
//! `docs/targets/github.md` ("Refreshing the pins").

/// An action at a release, by the commit the release tag points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// `owner/repository` (and a path for actions in subfolders).
    pub action: &'static str,
    /// The full 40-hex commit SHA of `version`.
    pub sha: &'static str,
    /// The release tag, written as the comment after `uses:`.
    pub version: &'static str,
}

impl Pin {
    /// The value of `uses:`.
    pub fn uses(&self) -> String {
        format!("{}@{}", self.action, self.sha)
    }
}

pub const CHECKOUT: Pin = Pin {
    action: "actions/checkout",
    sha: "08c6903cd8c0fde910a37f88322edcfb5dd907a8",
    version: "v5.0.0",
};
pub const SETUP_PYTHON: Pin = Pin {
    action: "actions/setup-python",
    sha: "e797f83bcb11b83ae66e0230d6156d7c80228e7c",
    version: "v6.0.0",
};
pub const SETUP_NODE: Pin = Pin {
    action: "actions/setup-node",
    sha: "a0853c24544627f65ddf259abe73b1d18a591444",
    version: "v5.0.0",
};
pub const SETUP_GO: Pin = Pin {
    action: "actions/setup-go",
    sha: "44694675825211faa026b3c33043df3e48a5fa00",
    version: "v6.0.0",
};
pub const SETUP_JAVA: Pin = Pin {
    action: "actions/setup-java",
    sha: "dded0888837ed1f317902acf8a20df0ad188d165",
    version: "v5.0.0",
};
pub const CACHE: Pin = Pin {
    action: "actions/cache",
    sha: "0057852bfaa89a56745cba8c7296529d2fc39830",
    version: "v4.3.0",
};
pub const UPLOAD_ARTIFACT: Pin = Pin {
    action: "actions/upload-artifact",
    sha: "330a01c490aca151604b8cf639adc76d48f6c5d4",
    version: "v5.0.0",
};
pub const DOWNLOAD_ARTIFACT: Pin = Pin {
    action: "actions/download-artifact",
    sha: "634f93cb2916e3fdff6788551b99b062d0335ce0",
    version: "v5.0.0",
};
pub const SETUP_BUILDX: Pin = Pin {
    action: "docker/setup-buildx-action",
    sha: "e468171a9de216ec08956ac3ada2f0791b6bd435",
    version: "v3.11.1",
};
pub const SETUP_QEMU: Pin = Pin {
    action: "docker/setup-qemu-action",
    sha: "c7c53464625b32c7a7e944ae62b3e17d2b600130",
    version: "v3.7.0",
};
pub const BUILD_PUSH: Pin = Pin {
    action: "docker/build-push-action",
    sha: "263435318d21b8e681c14492fe198d362a7d2c83",
    version: "v6.18.0",
};
pub const LOGIN: Pin = Pin {
    action: "docker/login-action",
    sha: "184bdaa0721073962dff0199f1fb9940f07167d1",
    version: "v3.5.0",
};
pub const PYPI_PUBLISH: Pin = Pin {
    action: "pypa/gh-action-pypi-publish",
    sha: "76f52bc884231f62b9a034ebfe128415bbaabdfc",
    version: "v1.12.4",
};

/// Every pinned action.
pub const ACTIONS: &[Pin] = &[
    CHECKOUT,
    SETUP_PYTHON,
    SETUP_NODE,
    SETUP_GO,
    SETUP_JAVA,
    CACHE,
    UPLOAD_ARTIFACT,
    DOWNLOAD_ARTIFACT,
    SETUP_BUILDX,
    SETUP_QEMU,
    BUILD_PUSH,
    LOGIN,
    PYPI_PUBLISH,
];

/// The checksums of the tools installed from release archives live beside
/// the shell both CI targets install them with.
pub use pipec_emit::tools::{ARCHIVES, Archive, archive};

#[cfg(test)]
mod tests {
    use super::*;

    fn is_hex(s: &str, len: usize) -> bool {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn actions_are_pinned_to_full_shas_with_release_tags() {
        for p in ACTIONS {
            assert!(
                is_hex(p.sha, 40),
                "{}: `{}` is not a 40-hex SHA",
                p.action,
                p.sha
            );
            let v = p.version.strip_prefix('v').unwrap_or("");
            let parts: Vec<&str> = v.split('.').collect();
            assert!(
                parts.len() == 3
                    && parts
                        .iter()
                        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
                "{}: `{}` is not a vX.Y.Z tag",
                p.action,
                p.version
            );
            assert_eq!(p.action.split('/').count(), 2, "{}", p.action);
        }
        let mut names: Vec<&str> = ACTIONS.iter().map(|p| p.action).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len(), "an action is pinned twice");
    }
}
