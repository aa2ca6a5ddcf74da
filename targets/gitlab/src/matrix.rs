//! Matrices as `parallel: matrix`.
//!
//! GitLab runs the union of the products of its entries and has no
//! `exclude`, so a matrix with exclusions or inclusions is expanded here into
//! the same instances GitHub Actions runs, and written as explicit
//! combinations, one entry each.

use pipec_emit::{Map, Yaml};
use pipec_graph::Matrix;

use crate::text::matrix_var;

/// One job instance: a value per axis, in axis order.
pub type Combination = Vec<(String, String)>;

/// GitLab's limit on the jobs one `parallel: matrix` creates.
pub const MAX_JOBS: usize = 200;

fn matches(combo: &Combination, pattern: &[(String, String)]) -> bool {
    pattern
        .iter()
        .all(|(k, v)| combo.iter().any(|(ck, cv)| ck == k && cv == v))
}

/// Every instance of the matrix, in order: the product (first axis slowest)
/// without the excluded combinations, then the added ones.
///
/// An `include` entry is applied as GitHub Actions applies it: its values for
/// the matrix's own axes select the combinations it extends with its other
/// values; when it selects none, it is a combination of its own.
pub fn combinations(m: &Matrix) -> Vec<Combination> {
    let mut product: Vec<Combination> = vec![Vec::new()];
    for axis in &m.axes {
        product = product
            .into_iter()
            .flat_map(|c| {
                axis.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((axis.name.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    if m.axes.is_empty() {
        product.clear();
    }
    product.retain(|c| !m.exclude.iter().any(|e| matches(c, e)));
    let original = product.len();
    for inc in &m.include {
        let (own, extra): (Vec<_>, Vec<_>) = inc
            .iter()
            .cloned()
            .partition(|(k, _)| m.axes.iter().any(|a| a.name == *k));
        let mut selected = false;
        for c in product.iter_mut().take(original) {
            if !matches(c, &own) {
                continue;
            }
            selected = true;
            for (k, v) in &extra {
                match c.iter_mut().find(|(ck, _)| ck == k) {
                    Some(existing) => existing.1 = v.clone(),
                    None => c.push((k.clone(), v.clone())),
                }
            }
        }
        if !selected {
            product.push(inc.clone());
        }
    }
    product
}

/// The `parallel:` value: the axes as lists when the matrix is a plain
/// product, explicit combinations otherwise. With `runners` (an axis, and
/// the runner tag of each of its values), every combination also sets
/// [`crate::job::RUNNER_TAG`] to the tag of its value of that axis.
pub fn parallel(m: &Matrix, runners: Option<&(String, Vec<(String, String)>)>) -> Yaml {
    let entries: Vec<Yaml> = if m.include.is_empty() && m.exclude.is_empty() && runners.is_none() {
        let mut entry = Map::new();
        for axis in &m.axes {
            entry.insert(matrix_var(&axis.name), axis.values.clone());
        }
        vec![Yaml::Map(entry)]
    } else {
        combinations(m)
            .into_iter()
            .map(|c| {
                let mut entry = Map::new();
                let mut tag = None;
                for (k, v) in c {
                    if let Some((axis, tags)) = runners
                        && *axis == k
                    {
                        tag = tags.iter().find(|(w, _)| *w == v).map(|(_, t)| t.clone());
                    }
                    entry.insert(matrix_var(&k), v);
                }
                if let Some(t) = tag {
                    entry.insert(crate::job::RUNNER_TAG, t);
                }
                Yaml::Map(entry)
            })
            .collect()
    };
    let mut out = Map::new();
    out.insert("matrix", Yaml::Seq(entries));
    Yaml::Map(out)
}

#[cfg(test)]
mod tests {
    use pipec_graph::Axis;

    use super::*;

    fn axis(name: &str, values: &[&str]) -> Axis {
        Axis {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }
    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn show(cs: &[Combination]) -> Vec<String> {
        cs.iter()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    #[test]
    fn product_in_axis_order() {
        let m = Matrix {
            axes: vec![
                axis("python", &["3.11", "3.12"]),
                axis("db", &["pg", "mysql"]),
            ],
            ..Matrix::default()
        };
        assert_eq!(
            show(&combinations(&m)),
            [
                "python=3.11,db=pg",
                "python=3.11,db=mysql",
                "python=3.12,db=pg",
                "python=3.12,db=mysql"
            ]
        );
        let y = pipec_emit::yaml::to_string(&parallel(&m, None));
        assert_eq!(
            y,
            "matrix:\n  - PIPEC_MATRIX_PYTHON:\n      - '3.11'\n      - '3.12'\n    PIPEC_MATRIX_DB:\n      - pg\n      - mysql\n"
        );
    }

    #[test]
    fn exclusions_are_removed_and_inclusions_added() {
        let m = Matrix {
            axes: vec![
                axis("python", &["3.10", "3.11", "3.12"]),
                axis("db", &["pg", "mysql"]),
            ],
            exclude: vec![
                pairs(&[("python", "3.10"), ("db", "mysql")]),
                pairs(&[("db", "mysql"), ("python", "3.11")]),
            ],
            include: vec![
                pairs(&[("python", "3.13"), ("db", "pg")]),
                pairs(&[("python", "3.12"), ("db", "pg")]),
            ],
        };
        assert_eq!(
            show(&combinations(&m)),
            [
                "python=3.10,db=pg",
                "python=3.11,db=pg",
                "python=3.12,db=pg",
                "python=3.12,db=mysql",
                "python=3.13,db=pg"
            ]
        );
        let y = pipec_emit::yaml::to_string(&parallel(&m, None));
        assert!(
            y.starts_with("matrix:\n  - PIPEC_MATRIX_PYTHON: '3.10'\n    PIPEC_MATRIX_DB: pg\n"),
            "{y}"
        );
        assert_eq!(y.matches("- PIPEC_MATRIX_PYTHON").count(), 5);
    }

    #[test]
    fn inclusions_extend_the_combinations_they_select() {
        let m = Matrix {
            axes: vec![axis("python", &["3.11", "3.12"])],
            exclude: vec![],
            include: vec![
                pairs(&[("python", "3.12"), ("experimental", "true")]),
                pairs(&[("coverage", "on")]),
                pairs(&[("python", "3.13"), ("experimental", "true")]),
            ],
        };
        assert_eq!(
            show(&combinations(&m)),
            [
                "python=3.11,coverage=on",
                "python=3.12,experimental=true,coverage=on",
                "python=3.13,experimental=true"
            ]
        );
    }

    #[test]
    fn a_partial_exclusion_removes_every_match() {
        let m = Matrix {
            axes: vec![
                axis("python", &["3.11", "3.12"]),
                axis("db", &["pg", "mysql"]),
            ],
            exclude: vec![pairs(&[("db", "mysql")])],
            include: vec![],
        };
        assert_eq!(
            show(&combinations(&m)),
            ["python=3.11,db=pg", "python=3.12,db=pg"]
        );
        let everything = Matrix {
            exclude: vec![vec![]],
            ..m
        };
        assert!(combinations(&everything).is_empty());
    }
}
