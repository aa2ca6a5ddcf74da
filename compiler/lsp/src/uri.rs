//! Document addresses: `file:` URIs of the program's files, and the
//! `pipec-std:` URIs of the embedded standard library, which editors show as
//! read-only virtual documents (their text comes from the server's
//! `pipec/virtualDocument` request).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The scheme of standard-library documents: `pipec-std://std/python.pipe`.
/// The authority (`//std`) keeps the address a URL in every editor: Vim
/// takes a name without `://` for a relative file path, and VS Code writes
/// an empty authority back without its `//`.
pub const STD_SCHEME: &str = "pipec-std";

/// Where a document lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    File(PathBuf),
    /// A standard-library module, by name (`python`).
    Std(&'static str),
}

impl Address {
    pub fn of(uri: &Uri) -> Option<Address> {
        let s = uri.as_str();
        if let Some(rest) = s.strip_prefix(STD_SCHEME).and_then(|r| r.strip_prefix(':')) {
            let rest = rest.trim_start_matches('/');
            let name = rest
                .strip_prefix("std/")
                .unwrap_or(rest)
                .strip_suffix(".pipe")?;
            return pipec_stdlib::module(name).map(|m| Address::Std(m.name));
        }
        let rest = s.strip_prefix("file://")?;
        // `file://host/path` names another machine; only the local host is ours.
        let path = match rest.find('/') {
            Some(0) => rest,
            Some(i) if &rest[..i] == "localhost" => &rest[i..],
            _ => return None,
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        Some(Address::File(PathBuf::from(percent_decode(path)?)))
    }

    pub fn uri(&self) -> Uri {
        let text = match self {
            Address::File(p) => format!("file://{}", percent_encode(p)),
            Address::Std(name) => format!("{STD_SCHEME}://std/{name}.pipe"),
        };
        // Every character outside the unreserved set and `/` is escaped, so
        // the text is a valid URI.
        Uri::from_str(&text).unwrap_or_else(|_| fallback())
    }

    /// The address of a source of a check, by the name the checker gave it:
    /// a path, or `<std>/NAME.pipe`.
    pub fn of_source(name: &str, is_virtual: bool) -> Option<Address> {
        if is_virtual {
            let module = name.strip_prefix("<std>/")?.strip_suffix(".pipe")?;
            return pipec_stdlib::module(module).map(|m| Address::Std(m.name));
        }
        Some(Address::File(PathBuf::from(name)))
    }

    pub fn path(&self) -> Option<&Path> {
        match self {
            Address::File(p) => Some(p),
            Address::Std(_) => None,
        }
    }
}

fn fallback() -> Uri {
    Uri::from_str("file:///").expect("a valid URI")
}

fn percent_encode(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_round_trip() {
        for p in ["/work/a b/ci.pipe", "/tmp/ünï#cöde%.pipe", "/x"] {
            let a = Address::File(PathBuf::from(p));
            assert_eq!(
                Address::of(&a.uri()),
                Some(a.clone()),
                "{}",
                a.uri().as_str()
            );
        }
        let vscode = Uri::from_str("file:///c%3A/Users/x/ci.pipe").unwrap();
        assert_eq!(
            Address::of(&vscode),
            Some(Address::File(PathBuf::from("/c:/Users/x/ci.pipe")))
        );
        let remote = Uri::from_str("file://server/share/ci.pipe").unwrap();
        assert_eq!(Address::of(&remote), None);
    }

    #[test]
    fn std_uris_name_modules() {
        let a = Address::Std("python");
        assert_eq!(a.uri().as_str(), "pipec-std://std/python.pipe");
        assert_eq!(Address::of(&a.uri()), Some(a.clone()));
        // The short form too, as a client may write it.
        let short = Uri::from_str("pipec-std:/python.pipe").unwrap();
        assert_eq!(Address::of(&short), Some(a));
        assert_eq!(
            Address::of_source("<std>/docker.pipe", true),
            Some(Address::Std("docker"))
        );
        let unknown = Uri::from_str("pipec-std://std/nothing.pipe").unwrap();
        assert_eq!(Address::of(&unknown), None);
    }
}
