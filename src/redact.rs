//! Secret masking for everything buildmedic prints from a log: tokens, API
//! keys, passwords in URLs, and values of variables whose names look
//! secret. Matching always sees the real text; only output is masked, so a
//! secret never leaves through buildmedic unless `--no-redact` is given.

use regex::bytes::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What a masked value is replaced with.
pub const MASK: &str = "****";

struct Masker {
    regex: Regex,
    /// Capture group holding the secret; everything else is kept.
    group: usize,
}

/// Maskers before this index match by context (URL, variable name, header)
/// and mask the whole value; the rest match token formats and keep the
/// format's prefix.
const CONTEXT_MASKERS: usize = 2;

static MASKERS: LazyLock<Vec<Masker>> = LazyLock::new(|| {
    let m = |re: &str, group| Masker {
        regex: Regex::new(re).unwrap_or_else(|e| unreachable!("redact regex {re}: {e}")),
        group,
    };
    vec![
        // Credentials in URLs: scheme://user:password@host (Postgres, Redis, git…).
        m(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@", 1),
        // Values of variables whose names look secret: API_TOKEN=…, "password": "…".
        m(
            r#"(?i)\b[A-Z0-9_.-]*(?:TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CLIENT_?SECRET|CREDENTIALS?|AUTH_?KEY|_KEY)[A-Z0-9_]*["']?[ \t]*[=:][ \t]*["']?([^\s"',;&*][^\s"',;&]{2,})"#,
            1,
        ),
        // Authorization headers.
        m(r"(?i)\b(?:bearer|basic|token)[ \t]+([A-Za-z0-9._~+/=-]{12,})", 1),
        // Known token formats.
        m(r"\b(gh[pousr]_[A-Za-z0-9]{30,255})\b", 1),
        m(r"\b(github_pat_[A-Za-z0-9_]{22,255})\b", 1),
        m(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b", 1),
        m(r"\b((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,})\b", 1),
        m(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})\b", 1),
        m(r"\b(npm_[A-Za-z0-9]{30,})\b", 1),
        m(r"\b(AIza[0-9A-Za-z_-]{35})\b", 1),
        m(r"\b(sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,})\b", 1),
        m(r"\b(glpat-[A-Za-z0-9_-]{20,})\b", 1),
        m(r"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", 1),
        m(r"(-----BEGIN [A-Z ]*PRIVATE KEY-----.*)", 1),
    ]
});

/// Masks every secret in `bytes`.
pub fn redact_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Cow<'_, [u8]> = Cow::Borrowed(bytes);
    for (i, masker) in MASKERS.iter().enumerate() {
        if !masker.regex.is_match(&out) {
            continue;
        }
        let replaced = masker
            .regex
            .replace_all(&out, |caps: &Captures<'_>| {
                let (Some(all), Some(secret)) = (caps.get(0), caps.get(masker.group)) else {
                    return caps.get(0).map_or_else(Vec::new, |m| m.as_bytes().to_vec());
                };
                let mut kept = all.as_bytes().to_vec();
                let start = secret.start() - all.start();
                let end = secret.end() - all.start();
                // Keep a short prefix of known token formats (`ghp_`, `sk_live_`)
                // so the reader can tell what was there.
                let keep = if i < CONTEXT_MASKERS { 0 } else { secret_prefix(secret.as_bytes()) };
                kept.splice(start + keep..end, MASK.bytes());
                kept
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

/// Masks every secret in `text`.
pub fn redact(text: &str) -> Cow<'_, str> {
    match redact_bytes(text.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// How many leading bytes of a secret name its kind without revealing it.
fn secret_prefix(secret: &[u8]) -> usize {
    const PREFIXES: [&str; 13] = [
        "github_pat_",
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "rk_test_",
        "sk-proj-",
        "sk-ant-",
        "glpat-",
        "ghp_",
        "gho_",
        "ghs_",
        "npm_",
        "xoxb-",
    ];
    PREFIXES.iter().find(|p| secret.starts_with(p.as_bytes())).map_or(0, |p| p.len())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn masks_the_common_kinds() {
        let cases = [
            (
                "DATABASE_URL=postgresql://postgres:Xk92mPq7Lw@roundhouse.proxy.rlwy.net:41234/railway",
                "postgresql://postgres:****@roundhouse",
            ),
            (
                "remote: https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r.git",
                "x-access-token:****@github.com",
            ),
            ("token ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0T", "ghp_****"),
            ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=****"),
            ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ****"),
            ("using key AKIAIOSFODNN7EXAMPLE now", "using key **** now"),
            ("STRIPE_SECRET_KEY: sk_live_51H8xYzABCdefGHIjklMNOpqr", "STRIPE_SECRET_KEY: ****"),
            ("charge with sk_live_51H8xYzABCdefGHIjklMNOpqr failed", "sk_live_****"),
            ("RAILWAY_TOKEN=3f1c2b9e-7d4a-4c8e-9b1f-2a6d5e8c0f71", "RAILWAY_TOKEN=****"),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
                "Bearer ****",
            ),
            ("\"password\": \"hunter2hunter2\"", "\"password\": \"****\""),
        ];
        for (line, want) in cases {
            let got = redact(line);
            assert!(got.contains(want), "{line}\n  -> {got}\n  wanted {want}");
            assert_ne!(got, line);
        }
    }

    #[test]
    fn leaves_ordinary_lines_alone() {
        for line in [
            "npm error code ERESOLVE",
            "error: externally-managed-environment",
            "Step 4/9 : RUN pip install --no-cache-dir -r requirements.txt",
            "https://registry.npmjs.org/zod/-/zod-3.24.2.tgz",
            "KEY_PREFIX is not set",
        ] {
            assert_eq!(redact(line), line);
        }
    }
}
