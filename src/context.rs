//! Build context: which builder produced the log (and its version and
//! providers), and which build step each line belongs to.
//!
//! Steps are recognised from BuildKit vertex headers (`#9 [stage-0 4/11] RUN
//! …`, told apart by their `#N` when parallel steps interleave), the TTY
//! progress (`=> [5/8] RUN …`), BuildKit's error excerpt (`> [4/11] RUN …:`),
//! the legacy builder (`Step 6/10 : RUN …`), Railway's export (`[stage-0
//! 6/9] RUN …`), and deploy-stage banners. Nixpacks and Railpack plans map a
//! step's command to its phase (setup, install, build, start).

pub use crate::builder::Builder;
use crate::normalize::LineMeta;
use regex::Regex;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

/// Vertices remembered per log; older ones are forgotten first.
const MAX_VERTICES: usize = 4096;

/// The builder of a log, as far as the log tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BuilderInfo {
    /// Which builder.
    pub name: Builder,
    /// Its version, when the log prints it.
    pub version: Option<String>,
    /// The providers (languages) its plan detected.
    pub providers: Vec<String>,
}

/// The build step a line belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Step {
    /// As the log names it: `[stage-0 4/11] RUN pip install -r requirements.txt`.
    pub name: String,
    /// The command it runs, when the step is a RUN or a named command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// setup / install / build / start (Nixpacks, Railpack), or deploy stages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}

struct Fingerprint {
    regex: Regex,
    builder: Builder,
    weight: u32,
}

fn re(s: &str) -> Regex {
    regex::RegexBuilder::new(s)
        .dfa_size_limit(crate::catalog::rule::DFA_CACHE)
        .build()
        .unwrap_or_else(|e| unreachable!("context regex {s}: {e}"))
}

static FINGERPRINTS: LazyLock<Vec<Fingerprint>> = LazyLock::new(|| {
    let f = |s: &str, builder, weight| Fingerprint { regex: re(s), builder, weight };
    use Builder::*;
    vec![
        f(r"Nixpacks v\d+\.\d+", Nixpacks, 20),
        f(r"^Using Nixpacks$|^Nixpacks build failed|nixpacks was unable", Nixpacks, 20),
        f(r"/bin/bash -ol pipefail -c|\.nixpacks/nixpkgs-|railwayapp/nixpacks:", Nixpacks, 10),
        f(r"│ Railpack \d+\.\d+|Successfully prepared Railpack plan|Railpack could not determine", Railpack, 20),
        f(
            r"railpack-plan\.json|install mise packages:|^\[railpack\] |railpack-frontend|railpack-builder",
            Railpack,
            10,
        ),
        f(r"(?i)^Using detected Dockerfile", Dockerfile, 20),
        f(r"^Step \d+/\d+ : [A-Z]+|/bin/sh -c ", Dockerfile, 1),
        f(r"^(?:remote: )?-----> .* (?:app detected|Buildpack)|^-----> Installing (?:python|node|ruby)", Buildpack, 20),
    ]
});

static NIXPACKS_VERSION: LazyLock<Regex> = LazyLock::new(|| re(r"Nixpacks v(\d+\.\d+\.\d+)"));
static RAILPACK_VERSION: LazyLock<Regex> = LazyLock::new(|| re(r"│ Railpack (\d+\.\d+\.\d+)"));
static NIXPACKS_ROW: LazyLock<Regex> = LazyLock::new(|| re(r"^║ (\S*)\s*│ (.*?)\s*║$"));
static RAILPACK_PROVIDER: LazyLock<Regex> = LazyLock::new(|| re(r"^↳ Detected (\w[\w.+-]*)"));
static RAILPACK_PHASE: LazyLock<Regex> = LazyLock::new(|| re(r"^▸ (\w+)$"));
static STEP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:=> (?:ERROR |CACHED )?|> )?\[(?:(?P<stage>[\w.-]+)\s+)?(?P<n>\d+)/(?P<m>\d+)\]\s+(?P<instr>[A-Z]+)\s+(?P<rest>.*?):?$",
    )
});
/// Railway's dashboard copy: the instruction stands alone on its line.
static DASHBOARD_STEP: LazyLock<Regex> = LazyLock::new(|| re(r"^(?P<instr>RUN|COPY|ADD)\s+(?P<rest>.+?)(?: cached)?$"));
static LEGACY_STEP: LazyLock<Regex> =
    LazyLock::new(|| re(r"^Step (?P<n>\d+)/(?P<m>\d+) : (?P<instr>[A-Z]+)\s+(?P<rest>.*)$"));
