//! The picture in Graphviz DOT and in Mermaid.

use std::fmt::Write;

use super::{NodeKind, Picture};

const CRITICAL: &str = "#c62828";

/// A DOT string literal.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn dot(pic: &Picture) -> String {
    let mut out = String::new();
    out.push_str("digraph pipec {\n");
    out.push_str("  rankdir=LR;\n  fontname=\"Helvetica\";\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n");
    let node_line = |n: &super::Node| {
        let (shape, fill) = match n.kind {
            NodeKind::Job => ("box", "#e3f2fd"),
            NodeKind::Image => ("cylinder", "#fff3e0"),
            NodeKind::Environment => ("box3d", "#e8f5e9"),
            NodeKind::Service => ("component", "#f3e5f5"),
            NodeKind::Step => ("cds", "#fffde7"),
            NodeKind::Analysis => ("hexagon", "#fce4ec"),
        };
        let mut attrs = format!(
            "label={}, shape={shape}, style=\"rounded,filled\", fillcolor=\"{fill}\"",
            quoted(&n.label)
        );
        if n.kind != NodeKind::Job {
            attrs = attrs.replace("rounded,", "");
        }
        if n.critical {
            let _ = write!(attrs, ", color=\"{CRITICAL}\", penwidth=2.5");
        }
        format!("{} [{attrs}];\n", n.id)
    };
    for (i, title) in pic.clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} {{");
        let _ = writeln!(
            out,
            "    label={};\n    style=dashed;\n    color=\"#90a4ae\";",
            quoted(title)
        );
        for n in pic.nodes.iter().filter(|n| n.cluster == Some(i)) {
            out.push_str("    ");
            out.push_str(&node_line(n));
        }
        out.push_str("  }\n");
    }
    for n in pic.nodes.iter().filter(|n| n.cluster.is_none()) {
        out.push_str("  ");
        out.push_str(&node_line(n));
    }
    for e in &pic.edges {
        let mut attrs = Vec::new();
        if let Some(l) = e.label {
            attrs.push(format!("label={}", quoted(l)));
        }
        if e.dashed {
            attrs.push("style=dashed".into());
        }
        if e.critical {
            attrs.push(format!("color=\"{CRITICAL}\", penwidth=2.5"));
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(out, "  {} -> {}{attrs};", e.from, e.to);
    }
    out.push_str("}\n");
    out
}

/// A Mermaid label: quoted, line breaks as `<br>`, quotes as entities.
fn label(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "#quot;").replace('\n', "<br>"))
}

pub fn mermaid(pic: &Picture) -> String {
    let mut out = String::from("flowchart LR\n");
    let node = |n: &super::Node| {
        let l = label(&n.label);
        match n.kind {
            NodeKind::Job => format!("{}({l})", n.id),
            NodeKind::Image => format!("{}[({l})]", n.id),
            NodeKind::Environment => format!("{}[{l}]", n.id),
            NodeKind::Service => format!("{}[[{l}]]", n.id),
            NodeKind::Step => format!("{}>{l}]", n.id),
            NodeKind::Analysis => format!("{}{{{{{l}}}}}", n.id),
        }
    };
    for (i, title) in pic.clusters.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} [{}]", label(title));
        for n in pic.nodes.iter().filter(|n| n.cluster == Some(i)) {
            let _ = writeln!(out, "    {}", node(n));
        }
        out.push_str("  end\n");
    }
    for n in pic.nodes.iter().filter(|n| n.cluster.is_none()) {
        let _ = writeln!(out, "  {}", node(n));
    }
    let mut critical_links = Vec::new();
    for (i, e) in pic.edges.iter().enumerate() {
        let arrow = match (e.dashed, e.label) {
            (true, Some(l)) => format!("-. {l} .->"),
            (true, None) => "-.->".into(),
            (false, Some(l)) => format!("-- {l} -->"),
            (false, None) => "-->".into(),
        };
        let _ = writeln!(out, "  {} {arrow} {}", e.from, e.to);
        if e.critical {
            critical_links.push(i.to_string());
        }
    }
    let critical: Vec<&str> = pic
        .nodes
        .iter()
        .filter(|n| n.critical)
        .map(|n| n.id.as_str())
        .collect();
    if !critical.is_empty() {
        let _ = writeln!(
            out,
            "  classDef critical stroke:{CRITICAL},stroke-width:3px"
        );
        let _ = writeln!(out, "  class {} critical", critical.join(","));
    }
    if !critical_links.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:{CRITICAL},stroke-width:3px",
            critical_links.join(",")
        );
    }
    out
}
