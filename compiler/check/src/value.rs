//! Values of the checker: what an expression evaluates to once its expected
//! type is known.

use pipec_graph::{Cond, Cpu, Duration, Memory, Percent, SecretRef, Span, Text};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Any textual value (string, path, glob, version, URL), possibly with
    /// run-time parts.
    Text(Text),
    Int(i64),
    Bool(bool),
    Percent(Percent),
    Duration(Duration),
    Cpu(Cpu),
    Memory(Memory),
    Range(Box<Value>, Box<Value>),
    List(Vec<Value>),
    Map(Vec<(String, Value, Span)>),
    Enum(String),
    /// `matrix(a, b, c)`: one job instance per value.
    Matrix(Vec<Value>),
    /// Inside a template, a matrix parameter: the value of this instance's axis.
    Axis(String),
    /// A reference to a job, image or environment, by name.
    Ref(String, Span),
    Secret(SecretRef),
    Cond(Cond),
}

impl Value {
    /// The value as template text, the way `{{ }}` renders it.
    pub fn as_text(&self) -> Option<Text> {
        Some(match self {
            Value::Text(t) => t.clone(),
            Value::Int(n) => Text::lit(n.to_string()),
            Value::Bool(b) => Text::lit(b.to_string()),
            Value::Percent(p) => Text::lit(p.to_string()),
            Value::Duration(d) => Text::lit(d.to_string()),
            Value::Cpu(c) => Text::lit(c.to_string()),
            Value::Memory(m) => Text::lit(m.to_string()),
            Value::Enum(e) | Value::Ref(e, _) => Text::lit(e.clone()),
            Value::Axis(a) => Text {
                parts: vec![pipec_graph::Part::Matrix(a.clone())],
            },
            _ => return None,
        })
    }

    pub fn as_literal(&self) -> Option<String> {
        self.as_text().and_then(|t| t.as_literal())
    }

    pub fn into_list(self) -> Vec<Value> {
        match self {
            Value::List(v) => v,
            v => vec![v],
        }
    }
}

/// Parses `5m`, `1h30m`, `90s`, `2d` as a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number in `{text}`"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{}` is too large", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "" => return Err(format!("`{text}` needs a unit: s, m, h or d")),
            u => return Err(format!("`{u}` is not a unit of time; use s, m, h or d")),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too long"))?;
    }
    Ok(Duration::from_secs(total))
}

/// Parses a decimal number scaled by `scale` (for `0.5` cores, `1.5Gi`), exactly.
fn scaled(number: &str, scale: u64) -> Result<u64, String> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let not_a_number = || format!("`{number}` is not a number");
    let too_large = || format!("`{number}` is too large");
    let whole: u64 = whole.parse().map_err(|_| not_a_number())?;
    let mut value = whole.checked_mul(scale).ok_or_else(too_large)?;
    if !frac.is_empty() {
        if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(not_a_number());
        }
        let f: u128 = frac.parse().map_err(|_| not_a_number())?;
        let denom = 10u128.pow(frac.len() as u32);
        let scaled = f * u128::from(scale);
        if !scaled.is_multiple_of(denom) {
            return Err(format!(
                "`{number}` is more precise than this quantity allows"
            ));
        }
        let part = u64::try_from(scaled / denom).map_err(|_| too_large())?;
        value = value.checked_add(part).ok_or_else(too_large)?;
    }
    Ok(value)
}

pub fn parse_cpu(number: &str, unit: &str) -> Result<Cpu, String> {
    let millicores = match unit {
        "" => scaled(number, 1000)?,
        "m" => scaled(number, 1)?,
        u => {
            return Err(format!(
                "`{u}` is not a CPU unit; write cores (`0.5`, `2`) or millicores (`250m`)"
            ));
        }
    };
    Ok(Cpu { millicores })
}

pub fn parse_memory(number: &str, unit: &str) -> Result<Memory, String> {
    let scale: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        u => {
            return Err(format!(
                "`{u}` is not a memory unit; use Ki, Mi, Gi, Ti (or k, M, G, T)"
            ));
        }
    };
    Ok(Memory {
        bytes: scaled(number, scale)?,
    })
}

pub fn parse_percent(number: &str) -> Result<Percent, String> {
    let hundredths = scaled(number, 100)?;
    u32::try_from(hundredths)
        .map(|hundredths| Percent { hundredths })
        .map_err(|_| format!("`{number}%` is too large"))
}

/// What a literal with this unit would most likely be, for error messages.
pub fn describe_unit(unit: &str) -> &'static str {
    match unit {
        "%" => "a percent",
        "s" | "h" | "d" => "a duration",
        "m" => "a duration or a CPU quantity",
        "Ki" | "Mi" | "Gi" | "Ti" | "k" | "K" | "M" | "G" | "T" => "a memory quantity",
        u if u.chars().next().is_some_and(|c| c.is_ascii_digit()) => "a duration",
        _ if unit.contains(|c: char| c.is_ascii_digit()) => "a duration",
        _ => "a quantity with an unknown unit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap().seconds, 5400);
        assert_eq!(parse_duration("90s").unwrap().seconds, 90);
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_cpu("0.5", "").unwrap().millicores, 500);
        assert_eq!(parse_cpu("250", "m").unwrap().millicores, 250);
        assert_eq!(parse_memory("1.5", "Gi").unwrap().bytes, 3 << 29);
        assert_eq!(parse_percent("72.5").unwrap().hundredths, 7250);
        assert!(parse_cpu("0.0001", "").is_err());
    }
}
