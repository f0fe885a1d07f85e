//! The whole pipeline on arbitrary bytes: read, normalise, match, diagnose
//! and render in every output format, with the embedded catalogue (loaded
//! once). Never a panic; the JSON is well-formed and every finding points
//! at a line of the input.
#![no_main]

use buildmedic::render::{self, card::Cards, github::Github, json::Json, markdown::Markdown};
use buildmedic::{Catalog, Engine, Options};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(&[]).expect("embedded catalogue"));
static ENGINE: LazyLock<Engine<'static>> =
    LazyLock::new(|| Engine::new(&CATALOG, Options { context: 3, redact: true, ..Options::default() }));

fuzz_target!(|data: &[u8]| {
    let input = ENGINE.read("fuzz", &mut &data[..], &mut ());
    for f in &input.findings {
        assert!(f.line.number >= 1 && f.line.number <= input.lines.max(1));
    }
    let report = buildmedic::rank::assemble(&CATALOG, vec![input]);
    let options = render::RenderOptions { docs_url: "https://example.com".into(), all_fixes: true, color: false };
    let mut sinks: Vec<Box<dyn render::Sink>> = vec![
        Box::new(Json::default()),
        Box::new(Cards::new(options)),
        Box::new(Markdown),
        Box::new(Github),
        Box::new(Json::summary_event()),
    ];
    for (i, sink) in sinks.iter_mut().enumerate() {
        let mut out = Vec::new();
        render::render(sink.as_mut(), &report, &CATALOG, "https://example.com", &mut out).expect("render");
        if i == 0 {
            let doc: serde_json_check::Value = serde_json_check::from_slice(&out).expect("JSON output");
            assert_eq!(doc["version"], 1);
        }
    }
});
