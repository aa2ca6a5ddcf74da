//! The pipeline graph: a `.pipe` program after names are resolved, types checked
//! and templates expanded. It is the only input of every target.
//!
//! - [`program`]: the program and its pipelines, triggers and job graph;
//!   [`job`]: what jobs run; [`release`]: images and publish rules;
//!   [`deploy`]: environments, services, GitOps; [`rollout`]: canary and
//!   blue-green with their analysis; [`helm`]: services deployed from a
//!   Helm chart; [`workload`]: what kind of workload a service is (HTTP,
//!   worker, CronJob); [`policy`]: delivery policy;
//! - [`cond`]: run-time conditions (branch, tag, event, inputs);
//! - [`value`]: typed values with units, and [`value::Text`], strings whose parts
//!   are known only at run time;
//! - [`analysis`]: cycles, jobs that can never run; [`estimate`]: how long
//!   a push takes until CI is done and until each environment runs it.
//!
//! Each job is a node of a petgraph `DiGraph` owned by its pipeline; an edge
//! records why one job waits for another ([`program::Edge`]).

/// An enum whose variants are written in programs by name: declares it with
/// `ALL`, every `(name, variant)` pair in order, and `name()`.
macro_rules! named {
    (
        $(#[$meta:meta])*
        pub enum $T:ident {
            $( $(#[$vmeta:meta])* $V:ident = $name:literal, )*
        }
    ) => {
        $(#[$meta])*
        pub enum $T {
            $( $(#[$vmeta])* $V, )*
        }

        impl $T {
            pub const ALL: [(&'static str, $T); [$($name),*].len()] = [$(($name, $T::$V)),*];

            pub fn name(self) -> &'static str {
                match self {
                    $( $T::$V => $name, )*
                }
            }
        }
    };
}

pub mod analysis;
pub mod cond;
pub mod deploy;
pub mod estimate;
pub mod helm;
pub mod job;
pub mod policy;
pub mod program;
pub mod release;
pub mod rollout;
pub mod value;
pub mod workload;

pub use cond::{Cond, Event, Run};
pub use deploy::*;
pub use helm::*;
pub use job::*;
pub use pipec_diagnostics::Span;
pub use policy::*;
pub use program::*;
pub use release::*;
pub use rollout::*;
pub use value::*;
pub use workload::*;
