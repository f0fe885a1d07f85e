use std::io::{IsTerminal, Read};

fn main() {
    let interrupted = buildmedic::interrupt::install();
    let env = buildmedic::Env {
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        docs_url: std::env::var("BUILDMEDIC_DOCS_URL").ok().filter(|v| !v.is_empty()),
        disable: std::env::var("BUILDMEDIC_DISABLE").ok().filter(|v| !v.is_empty()),
        stdin_is_terminal: std::io::stdin().is_terminal(),
        stdout_is_terminal: std::io::stdout().is_terminal(),
        stderr_is_terminal: std::io::stderr().is_terminal(),
        interrupted: interrupted.clone(),
    };
    let mut stdin: Box<dyn Read> = match interrupted {
        Some(flag) => Box::new(buildmedic::interrupt::StdinPump::new(flag)),
        None => Box::new(std::io::stdin().lock()),
    };
    let code = buildmedic::run(
        std::env::args_os(),
        &env,
        &mut stdin,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
