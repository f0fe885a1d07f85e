//! `buildmedic site`: a static site generated from the catalogue. One page
//! per rule at `rules/<group>/<name>/index.html` (the path every card and
//! JSON finding links to) and an index with a filter box. No external
//! resources: it works opened from disk and hosted anywhere. Every value
//! from a rule is escaped.

use super::fill;
use super::page::{esc, markdown_html, remedy_sections};
use crate::catalog::{Catalog, Rule};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The path of a rule's page inside the site.
pub fn page_path(id: &str) -> String {
    format!("rules/{id}/index.html")
}

/// Every file of the site: (relative path, contents).
pub fn site(catalog: &Catalog) -> Vec<(String, String)> {
    let mut files = vec![("index.html".to_string(), index(catalog))];
    for rule in &catalog.rules {
        files.push((page_path(&rule.id), rule_page(rule)));
    }
    files
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de; --code: #f6f8fa; --error: #cf222e; --warning: #9a6700; --info: #0969da; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #30363d; --code: #161b22; --error: #ff7b72; --warning: #d29922; --info: #58a6ff; --accent: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 52rem; padding: 1rem; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
h1 { font-size: 1.6rem; line-height: 1.25; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
code, pre { font: .9em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code); border-radius: 4px; }
code { padding: .1em .3em; }
pre { padding: .75rem; overflow-x: auto; border: 1px solid var(--line); }
pre code { padding: 0; background: none; }
.sev { display: inline-block; font-size: .8rem; font-weight: 600; padding: 0 .45rem; border-radius: 1rem; border: 1px solid currentColor; }
.sev.error { color: var(--error); } .sev.warning { color: var(--warning); } .sev.info { color: var(--info); }
.meta, .file, .tradeoffs { color: var(--muted); font-size: .92rem; }
ul.rules { list-style: none; padding: 0; }
ul.rules li { padding: .35rem 0; border-bottom: 1px solid var(--line); }
ul.rules .id { font-family: ui-monospace, monospace; font-size: .9rem; }
input[type=search] { width: 100%; font-size: 1rem; padding: .5rem .7rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
.option { margin: 1rem 0 1.5rem; }
nav { font-size: .92rem; }
"#;

fn page(title: &str, depth: usize, body: &str) -> String {
    let home = "../".repeat(depth);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<nav><a href=\"{home}index.html\">buildmedic: every known failure</a></nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        esc(title)
    )
}

fn index(catalog: &Catalog) -> String {
    let mut groups: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for rule in &catalog.rules {
        groups.entry(rule.group()).or_default().push(rule);
    }
    let mut body = String::new();
    let _ = writeln!(body, "<h1>Why did my build fail?</h1>");
    let _ = writeln!(
        body,
        "<p>{} failures buildmedic recognises in build and deploy logs, by ecosystem. Each page says what the log shows, why it happens, and what to change for Nixpacks, Railpack and Dockerfile builds.</p>",
        catalog.rules.len()
    );
    let _ = writeln!(
        body,
        "<p><label for=\"filter\">Filter the list</label><br><input type=\"search\" id=\"filter\" placeholder=\"e.g. pnpm, lockfile, python/\" autocomplete=\"off\"></p>"
    );
    for (group, rules) in &groups {
        let _ = writeln!(
            body,
            "<section class=\"group\" data-group=\"{}\">\n<h2 id=\"{}\">{}</h2>\n<ul class=\"rules\">",
            esc(group),
            esc(group),
            esc(group)
        );
        for rule in rules {
            let title = fill(&rule.title, rule, &BTreeMap::new());
            let search = format!("{} {} {}", rule.id, title, rule.severity.as_str()).to_lowercase();
            let _ = writeln!(
                body,
                "<li data-search=\"{}\"><a class=\"id\" href=\"rules/{}/index.html\">{}</a> <span class=\"sev {}\">{}</span><br>{}</li>",
                esc(&search),
                esc(&rule.id),
                esc(&rule.id),
                rule.severity.as_str(),
                rule.severity.as_str(),
                esc(&title)
            );
        }
        let _ = writeln!(body, "</ul>\n</section>");
    }
    let _ = writeln!(body, "<p id=\"none\" hidden>No rule matches the filter.</p>");
    body.push_str(
        r#"<script>
(function () {
  var box = document.getElementById('filter');
  var none = document.getElementById('none');
  function apply() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll('section.group').forEach(function (section) {
      var inSection = 0;
      section.querySelectorAll('li').forEach(function (li) {
        var text = li.getAttribute('data-search');
        var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
        li.hidden = !ok;
        if (ok) { inSection++; }
      });
      section.hidden = inSection === 0;
      shown += inSection;
    });
    none.hidden = shown !== 0;
  }
  box.addEventListener('input', apply);
  // ?q=words pre-fills the filter, so a filtered list can be linked to.
  var q = new URLSearchParams(window.location.search).get('q');
  if (q) { box.value = q; apply(); }
})();
</script>"#,
    );
    page("buildmedic: every known build failure", 0, &body)
}

