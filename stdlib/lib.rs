//! The standard library: job and image templates written in `.pipe` itself.
//!
//! The files next to this one are embedded into the compiler; `use std.python`
//! loads `python.pipe` under the virtual name `<std>/python.pipe`, so a
//! diagnostic inside a template still shows its source.

/// A standard-library module: its name after `std.` and its source.
pub struct Module {
    pub name: &'static str,
    pub source: &'static str,
}

impl Module {
    /// The name diagnostics show for the module's file.
    pub fn path(&self) -> String {
        format!("<std>/{}.pipe", self.name)
    }
}

pub static MODULES: &[Module] = &[
    Module {
        name: "container",
        source: include_str!("container.pipe"),
    },
    Module {
        name: "docker",
        source: include_str!("docker.pipe"),
    },
    Module {
        name: "go",
        source: include_str!("go.pipe"),
    },
    Module {
        name: "jvm",
        source: include_str!("jvm.pipe"),
    },
    Module {
        name: "node",
        source: include_str!("node.pipe"),
    },
    Module {
        name: "notify",
        source: include_str!("notify.pipe"),
    },
    Module {
        name: "python",
        source: include_str!("python.pipe"),
    },
    Module {
        name: "rust",
        source: include_str!("rust.pipe"),
    },
    Module {
        name: "security",
        source: include_str!("security.pipe"),
    },
];

pub fn module(name: &str) -> Option<&'static Module> {
    MODULES.iter().find(|m| m.name == name)
}
