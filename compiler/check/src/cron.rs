//! Five-field cron schedules, as GitHub Actions and GitLab read them.

/// Checks a schedule; the error says which field is wrong and why.
pub fn check(expr: &str) -> Result<(), String> {
    if expr.trim_start().starts_with('@') {
        return Err(
            "macros like @daily are not portable; write the five fields, e.g. \"0 3 * * *\"".into(),
        );
    }
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "a schedule has five fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        ));
    }
    const SPEC: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day of month", 1, 31, &[]),
        (
            "month",
            1,
            12,
            &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
        ),
        (
            "day of week",
            0,
            6,
            &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        ),
    ];
    for (field, (name, min, max, names)) in fields.iter().zip(SPEC) {
        for part in field.split(',') {
            check_part(part, min, max, names)
                .map_err(|e| format!("{name} field `{field}`: {e}"))?;
        }
    }
    Ok(())
}

fn check_part(part: &str, min: u32, max: u32, names: &[&str]) -> Result<(), String> {
    let (range, step) = match part.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (part, None),
    };
    if let Some(s) = step {
        let n: u32 = s
            .parse()
            .map_err(|_| format!("step `{s}` is not a number"))?;
        if n == 0 || n > max {
            return Err(format!("step {n} is out of range"));
        }
    }
    if range == "*" {
        return Ok(());
    }
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + min);
        }
        let n: u32 = v.parse().map_err(|_| format!("`{v}` is not a number"))?;
        if n < min || n > max {
            return Err(format!("{n} is outside {min}-{max}"));
        }
        Ok(n)
    };
    match range.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(format!("range {a}-{b} runs backwards"));
            }
            Ok(())
        }
        None => value(range).map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn schedules() {
        assert!(super::check("0 3 * * 1").is_ok());
        assert!(super::check("*/15 0-6,22-23 * JAN-MAR mon-fri").is_ok());
        assert!(super::check("60 * * * *").is_err());
        assert!(super::check("0 3 * *").is_err());
        assert!(super::check("@daily").is_err());
        assert!(super::check("5-1 * * * *").is_err());
    }
}
