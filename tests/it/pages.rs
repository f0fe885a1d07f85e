//! Explanation pages: `explain`, the static site, the links to it, Markdown.

use crate::support::{fixture, run, write};
use buildmedic::catalog::Catalog;
use buildmedic::render::{rule_url, site};

#[test]
fn explain_prints_every_section_and_every_fix() {
    let out = run(&["explain", "python/externally-managed-environment"], b"");
    assert_eq!(out.code, 0);
    for section in ["What the log says", "Why", "How to fix it", "  Nixpacks", "  Railpack", "  Dockerfile", "Links"] {
        assert!(out.stdout.contains(section), "missing {section}:\n{}", out.stdout);
    }
    let catalog = Catalog::load(&[]).unwrap();
    let rule = catalog.get("python/externally-managed-environment").unwrap();
    for r in &rule.remediation {
        assert!(out.stdout.contains(&r.title), "missing option {}", r.title);
    }
    assert!(out.stdout.contains("--break-system-packages"));
}

#[test]
fn explain_suggests_the_nearest_id() {
    let out = run(&["explain", "python/externaly-managed-enviroment"], b"");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean `python/externally-managed-environment`?"), "{}", out.stderr);
    let out = run(&["explain", "zzzzzzzz/qqqqqqq"], b"");
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("did you mean"));
}

#[test]
fn every_url_the_tool_prints_is_a_page_the_site_has() {
    let catalog = Catalog::load(&[]).unwrap();
    let files: Vec<String> = site::site(&catalog).into_iter().map(|(path, _)| path).collect();
    let base = "https://docs.example.org/bm";
    for rule in &catalog.rules {
        let url = rule_url(base, &rule.id);
        let path = url.strip_prefix(&format!("{base}/")).unwrap();
        assert!(files.contains(&format!("{path}index.html")), "{url} has no page");
    }
    // And the URLs in real output use the same scheme.
    let out = run(&["--format", "json", "--docs-url", base, &fixture("nixpacks-pip-externally-managed.log")], b"");
    for f in out.json()["findings"].as_array().unwrap() {
        let path = f["url"].as_str().unwrap().strip_prefix(&format!("{base}/")).unwrap();
        assert!(files.contains(&format!("{path}index.html")), "{path}");
    }
}

#[test]
fn site_writes_an_index_and_one_page_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["site", "--out", dir.path().to_str().unwrap()], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let index = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(index.contains("<h2 id=\"python\">python</h2>"));
    assert!(index.contains("id=\"filter\""));
    let page = std::fs::read_to_string(dir.path().join("rules/node/pnpm-outdated-lockfile/index.html")).unwrap();
    assert!(page.contains("<h2>How to fix it</h2>") && page.contains("ERR_PNPM_OUTDATED_LOCKFILE"));
    for html in [&index, &page] {
        assert!(!html.contains("<link "), "no external stylesheets");
        assert!(!html.contains("<script src"), "no external scripts");
        assert!(html.contains("prefers-color-scheme: dark"));
        assert!(html.contains("name=\"viewport\""));
    }
}

#[test]
fn every_value_from_a_rule_is_escaped() {
    let rule = "id: evil/markup
title: <script>alert('t')</script> & friends
severity: error
patterns:
  - '<img src=x onerror=alert\\(1\\)>'
explanation: |
  Text with <script>alert('x')</script> and <b>bold</b> and [a link](javascript:alert(2)).
remediation:
  - title: Fix <em>it</em>
    steps: ['Run `<script>`']
    file: <Dockerfile>
    snippet: |
      RUN echo \"</code></pre><script>alert(3)</script>\"
    tradeoffs: <iframe src=x>
links:
  - title: <b>doc</b>
    url: javascript:alert(4)
examples:
  match:
    - '<img src=x onerror=alert(1)>'
    - 'x <img src=x onerror=alert(1)>'
  no_match:
    - 'nothing'
";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "evil/markup.yaml", rule);
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(&["--rules", dir.path().to_str().unwrap(), "site", "--out", out_dir.path().to_str().unwrap()], b"");
    assert_eq!(out.code, 0, "{}", out.stderr);
    for path in ["index.html", "rules/evil/markup/index.html"] {
        let html = std::fs::read_to_string(out_dir.path().join(path)).unwrap();
        for bad in ["<script>alert", "<img src=x", "<b>", "<em>", "<iframe", "javascript:", "</code></pre><script>"] {
            assert!(!html.contains(bad), "{path} contains {bad}");
        }
        assert!(html.contains("&lt;script&gt;"), "{path} does not show the text escaped");
    }
}

#[test]
fn markdown_output_is_ready_to_paste() {
    let out = run(&["--format", "markdown", &fixture("dockerfile-pnpm-outdated-lockfile.log")], b"");
    assert_eq!(out.code, 1);
    let md = out.stdout;
    assert!(md.starts_with("## Build failure diagnosis\n"), "{md}");
    assert!(md.contains("### pnpm-lock.yaml"), "{md}");
    assert!(md.contains("```text\n"), "{md}");
    assert!(md.contains("ERR_PNPM_OUTDATED_LOCKFILE"));
    assert!(md.contains("**Fix**"));
    assert!(md.contains("More: <https://buildmedic.dev/rules/node/pnpm-outdated-lockfile/>"));
    assert!(!md.contains('\u{1b}'));
}
