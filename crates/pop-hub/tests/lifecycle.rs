//! A sub's start hook handing its run hook a value, and the `only` option
//! choosing which subs a process starts and runs.

// User code names the runtime `pop` (a renamed dependency); so do these tests.
extern crate pop_hub as pop;

use std::sync::Mutex;

use pop::__private::{CrateInfo, Registry};
use pop::prelude::*;
use pop::{Flag, Opt};

pop::no_sites!();

/// What the run hooks saw, in order.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

const CONFIG: &[Opt] = &[Opt::string("only", "")];
const FLAGS: &[Flag] = &[Flag::new("only")];

fn app(registry: &mut Registry) {
    let mut krate = registry
        .krate(CrateInfo {
            name: "app",
            version: "1.0.0",
            env_prefix: "APP",
            config: CONFIG,
            cli_config: FLAGS,
            subcommands: &[],
            dyne: &[("source", &["source"]), ("stage", &["stage"])],
        })
        .unwrap();
    krate.sub(&["source"], "src/source");
    krate.run_hook(&["source"], |_hub: Arc<Hub>| async move {
        SEEN.lock().unwrap().push("source ran".into());
    });
    krate.sub(&["stage"], "src/stage");
    krate.start_and_run_hooks(
        &["stage"],
        |_hub: &mut Hub| Ok::<_, pop::Error>(String::from("handed over")),
        |_hub: Arc<Hub>, state: String| async move {
            SEEN.lock().unwrap().push(format!("stage ran with {state}"));
        },
    );
}

fn run(args: &[&str]) -> Result<Vec<String>> {
    SEEN.lock().unwrap().clear();
    let mut hub = Hub::new(app)?;
    hub.add_all_subs()?;
    hub.load_config_from(args.iter().copied(), |_| None)?;
    hub.run()?;
    let mut seen = SEEN.lock().unwrap().clone();
    seen.sort();
    Ok(seen)
}

// One test: the hooks note into one static.
#[test]
fn the_start_hook_hands_its_value_to_the_run_hook_and_only_chooses_the_subs() {
    assert_eq!(
        run(&["app"]).unwrap(),
        ["source ran", "stage ran with handed over"]
    );
    assert_eq!(
        run(&["app", "--only", "stage"]).unwrap(),
        ["stage ran with handed over"]
    );
    assert_eq!(
        run(&["app", "--only", " source ,"]).unwrap(),
        ["source ran"]
    );
    let err = run(&["app", "--only", "sorce"]).unwrap_err();
    let config = err
        .downcast_ref::<pop::ConfigError>()
        .expect("a config error");
    assert_eq!(config.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("there is no sub `sorce` (the subs: source, stage)"),
        "{err}"
    );
}
