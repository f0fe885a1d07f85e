//! The JSON contract: the checked-in schema is the one generated from the
//! output types, and real output fits it.

use crate::support::{fixture, root, run};
use serde_json::Value;

const SCHEMA: &str = "schema/report.schema.json";

#[test]
fn the_checked_in_schema_is_generated_from_the_types() {
    let generated = buildmedic::render::json::schema();
    let path = root().join(SCHEMA);
    if std::env::var_os("BUILDMEDIC_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{SCHEMA} is out of date with the output types; regenerate it with \
         `BUILDMEDIC_BLESS=1 cargo test the_checked_in_schema` and review the diff"
    );
}

/// Checks `value` against the part of the schema `schema` that describes
/// it: types, enums, required fields, and no field the schema does not name.
fn check(value: &Value, schema: &Value, defs: &Value, at: &str) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return check(value, &defs[name], defs, at);
    }
    if let Some(any) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
        let fits = any.iter().any(|s| std::panic::catch_unwind(|| check(value, s, defs, at)).is_ok());
        assert!(fits, "{at}: {value} fits none of {any:?}");
        return;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        assert!(values.contains(value), "{at}: {value} is not one of {values:?}");
    }
    if let Some(c) = schema.get("const") {
        assert_eq!(value, c, "{at}");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(types.is_empty() || types.contains(&kind), "{at}: {kind}, expected {types:?}");
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                assert!(map.contains_key(required.as_str().unwrap()), "{at}: missing {required}");
            }
            for (key, v) in map {
                match properties.and_then(|p| p.get(key)) {
                    Some(s) => check(v, s, defs, &format!("{at}.{key}")),
                    None => {
                        let extra = schema.get("additionalProperties");
                        assert!(extra.is_some_and(|e| e != &Value::Bool(false)), "{at}: `{key}` is not in the schema");
                        if let Some(s) = extra.filter(|e| e.is_object()) {
                            check(v, s, defs, &format!("{at}.{key}"));
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(v, s, defs, &format!("{at}[{i}]"));
                }
            }
        }
        _ => {}
    }
}

#[test]
fn real_output_fits_the_schema() {
    let schema: Value = serde_json::from_str(&buildmedic::render::json::schema()).unwrap();
    let logs = ["nixpacks-pip-externally-managed.log", "buildkit-unknown-failure.log", "clean-nixpacks-build.log"];
    let mut args = vec!["--format".to_string(), "json".to_string(), "--context".to_string(), "2".to_string()];
    args.extend(logs.iter().map(|l| fixture(l)));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args, b"");
    let doc = out.json();
    assert!(doc["findings"].as_array().is_some_and(|f| !f.is_empty()));
    check(&doc, &schema, &schema["$defs"], "$");
}