static MOUNT_FLAGS: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:--[\w-]+=\S+\s+)+"));
static VERTEX_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:DONE|CACHED|ERROR|CANCELED|sha256:|extracting|resolve |transferring |naming to|writing image|exporting)")
});

/// Literals that every line the context reads contains at least one of:
/// the fast path hands a line to `observe` only when it holds one (or
/// starts a new BuildKit vertex). A test checks them against the regexes.
pub const TRIGGERS: &[&str] = &[
    "Nixpacks",
    "nixpacks",
    "/bin/bash -ol pipefail -c",
    "Railpack",
    "railpack",
    "install mise packages:",
    "Dockerfile",
    "/bin/sh -c ",
    "----->",
    "║",
    "▸ ",
    "$ ",
    "↳ Detected",
    "Deploy",
    "Starting Healthcheck",
    "Starting Container",
    "] RUN",
    "] COPY",
    "] ADD",
    "] FROM",
    "] WORKDIR",
    "Step ",
    "RUN ",
    "COPY ",
    "ADD ",
];

/// What the lines read so far say about the build: builder evidence and steps.
#[derive(Default)]
pub struct Context {
    scores: HashMap<Builder, u32>,
    version: Option<String>,
    providers: Vec<String>,
    /// Phase commands from a Nixpacks or Railpack plan: (phase, command).
    plan: Vec<(String, String)>,
    plan_phase: Option<String>,
    vertices: HashMap<u32, Arc<Step>>,
    current: Option<Arc<Step>>,
}

impl Context {
    /// Updates the context from one normalised line and returns the step the
    /// line belongs to.
    pub fn observe(&mut self, text: &str, meta: LineMeta) -> Option<Arc<Step>> {
        self.detect_builder(text);
        self.read_plan(text);
        if let Some(step) = self.step_header(text) {
            let step = Arc::new(step);
            if let Some(v) = meta.vertex {
                self.remember(v, Arc::clone(&step));
            }
            self.current = Some(step);
        } else if let Some(v) = meta.vertex {
            if !self.vertices.contains_key(&v) && !VERTEX_STATUS.is_match(text) && !text.is_empty() {
                // The first line of a vertex is its name (Railpack steps are
                // named after their command).
                let step = Step { name: text.to_string(), command: None, phase: self.phase_of(text) };
                self.remember(v, Arc::new(step));
            }
            return self.vertices.get(&v).cloned();
        } else if let Some(stage) = deploy_stage(text) {
            self.current =
                Some(Arc::new(Step { name: stage.to_string(), command: None, phase: Some(stage.to_string()) }));
        }
        self.current.clone()
    }

    /// The step a line with this vertex (or none) belongs to, without
    /// reading the line: for lines the fast path only glances at.
    pub fn step_of(&self, vertex: Option<u32>) -> Option<Arc<Step>> {
        match vertex {
            Some(v) => self.vertices.get(&v).cloned(),
            None => self.current.clone(),
        }
    }

    /// Whether the first line of BuildKit vertex `v` has been seen.
    pub fn knows_vertex(&self, v: u32) -> bool {
        self.vertices.contains_key(&v)
    }

    fn remember(&mut self, vertex: u32, step: Arc<Step>) {
        if self.vertices.len() >= MAX_VERTICES {
            self.vertices.clear();
        }
        self.vertices.insert(vertex, step);
    }

