//! `buildmedic rules new --from build.log:LINE`: a rule skeleton whose first
//! example is that log line, with the line's variable parts (versions,
//! paths, quoted names, packages) turned into named captures.

use crate::normalize::normalize;
use regex::Regex;
use std::fmt::Write as _;
use std::sync::LazyLock;

/// A variable part of a message and the capture that replaces it.
struct Variable {
    regex: Regex,
    name: &'static str,
    pattern: &'static str,
}

static VARIABLES: LazyLock<Vec<Variable>> = LazyLock::new(|| {
    let v = |re: &str, name, pattern| Variable {
        regex: Regex::new(re).unwrap_or_else(|e| unreachable!("{e}")),
        name,
        pattern,
    };
    vec![
        v(r"'[^'\s][^']{0,200}'", "name", r"'(?P<{}>[^']+)'"),
        v(r#""[^"\s][^"]{0,200}""#, "name", r#""(?P<{}>[^"]+)""#),
        v(r"`[^`\s][^`]{0,200}`", "name", r"`(?P<{}>[^`]+)`"),
        v(r"(?:\.{0,2}/[\w.@+-]+)+/?", "path", r"(?P<{}>\S+)"),
        v(r"[@\w][\w./-]*@\^?~?\d[\w.+-]*", "package", r"(?P<{}>\S+)"),
        v(r"\bv?\d+(?:\.\d+)+(?:[-+][\w.]+)?\b", "version", r"(?P<{}>v?[\d.]+\S*)"),
        v(r"\b\d+\b", "number", r"(?P<{}>\d+)"),
    ]
});

/// The regex for `text` and the captures it yields on `text`.
pub fn generalise(text: &str) -> (String, Vec<(String, String)>) {
    // Find non-overlapping variable spans, earliest first, first kind wins.
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (k, var) in VARIABLES.iter().enumerate() {
        for m in var.regex.find_iter(text) {
            if spans.iter().all(|&(s, e, _)| m.end() <= s || m.start() >= e) {
                spans.push((m.start(), m.end(), k));
            }
        }
    }
    spans.sort();
    let mut regex = String::from("^");
    let mut captures = Vec::new();
    let mut at = 0;
    for (start, end, k) in spans {
        let Some(var) = VARIABLES.get(k) else {
            continue;
        };
        regex.push_str(&regex::escape(text.get(at..start).unwrap_or_default()));
        let mut name = var.name.to_string();
        let same = captures.iter().filter(|(n, _): &&(String, String)| n.starts_with(var.name)).count();
        if same > 0 {
            name = format!("{}{}", var.name, same + 1);
        }
        regex.push_str(&var.pattern.replace("{}", &name));
        let value = text.get(start..end).unwrap_or_default();
        let value = value.trim_matches(|c| c == '\'' || c == '"' || c == '`');
        captures.push((name, value.to_string()));
        at = end;
    }
    regex.push_str(&regex::escape(text.get(at..).unwrap_or_default()));
    (regex, captures)
}

/// A rule file for the log line `raw`, to be completed by hand.
pub fn skeleton(raw: &[u8], id: Option<&str>) -> String {
    let text = normalize(raw);
    let (regex, captures) = generalise(&text);
    let id = id.map_or_else(|| format!("local/{}", slug(&text)), str::to_string);
    let mut out = String::new();
    let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let _ = writeln!(out, "# A skeleton from one log line: check the pattern, then replace every TODO.");
    let _ = writeln!(out, "# Spec: rules/README.md. Check it with: buildmedic rules test DIR");
    let _ = writeln!(out, "id: {id}");
    let _ = writeln!(out, "title: TODO name the failure in one line");
    let _ = writeln!(out, "severity: error");
    let _ = writeln!(out, "patterns:");
    let _ = writeln!(out, "  - {}", q(&regex));
    let _ = writeln!(out, "explanation: |");
    let _ = writeln!(out, "  TODO what happened and why, in plain words (the card shows this paragraph).");
    let _ = writeln!(out, "remediation:");
    let _ = writeln!(out, "  - title: TODO what to do");
    let _ = writeln!(out, "    steps:");
    let _ = writeln!(out, "      - TODO a step, naming the file or setting to change.");
    let _ = writeln!(out, "links:");
    let _ = writeln!(out, "  - title: TODO the tool's documentation");
    let _ = writeln!(out, "    url: https://example.com/TODO");
    let _ = writeln!(out, "examples:");
    let _ = writeln!(out, "  match:");
    let _ = writeln!(out, "    - line: {}", q(&text));
    if !captures.is_empty() {
        let caps: Vec<String> = captures.iter().map(|(n, v)| format!("{n}: {}", q(v))).collect();
        let _ = writeln!(out, "      captures: {{ {} }}", caps.join(", "));
    }
    let _ = writeln!(out, "    - 'TODO the same message as another version of the tool prints it'");
    let _ = writeln!(out, "  no_match:");
    let _ = writeln!(out, "    - 'TODO a near miss that must not match'");
    out
}

fn slug(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 2 && !w.bytes().all(|b| b.is_ascii_digit()))
        .take(4)
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "new-rule".into()
    } else {
        words.join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_parts_become_captures_and_the_regex_matches_the_line() {
        let line = "npm error Missing: zod@3.24.2 from lock file /app/package-lock.json";
        let (regex, captures) = generalise(line);
        let re = Regex::new(&regex).unwrap();
        let caps = re.captures(line).unwrap();
        assert_eq!(&caps["package"], "zod@3.24.2");
        assert_eq!(&caps["path"], "/app/package-lock.json");
        assert_eq!(captures.len(), 2);
    }

    #[test]
    fn the_skeleton_is_a_loadable_rule() {
        let text = skeleton(b"#8 1.2 fatal: the mirror 'pkgs.internal' refused version 1.4.2", None);
        let rule = crate::catalog::parse_rule("skeleton.yaml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(rule.id, "local/fatal-the-mirror-pkgs");
        let ex = &rule.examples.matches[0];
        assert_eq!(ex.captures.get("name").map(String::as_str), Some("pkgs.internal"));
        assert_eq!(ex.captures.get("version").map(String::as_str), Some("1.4.2"));
        assert!(rule.patterns[0].regex.is_match(&ex.log));
    }
}
