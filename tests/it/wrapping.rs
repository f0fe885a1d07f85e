//! Messages that a dashboard, a terminal or a paste broke over two or three
//! lines are matched as if they were one line, in the streaming pass.

use crate::support::run;

/// The top finding's rule, line and text of `log`.
fn top(log: &str) -> Option<(String, u64, String)> {
    let out = run(&["--format", "json"], log.as_bytes());
    let doc = out.json();
    let f = doc["findings"].get(0)?;
    Some((f["rule"].as_str()?.to_string(), f["line"].as_u64()?, f["text"].as_str().unwrap_or_default().to_string()))
}

#[test]
fn a_message_broken_at_a_word_boundary_matches_on_its_first_line() {
    let log = "#9 [4/6] RUN npm ci\n#9 0.912 npm error `npm ci` can only install packages when your\n#9 0.912 package.json and package-lock.json are in sync. Please update your lock file with `npm install` before continuing.\n";
    let (rule, line, _) = top(log).expect("a finding");
    assert_eq!((rule.as_str(), line), ("node/npm-ci-out-of-sync", 2));
}

#[test]
fn the_capture_on_the_next_line_is_read() {
    let log = "Fetching gem metadata from https://rubygems.org/.\nYour Ruby version is 3.1.4, but your Gemfile specified\n~> 3.3.0\n";
    let out = run(&["--format", "json"], log.as_bytes());
    let doc = out.json();
    assert_eq!(doc["findings"][0]["rule"], "ruby/version-mismatch", "{}", out.stdout);
    assert_eq!(doc["findings"][0]["line"], 2);
    assert_eq!(doc["findings"][0]["captures"]["gemfile_version"], "~> 3.3.0");
}

#[test]
fn a_message_over_three_lines() {
    let log = "Step 6/9 : COPY dist/ /srv/\nCOPY failed: stat\n/var/lib/docker/tmp/docker-builder0451/dist:\nno such file or directory\n";
    let (rule, line, text) = top(log).expect("a finding");
    assert_eq!((rule.as_str(), line), ("docker/copy-source-not-found", 2), "{text}");
}

#[test]
fn a_break_inside_a_word_is_glued_back() {
    let log = "npm error `npm ci` can only install packages when your package.json and package-lo\nck.json are in sync. Please update your lock file with `npm install` before continuing.\n";
    let (rule, line, _) = top(log).expect("a finding");
    assert_eq!((rule.as_str(), line), ("node/npm-ci-out-of-sync", 1));
}

#[test]
fn a_blank_line_ends_a_message() {
    let log = "Your Ruby version is 3.1.4, but your Gemfile specified\n\n~> 3.3.0\n";
    assert_eq!(top(log).map(|t| t.0).filter(|r| r == "ruby/version-mismatch"), None);
}

#[test]
fn a_complete_line_is_not_stretched_over_the_next() {
    // The wheel failure is the whole message; the next line is not part of
    // its package name, and pip's fallback install that succeeded still
    // discards it.
    let log = "Failed building wheel for termcolor\nRunning setup.py clean for termcolor\nRunning setup.py install for termcolor: finished with status 'done'\nSuccessfully installed termcolor-1.1.0\n";
    assert!(top(log).is_none_or(|t| t.0 != "python/wheel-build-failed"));
    // Many one-line hits in a row stay one hit each.
    let log: String = (0..50).map(|i| format!("ERROR: No matching distribution found for pkg{i}==1.{i}\n")).collect();
    let doc = run(&["--format", "json"], log.as_bytes()).json();
    assert_eq!(doc["findings"][0]["count"], 50);
    assert_eq!(doc["findings"][0]["captures"]["package"], "pkg0==1.0");
}