    fn step_header(&self, text: &str) -> Option<Step> {
        let caps =
            STEP.captures(text).or_else(|| LEGACY_STEP.captures(text)).or_else(|| DASHBOARD_STEP.captures(text))?;
        let instr = caps.name("instr").map_or("", |m| m.as_str());
        let rest = caps.name("rest").map_or("", |m| m.as_str());
        let command = (instr == "RUN").then(|| MOUNT_FLAGS.replace(rest, "").trim().to_string());
        let n = caps.name("n").map_or("", |m| m.as_str());
        let m = caps.name("m").map_or("", |m| m.as_str());
        let name = match caps.name("stage") {
            Some(stage) => format!("[{} {n}/{m}] {instr} {}", stage.as_str(), command.as_deref().unwrap_or(rest)),
            None => format!("[{n}/{m}] {instr} {}", command.as_deref().unwrap_or(rest)),
        };
        let phase = command.as_deref().and_then(|c| self.phase_of(c));
        Some(Step { name, command, phase })
    }

    /// The plan phase whose command `command` runs.
    fn phase_of(&self, command: &str) -> Option<String> {
        self.plan
            .iter()
            .find(|(_, cmd)| !cmd.is_empty() && (command.ends_with(cmd.as_str()) || command.contains(cmd.as_str())))
            .map(|(phase, _)| phase.clone())
    }

    fn detect_builder(&mut self, text: &str) {
        for fp in FINGERPRINTS.iter() {
            if fp.regex.is_match(text) {
                *self.scores.entry(fp.builder).or_default() += fp.weight;
            }
        }
        if self.version.is_none() {
            if let Some(c) = NIXPACKS_VERSION.captures(text).or_else(|| RAILPACK_VERSION.captures(text)) {
                self.version = c.get(1).map(|m| m.as_str().to_string());
            }
        }
        if let Some(c) = RAILPACK_PROVIDER.captures(text) {
            self.add_provider(c.get(1).map_or("", |m| m.as_str()).to_lowercase());
        }
    }

    fn add_provider(&mut self, name: String) {
        if !name.is_empty() && !self.providers.contains(&name) && self.providers.len() < 8 {
            self.providers.push(name);
        }
    }

    fn read_plan(&mut self, text: &str) {
        if let Some(c) = NIXPACKS_ROW.captures(text) {
            let phase = c.get(1).map_or("", |m| m.as_str());
            let content = c.get(2).map_or("", |m| m.as_str()).trim();
            if !phase.is_empty() {
                self.plan_phase = Some(phase.to_string());
            }
            let Some(phase) = self.plan_phase.clone() else {
                return;
            };
            if phase == "setup" {
                for pkg in content.trim_start_matches("pkgs:").split(',') {
                    if let Some(provider) = provider_of_nix_package(pkg.trim()) {
                        self.add_provider(provider.to_string());
                    }
                }
            } else if !content.is_empty() && self.plan.len() < 64 {
                self.plan.push((phase, content.trim_start_matches("cmds:").trim().to_string()));
            }
            return;
        }
        if let Some(c) = RAILPACK_PHASE.captures(text) {
            self.plan_phase = c.get(1).map(|m| m.as_str().to_string());
        } else if let (Some(cmd), Some(phase)) = (text.strip_prefix("$ "), &self.plan_phase) {
            if self.plan.len() < 64 {
                self.plan.push((phase.clone(), cmd.trim().to_string()));
            }
        } else if text == "Deploy" {
            self.plan_phase = Some("start".into());
        }
    }

    /// The builder the evidence points to, with its version and providers.
    pub fn builder(&self) -> BuilderInfo {
        let name = self
            .scores
            .iter()
            .max_by_key(|(b, s)| (**s, **b == Builder::Nixpacks || **b == Builder::Railpack))
            .map_or(Builder::Unknown, |(b, _)| *b);
        let version = match name {
            Builder::Nixpacks | Builder::Railpack => self.version.clone(),
            _ => None,
        };
        BuilderInfo { name, version, providers: self.providers.clone() }
    }
}

fn deploy_stage(text: &str) -> Option<&'static str> {
    match text {
        "Starting Healthcheck" => Some("healthcheck"),
        "Starting Container" => Some("deploy"),
        _ => None,
    }
}

