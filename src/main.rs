use std::io::IsTerminal;

fn main() {
    let env = buildmedic::Env {
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        docs_url: std::env::var("BUILDMEDIC_DOCS_URL")
            .ok()
            .filter(|v| !v.is_empty()),
        stdin_is_terminal: std::io::stdin().is_terminal(),
        stdout_is_terminal: std::io::stdout().is_terminal(),
        stderr_is_terminal: std::io::stderr().is_terminal(),
    };
    let code = buildmedic::run(
        std::env::args_os(),
        &env,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