fn rule_page(rule: &Rule) -> String {
    let empty = BTreeMap::new();
    let text = |s: &str| fill(s, rule, &empty);
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", esc(&text(&rule.title)));
    let _ = writeln!(
        body,
        "<p class=\"meta\"><span class=\"sev {}\">{}</span> <code>{}</code> · {} rule</p>",
        rule.severity.as_str(),
        rule.severity.as_str(),
        esc(&rule.id),
        rule.kind.as_str()
    );
    let _ = writeln!(body, "<h2>What the log says</h2>");
    for ex in &rule.examples.matches {
        let _ = writeln!(body, "<pre><code>{}</code></pre>", esc(ex.log.trim_end()));
    }
    let _ = writeln!(body, "<h2>Why it happens</h2>");
    body.push_str(&markdown_html(&text(&rule.explanation)));
    let _ = writeln!(body, "<h2>How to fix it</h2>");
    for (label, options) in remedy_sections(rule) {
        let _ = writeln!(body, "<h3>{}</h3>", esc(label));
        for (i, r) in options.iter().enumerate() {
            let _ = writeln!(body, "<div class=\"option\">\n<h4>{}. {}</h4>\n<ol>", i + 1, esc(&text(&r.title)));
            for step in &r.steps {
                let _ = writeln!(body, "<li>{}</li>", inline_markdown(&text(step)));
            }
            let _ = writeln!(body, "</ol>");
            if let Some(snippet) = &r.snippet {
                if let Some(file) = &r.file {
                    let _ = writeln!(body, "<p class=\"file\">In <code>{}</code>:</p>", esc(file));
                }
                let _ = writeln!(body, "<pre><code>{}</code></pre>", esc(text(snippet).trim_end()));
            }
            if let Some(t) = &r.tradeoffs {
                let _ = writeln!(
                    body,
                    "<p class=\"tradeoffs\"><strong>Trade-off:</strong> {}</p>",
                    inline_markdown(&text(t))
                );
            }
            let _ = writeln!(body, "</div>");
        }
    }
    let _ = writeln!(body, "<h2>Links</h2>\n<ul>");
    for link in &rule.links {
        let _ = writeln!(body, "<li><a href=\"{}\">{}</a></li>", esc(&safe_url(&link.url)), esc(&link.title));
    }
    let _ = writeln!(body, "</ul>");
    let _ = writeln!(body, "<h2>Patterns</h2>\n<p>buildmedic matches these regular expressions against each log line, after removing timestamps, BuildKit prefixes and colour codes.</p>");
    for p in &rule.patterns {
        let _ = writeln!(body, "<pre><code>{}</code></pre>", esc(&p.source()));
    }
    if !rule.explains.is_empty() {
        let _ =
            writeln!(body, "<p>When this failure is found, these findings are shown as its consequences:</p>\n<ul>");
        for id in &rule.explains {
            let _ = writeln!(body, "<li><a href=\"../../{}/index.html\"><code>{}</code></a></li>", esc(id), esc(id));
        }
        let _ = writeln!(body, "</ul>");
    }
    page(&format!("{}: {}", rule.id, text(&rule.title)), 3, &body)
}

/// One line of Markdown (backticks, emphasis, links) without a paragraph.
fn inline_markdown(text: &str) -> String {
    let html = markdown_html(text);
    let trimmed = html.trim();
    trimmed.strip_prefix("<p>").and_then(|s| s.strip_suffix("</p>")).unwrap_or(trimmed).to_string()
}

fn safe_url(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        url.to_string()
    } else {
        "#".to_string()
    }
}