fn provider_of_nix_package(pkg: &str) -> Option<&'static str> {
    let table: [(&str, &str); 12] = [
        ("python", "python"),
        ("nodejs", "node"),
        ("bun", "node"),
        ("deno", "deno"),
        ("go", "go"),
        ("rust", "rust"),
        ("cargo", "rust"),
        ("jdk", "java"),
        ("ruby", "ruby"),
        ("php", "php"),
        ("dotnet", "dotnet"),
        ("elixir", "elixir"),
    ];
    table.iter().find(|(prefix, _)| pkg.starts_with(prefix)).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &[&str]) -> (Context, Vec<Option<Arc<Step>>>) {
        let mut ctx = Context::default();
        let steps = lines
            .iter()
            .map(|l| {
                let mut out = String::new();
                let meta = crate::normalize::normalize_into(l.as_bytes(), &mut Vec::new(), &mut out);
                ctx.observe(&out, meta)
            })
            .collect();
        (ctx, steps)
    }

    #[test]
    fn detects_nixpacks_with_version_providers_and_phases() {
        let (ctx, steps) = feed(&[
            "╔════════ Nixpacks v1.38.0 ═══════╗",
            "║ setup      │ python311, gcc     ║",
            "║ install    │ pip install -r requirements.txt ║",
            "#9 [stage-0 6/9] RUN --mount=type=cache,id=x,target=/root/.cache/pip pip install -r requirements.txt",
            "#9 1.2 error: externally-managed-environment",
        ]);
        let b = ctx.builder();
        assert_eq!(b.name, Builder::Nixpacks);
        assert_eq!(b.version.as_deref(), Some("1.38.0"));
        assert_eq!(b.providers, vec!["python".to_string()]);
        let step = steps[4].clone().unwrap();
        assert_eq!(step.command.as_deref(), Some("pip install -r requirements.txt"));
        assert_eq!(step.phase.as_deref(), Some("install"));
    }

    #[test]
    fn interleaved_vertices_keep_their_own_steps() {
        let (_, steps) =
            feed(&["#5 [a 1/2] RUN make one", "#6 [b 1/2] RUN make two", "#5 0.1 out of a", "#6 0.2 out of b"]);
        assert_eq!(steps[2].as_ref().unwrap().command.as_deref(), Some("make one"));
        assert_eq!(steps[3].as_ref().unwrap().command.as_deref(), Some("make two"));
    }

    #[test]
    fn every_line_the_context_reads_holds_a_trigger() {
        let lines = [
            "Using Nixpacks",
            "╔════════ Nixpacks v1.38.0 ═══════╗",
            "║ setup      │ python311, gcc     ║",
            "Nixpacks build failed",
            "process \"/bin/bash -ol pipefail -c npm ci\" did not complete",
            "COPY .nixpacks/nixpkgs-abc.nix .nixpacks/nixpkgs-abc.nix",
            "│ Railpack 0.17.1 │",
            "Successfully prepared Railpack plan for build",
            "✖ Railpack could not determine how to build the app.",
            "[internal] load build definition from railpack-plan.json",
            "install mise packages: node",
            "[railpack] secrets hash",
            "Using detected Dockerfile!",
            "Step 6/10 : RUN pip3 install .",
            "-----> Python app detected",
            "▸ install",
            "$ npm ci",
            "↳ Detected Node",
            "Deploy",
            "Starting Healthcheck",
            "Starting Container",
            "[stage-0 4/9] RUN pip install -r requirements.txt",
            "=> ERROR [5/8] RUN npm run build",
            "> [stage-0  4/11] RUN nix-env -if x.nix:",
            "RUN bundle install --jobs 4",
        ];
        for line in lines {
            assert!(TRIGGERS.iter().any(|t| line.contains(t)), "no trigger in {line}");
        }
    }

    #[test]
    fn legacy_builder_steps_and_dockerfile_detection() {
        let (ctx, steps) = feed(&["Using detected Dockerfile!", "Step 6/10 : RUN pip3 install .", "error here"]);
        assert_eq!(ctx.builder().name, Builder::Dockerfile);
        assert_eq!(steps[2].as_ref().unwrap().name, "[6/10] RUN pip3 install .");
    }
}
