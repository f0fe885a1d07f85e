//! The rule loader on arbitrary YAML: a rule or a clear error, never a
//! panic; a rule that loads can be linted and rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rule) = buildmedic::catalog::parse_rule("fuzz.yaml", text) {
        let catalog = buildmedic::catalog::Catalog::from_rules(vec![rule]);
        if let Some(rule) = catalog.rules.first() {
            let _ = buildmedic::catalog::lint::lint(rule, &catalog);
            let _ = buildmedic::render::page::explain_text(rule, "https://example.com");
        }
    }
});
