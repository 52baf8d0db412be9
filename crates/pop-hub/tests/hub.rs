//! The hub as generated code uses it: registration, calls by reference,
//! errors, load hooks and per-sub data.

// User code names the runtime `pop` (a renamed dependency); so do these tests.
extern crate pop_hub as pop;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pop::__private::{CrateInfo, Registry};
use pop::prelude::*;
use pop::{Flag, Kind, Opt, Subcommand};

// These plugins are registered by hand, as generated code would: none has contracts.
pop::no_sites!();

/// Plugins as a user writes them (SPEC section 5, plus the other shapes).
mod math {
    use pop::prelude::*;

    /// Return the num'th Fibonacci number.
    #[plugin]
    pub async fn fib(_hub: &Hub, #[default(10)] num: u64) -> Result<u64> {
        let (mut prev, mut curr) = (0u64, 1u64);
        if num < 2 {
            return Ok(num);
        }
        for _ in 1..num {
            (prev, curr) = (curr, prev + curr);
        }
        Ok(curr)
    }

    /// Triple a number.
    #[plugin]
    pub fn triple(_hub: &Hub, #[default(10)] num: u64) -> u64 {
        num * 3
    }

    /// Greets someone, maybe politely.
    #[plugin]
    pub fn greet(_hub: &Hub, name: String, title: Option<String>) -> String {
        match title {
            Some(title) => format!("Hello, {title} {name}!"),
            None => format!("Hello, {name}!"),
        }
    }

    /// Always fails.
    #[plugin]
    pub fn broken(_hub: &Hub) -> Result<()> {
        bail!("the disk is full")
    }

    /// Panics.
    #[plugin]
    pub fn explode(_hub: &Hub) -> u64 {
        panic!("kaboom")
    }

    /// Panics after an await.
    #[plugin]
    pub async fn explode_later(_hub: &Hub) -> u64 {
        tokio_yield().await;
        panic!("kaboom later")
    }

    async fn tokio_yield() {}

    /// Calls another plugin by reference and reads the sub's data.
    #[plugin]
    pub async fn fib_label(hub: &Hub, num: u64) -> Result<String> {
        let value = hub.call("rpc.math.fib", json!({ "num": num })).await?;
        let label = hub.data::<super::Label>("rpc").map_or("?", |label| label.0);
        Ok(format!("{label}{value}"))
    }

    /// Counts calls in data shared across tasks.
    #[plugin]
    pub fn count(hub: &Hub) -> usize {
        let counter = hub
            .data::<super::Counter>("rpc")
            .expect("set by the load hook");
        counter.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }

    /// Doubles a number, if there is one.
    #[plugin]
    pub fn maybe_double(_hub: &Hub, num: Option<u64>) -> Option<u64> {
        num.map(|n| n * 2)
    }

    /// Takes a list.
    #[plugin]
    pub fn total(_hub: &Hub, values: Vec<f64>) -> f64 {
        values.iter().sum()
    }
}

mod users {
    use pop::prelude::*;

    /// Lists users.
    #[plugin]
    pub fn list(_hub: &Hub) -> Vec<&'static str> {
        vec!["ada", "grace"]
    }
}

mod ext_math {
    use pop::prelude::*;

    /// The extension's own fib: clashes with the app's.
    #[plugin]
    pub fn fib(_hub: &Hub) -> u64 {
        0
    }

    /// Adds.
    #[plugin]
    pub fn add(_hub: &Hub, a: i64, b: i64) -> i64 {
        a + b
    }
}

struct Label(&'static str);
struct Counter(AtomicUsize);

thread_local! {
    /// Load hooks run on the thread that adds the sub: each test sees its own.
    static HOOKS: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}
static STOPPED: AtomicBool = AtomicBool::new(false);

fn hooked(name: &'static str) {
    HOOKS.with(|hooks| hooks.borrow_mut().push(name));
}

fn app_info(name: &'static str) -> CrateInfo {
    CrateInfo {
        name,
        version: "1.2.3",
        env_prefix: Box::leak(name.to_ascii_uppercase().into_boxed_str()),
        config: APP_CONFIG,
        cli_config: APP_FLAGS,
        subcommands: &[],
        dyne: &[("rpc", &["rpc"])],
    }
}

const APP_CONFIG: &[Opt] = &[
    Opt::string("addr", "127.0.0.1").help("The address to present the rpc server on"),
    Opt::u16("port", 8888).help("The port to bind to"),
    Opt::bool("debug", false).help("Say more"),
    Opt::new("token", Kind::String).help("A secret"),
    Opt::f64("ratio", 0.5),
];
const APP_FLAGS: &[Flag] = &[
    Flag::new("addr").short('a'),
    Flag::new("port").short('p'),
    Flag::new("debug"),
];

fn ext_register(registry: &mut Registry) {
    const EXT_CONFIG: &[Opt] = &[Opt::u64("workers", 4).help("Worker count")];
    const EXT_FLAGS: &[Flag] = &[Flag::new("workers")];
    let Some(mut krate) = registry.krate(CrateInfo {
        name: "ext",
        version: "0.1.0",
        env_prefix: "EXT",
        config: EXT_CONFIG,
        cli_config: EXT_FLAGS,
        subcommands: &[],
        dyne: &[("rpc", &["rpc"])],
    }) else {
        return;
    };
    krate.sub(&["rpc"], "src/rpc");
    krate.module(
        &["rpc"],
        "ext_math",
        "src/rpc/ext_math.rs",
        &[ext_math::__pop_plugin_add()],
        None,
    );
    krate.load_hook(&["rpc"], |_hub| hooked("ext rpc"));
}

/// What pop-build generates for the app: dependencies first, then its own subs.
fn register(registry: &mut Registry) {
    ext_register(registry);
    // A crate reached twice registers once.
    ext_register(registry);
    let Some(mut krate) = registry.krate(app_info("poppy")) else {
        return;
    };
    krate.sub(&["rpc"], "src/rpc");
    krate.load_hook(&["rpc"], |hub: &mut Hub| -> Result<()> {
        hooked("app rpc");
        hub.set_data("rpc", Label("fib="))?;
        hub.set_data("rpc", Counter(AtomicUsize::new(0)))
    });
    krate.module(
        &["rpc"],
        "math",
        "src/rpc/math.rs",
        &[
            math::__pop_plugin_broken(),
            math::__pop_plugin_count(),
            math::__pop_plugin_explode(),
            math::__pop_plugin_explode_later(),
            math::__pop_plugin_fib(),
            math::__pop_plugin_fib_label(),
            math::__pop_plugin_greet(),
            math::__pop_plugin_maybe_double(),
            math::__pop_plugin_total(),
            math::__pop_plugin_triple(),
        ],
        None,
    );
    krate.sub(&["rpc", "admin"], "src/rpc/admin");
    krate.module(
        &["rpc", "admin"],
        "users",
        "src/rpc/admin/users.rs",
        &[users::__pop_plugin_list()],
        None,
    );
    krate.load_hook(&["rpc", "admin"], |_hub| hooked("app rpc.admin"));
    krate.sub(&["tools"], "src/tools");
    krate.load_hook(&["tools"], |_hub| hooked("app tools"));
}

fn hub() -> Hub {
    let mut hub = Hub::new(register).expect("no clashes");
    hub.add_all_subs().unwrap();
    hub
}

fn call(hub: &Hub, reference: &str, kwargs: Value) -> Result<Value, CallError> {
    pop::block_on(hub.call(reference, kwargs))
}

#[test]
fn calls_by_reference_with_defaults_options_and_numeric_strings() {
    let hub = hub();
    assert_eq!(
        call(&hub, "rpc.math.fib", json!({"num": 11})).unwrap(),
        json!(89)
    );
    assert_eq!(
        call(&hub, "rpc.math.fib", json!({"num": "11"})).unwrap(),
        json!(89)
    );
    assert_eq!(call(&hub, "rpc.math.fib", json!({})).unwrap(), json!(55));
    assert_eq!(call(&hub, "rpc.math.fib", Value::Null).unwrap(), json!(55));
    assert_eq!(
        call(&hub, "rpc.math.triple", json!({"num": "33"})).unwrap(),
        json!(99)
    );
    assert_eq!(
        call(&hub, "rpc.math.greet", json!({"name": "pop"})).unwrap(),
        json!("Hello, pop!")
    );
    assert_eq!(
        call(
            &hub,
            "rpc.math.greet",
            json!({"name": "pop", "title": "Dr."})
        )
        .unwrap(),
        json!("Hello, Dr. pop!")
    );
    assert_eq!(
        call(
            &hub,
            "rpc.math.greet",
            json!({"name": "pop", "title": null})
        )
        .unwrap(),
        json!("Hello, pop!")
    );
    assert_eq!(
        call(&hub, "rpc.math.total", json!({"values": [1, "2.5", 3]}))
            .unwrap_err()
            .kind(),
        "bad_arguments"
    );
    assert_eq!(
        call(&hub, "rpc.math.total", json!({"values": [1, 2.5]})).unwrap(),
        json!(3.5)
    );
    assert_eq!(
        call(&hub, "rpc.math.maybe_double", json!({"num": "21"})).unwrap(),
        json!(42)
    );
    assert_eq!(
        call(&hub, "rpc.math.maybe_double", json!({})).unwrap(),
        json!(null)
    );
    let err = call(&hub, "rpc.math.maybe_double", json!({"num": "x"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad argument `num` for `rpc.math.maybe_double`: invalid type: string \"x\", expected u64"
    );
    assert_eq!(
        call(&hub, "rpc.ext_math.add", json!({"a": -2, "b": "5"})).unwrap(),
        json!(3)
    );
}

#[test]
fn direct_calls_stay_plain_rust() {
    let hub = Hub::default();
    assert_eq!(pop::block_on(math::fib(&hub, 11)).unwrap(), 89);
    assert_eq!(math::triple(&hub, 33), 99);
}

#[test]
fn bad_arguments_name_the_parameter() {
    let hub = hub();
    let cases = [
        (
            json!({"num": "eleven"}),
            "num",
            "invalid type: string \"eleven\", expected u64",
        ),
        (
            json!({"num": -1}),
            "num",
            "invalid value: integer `-1`, expected u64",
        ),
        (json!({"nmu": 3}), "nmu", "unknown argument"),
    ];
    for (kwargs, parameter, message) in cases {
        let err = call(&hub, "rpc.math.fib", kwargs).unwrap_err();
        assert_eq!(err.kind(), "bad_arguments");
        assert_eq!(err.parameter(), Some(parameter));
        assert_eq!(err.reference(), "rpc.math.fib");
        let text = err.to_string();
        assert!(text.contains(parameter) && text.contains(message), "{text}");
    }
    let err = call(&hub, "rpc.math.greet", json!({})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad argument `name` for `rpc.math.greet`: missing required argument"
    );
    let err = call(&hub, "rpc.math.fib", json!([11])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad arguments for `rpc.math.fib`: kwargs must be a JSON object, not an array"
    );
}

#[test]
fn unknown_references_say_why() {
    let hub = hub();
    for (reference, reason) in [
        (
            "rpc.math.nope",
            "sub `rpc` has no plugin function with this reference",
        ),
        ("nosub.math.fib", "there is no sub named `nosub`"),
        ("rpc.math", "sub `rpc` has no plugin function"),
        ("", "there is no sub named ``"),
    ] {
        let err = call(&hub, reference, json!({})).unwrap_err();
        assert_eq!(err.kind(), "unknown_ref");
        assert!(err.to_string().contains(reason), "{reference}: {err}");
    }
}

#[test]
fn plugin_errors_and_panics_are_reported_and_the_hub_stays_usable() {
    let hub = hub();
    let err = call(&hub, "rpc.math.broken", json!({})).unwrap_err();
    assert_eq!(err.kind(), "plugin_error");
    assert_eq!(
        err.to_string(),
        "`rpc.math.broken` failed: the disk is full"
    );
    let err = call(&hub, "rpc.math.explode", json!({})).unwrap_err();
    assert_eq!(err.kind(), "panic");
    assert_eq!(err.to_string(), "`rpc.math.explode` panicked: kaboom");
    let err = call(&hub, "rpc.math.explode_later", json!({})).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().contains("kaboom later")),
        ("panic", true)
    );
    assert_eq!(
        call(&hub, "rpc.math.fib", json!({"num": 11})).unwrap(),
        json!(89)
    );
}

#[test]
fn load_hooks_run_once_in_order_and_set_shared_data() {
    let mut hub = Hub::new(register).unwrap();
    let err = call(&hub, "rpc.math.fib", json!({})).unwrap_err();
    assert!(
        err.to_string()
            .contains("sub `rpc` has not been added to the hub"),
        "{err}"
    );
    hub.add_sub("rpc").unwrap();
    hub.add_sub("rpc").unwrap();
    hub.add_all_subs().unwrap();
    let hooks = HOOKS.with(|hooks| hooks.borrow().clone());
    assert_eq!(hooks, ["ext rpc", "app rpc", "app rpc.admin", "app tools"]);
    assert_eq!(
        call(&hub, "rpc.math.fib_label", json!({"num": 11})).unwrap(),
        json!("fib=89")
    );

    let hub = std::sync::Arc::new(hub);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let hub = hub.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    call(&hub, "rpc.math.count", json!({})).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(
        hub.data::<Counter>("rpc").unwrap().0.load(Ordering::SeqCst),
        100
    );
}

#[test]
fn a_failing_load_hook_names_its_sub_and_crate() {
    fn failing(registry: &mut Registry) {
        let mut krate = registry.krate(app_info("poppy")).unwrap();
        krate.sub(&["rpc"], "src/rpc");
        krate.load_hook(&["rpc"], |_hub| -> Result<()> { bail!("no database") });
    }
    let mut hub = Hub::new(failing).unwrap();
    let err = hub.add_sub("rpc").unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "the load hook of sub `rpc` (crate `poppy`) failed: no database"
    );
    let err = hub.add_sub("nope").unwrap_err();
    assert_eq!(
        err.to_string(),
        "there is no sub named `nope` on the hub (subs: rpc)"
    );
}

#[test]
fn nested_subs_have_hierarchical_references() {
    let hub = hub();
    assert_eq!(
        call(&hub, "rpc.admin.users.list", json!({})).unwrap(),
        json!(["ada", "grace"])
    );
    let rpc = hub.sub("rpc").unwrap();
    let admin = hub.sub("rpc.admin").unwrap();
    assert_eq!((admin.name(), admin.path()), ("admin", "rpc.admin"));
    assert_eq!(
        pop::block_on(rpc.call(&hub, "admin.users.list", json!({}))).unwrap(),
        json!(["ada", "grace"])
    );
    assert_eq!(
        pop::block_on(admin.call(&hub, "users.list", json!({}))).unwrap(),
        json!(["ada", "grace"])
    );
    assert_eq!(
        pop::block_on(rpc.call(&hub, "math.fib", json!({"num": 7}))).unwrap(),
        json!(13)
    );
    // Relative references never leave the sub, and init is not a plugin.
    for outside in ["rpc.math.fib", "tools.x.y", "init.run", "math"] {
        let err = pop::block_on(rpc.call(&hub, outside, json!({}))).unwrap_err();
        assert_eq!(err.kind(), "unknown_ref", "{outside}");
    }
}

#[test]
fn the_hub_lists_subs_functions_parameters_and_docs() {
    let hub = hub();
    let subs: Vec<&str> = hub.subs().map(|s| s.name()).collect();
    assert_eq!(subs, ["rpc", "tools"]);
    let rpc = hub.sub("rpc").unwrap();
    assert_eq!(rpc.modules().collect::<Vec<_>>(), ["ext_math", "math"]);
    assert_eq!(rpc.dirs(), [("ext", "src/rpc"), ("poppy", "src/rpc")]);
    let fib = hub.function("rpc.math.fib").unwrap();
    assert_eq!(fib.doc(), "Return the num'th Fibonacci number.");
    assert_eq!((fib.crate_name(), fib.file()), ("poppy", "src/rpc/math.rs"));
    let param = fib.params()[0];
    assert_eq!(
        (param.name, param.ty, param.default, param.optional),
        ("num", "u64", Some("10"), false)
    );
    let greet = hub.function("rpc.math.greet").unwrap();
    assert!(greet.params()[0].is_required() && !greet.params()[1].is_required());
    assert_eq!(greet.params()[1].ty, "Option<String>");
    let all: Vec<&str> = hub.functions().iter().map(|f| f.reference()).collect();
    assert_eq!(all.first(), Some(&"rpc.admin.users.list"));
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(hub.app().map(|app| app.name), Some("poppy"));
    assert_eq!(
        hub.crates().iter().map(|c| c.name).collect::<Vec<_>>(),
        ["ext", "poppy"]
    );
}

#[test]
fn two_crates_defining_one_reference_is_an_error_naming_both() {
    fn clashing(registry: &mut Registry) {
        let mut ext = registry.krate(app_info("ext")).unwrap();
        ext.module(
            &["rpc"],
            "math",
            "src/rpc/math.rs",
            &[ext_math::__pop_plugin_fib()],
            None,
        );
        let mut app = registry
            .krate(CrateInfo {
                cli_config: &[],
                ..app_info("poppy")
            })
            .unwrap();
        app.module(
            &["rpc"],
            "math",
            "src/rpc/math.rs",
            &[math::__pop_plugin_fib()],
            None,
        );
    }
    let err = Hub::new(clashing).unwrap_err().to_string();
    assert_eq!(
        err,
        "function `rpc.math.fib` is defined twice: in crate `ext` (src/rpc/math.rs) and in crate `poppy` (src/rpc/math.rs)"
    );
}

#[test]
fn two_crates_declaring_one_flag_is_an_error_naming_both() {
    fn clashing(registry: &mut Registry) {
        registry.krate(app_info("ext")).unwrap();
        registry.krate(app_info("poppy")).unwrap();
    }
    let err = Hub::new(clashing).unwrap_err().to_string();
    assert!(
        err.contains("the flag --port is declared by both crate `ext` and crate `poppy`"),
        "{err}"
    );
    assert!(
        err.contains("the flag -p is declared by both crate `ext` and crate `poppy`"),
        "{err}"
    );

    fn builtin(registry: &mut Registry) {
        const FLAGS: &[Flag] = &[Flag::new("port").short('h')];
        registry
            .krate(CrateInfo {
                cli_config: FLAGS,
                ..app_info("poppy")
            })
            .unwrap();
    }
    let err = Hub::new(builtin).unwrap_err().to_string();
    assert_eq!(err, "crate `poppy` declares the flag -h, which is built in");

    fn undeclared(registry: &mut Registry) {
        const FLAGS: &[Flag] = &[Flag::new("prot")];
        registry
            .krate(CrateInfo {
                cli_config: FLAGS,
                ..app_info("poppy")
            })
            .unwrap();
    }
    let err = Hub::new(undeclared).unwrap_err().to_string();
    assert_eq!(
        err,
        "crate `poppy`: CLI_CONFIG names `prot`, which its CONFIG does not declare"
    );
}

mod config {
    use super::*;
    use std::collections::HashMap;

    fn load(args: &[&str], env: &[(&str, &str)]) -> Result<Hub> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut hub = Hub::new(register)?;
        let args = std::iter::once("poppy").chain(args.iter().copied());
        hub.load_config_from(args, |name| env.get(name).cloned())?;
        Ok(hub)
    }

    fn temp_file(name: &str, text: &str) -> String {
        let path =
            std::env::temp_dir().join(format!("pop-conf-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn error(args: &[&str], env: &[(&str, &str)]) -> String {
        let err = load(args, env).unwrap_err();
        let config = err
            .downcast_ref::<pop::ConfigError>()
            .expect("a ConfigError");
        assert_eq!(config.exit_code(), 2);
        config.to_string()
    }

    #[test]
    fn defaults_then_file_then_env_then_flags() {
        let hub = load(&[], &[]).unwrap();
        assert_eq!(hub.opt()["poppy"]["port"], json!(8888));
        assert_eq!(hub.opt()["poppy"]["addr"], json!("127.0.0.1"));
        assert_eq!(hub.opt()["poppy"]["log_level"], json!("info"));
        assert_eq!(hub.opt()["ext"]["workers"], json!(4));
        assert!(hub.opt()["poppy"].get("token").is_none());

        let file = temp_file("layers", "port = 9000\n[ext]\nworkers = 8\n");
        let hub = load(&["--config", &file], &[]).unwrap();
        assert_eq!(
            (
                hub.opt()["poppy"]["port"].clone(),
                hub.opt()["ext"]["workers"].clone()
            ),
            (json!(9000), json!(8))
        );
        let hub = load(&[], &[("POPPY_CONFIG", &file), ("POPPY_PORT", "9100")]).unwrap();
        assert_eq!(hub.opt()["poppy"]["port"], json!(9100));
        let hub = load(
            &["-p", "9200"],
            &[("POPPY_CONFIG", &file), ("POPPY_PORT", "9100")],
        )
        .unwrap();
        assert_eq!(hub.opt()["poppy"]["port"], json!(9200));
        let hub = load(
            &["--port=9300", "--workers", "2", "--debug"],
            &[("EXT_WORKERS", "16")],
        )
        .unwrap();
        assert_eq!(hub.opt()["poppy"]["port"], json!(9300));
        assert_eq!(hub.opt()["ext"]["workers"], json!(2));
        assert_eq!(hub.opt()["poppy"]["debug"], json!(true));

        let section = temp_file(
            "section",
            "[poppy]\naddr = \"0.0.0.0\"\nratio = 2\ntoken = \"s3cret\"\n",
        );
        let hub = load(&["--config", &section], &[("POPPY_DEBUG", "yes")]).unwrap();
        assert_eq!(hub.opt()["poppy"]["addr"], json!("0.0.0.0"));
        assert_eq!(hub.opt()["poppy"]["ratio"], json!(2.0));
        assert_eq!(hub.opt()["poppy"]["token"], json!("s3cret"));
        assert_eq!(hub.opt()["poppy"]["debug"], json!(true));
    }

    #[test]
    fn typed_extraction() {
        #[derive(Debug, serde::Deserialize)]
        struct Poppy {
            addr: String,
            port: u16,
            token: Option<String>,
        }
        let hub = load(&["-a", "::1"], &[]).unwrap();
        let poppy: Poppy = hub.opt_as("poppy").unwrap();
        assert_eq!(
            (poppy.addr.as_str(), poppy.port, poppy.token),
            ("::1", 8888, None)
        );
        let port: u16 = pop::__private::typed_option(&hub.opt()["poppy"], "poppy", "port").unwrap();
        assert_eq!(port, 8888);
        let err = hub.opt_as::<Poppy>("nope").unwrap_err();
        assert!(err.to_string().contains("no configuration for `nope`"));
    }

    #[test]
    fn bad_values_name_their_source() {
        assert_eq!(
            error(&["--port", "abc"], &[]),
            "invalid value for option `poppy.port` from command-line flag --port: `abc` is not an integer from 0 to 65535"
        );
        assert_eq!(
            error(&[], &[("POPPY_PORT", "99999")]),
            "invalid value for option `poppy.port` from environment variable POPPY_PORT: `99999` is not an integer from 0 to 65535"
        );
        let file = temp_file("bad", "port = \"eighty\"\n");
        assert_eq!(
            error(&["--config", &file], &[]),
            format!(
                "invalid value for option `poppy.port` from config file {file}: found string `\"eighty\"`, expected an integer from 0 to 65535"
            )
        );
        let unknown = temp_file("unknown", "prot = 1\n");
        let message = error(&["--config", &unknown], &[]);
        assert!(
            message.starts_with(&format!(
                "config file {unknown}: unknown option `prot` for `poppy`"
            )),
            "{message}"
        );
        let missing = std::env::temp_dir()
            .join("pop-conf-does-not-exist.toml")
            .display()
            .to_string();
        let message = error(&[], &[("POPPY_CONFIG", &missing)]);
        assert!(
            message.starts_with(&format!("config file {missing}: cannot be read")),
            "{message}"
        );
        let broken = temp_file("broken", "port = \n");
        assert!(error(&["--config", &broken], &[]).contains("is not valid TOML"));
        // A FIFO nobody writes to would block start-up forever (issue 18).
        #[cfg(unix)]
        {
            let fifo = std::env::temp_dir().join(format!("pop-conf-fifo-{}", std::process::id()));
            let _ = std::fs::remove_file(&fifo);
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|status| status.success()) {
                let message = error(&["--config", &fifo.display().to_string()], &[]);
                assert!(message.contains("is not a regular file"), "{message}");
                let _ = std::fs::remove_file(&fifo);
            }
        }
        assert_eq!(
            error(&["--log-level", "loud"], &[]),
            "invalid value for option `poppy.log_level` from command-line flag --log-level: `loud` is not one of error, warn, info, debug, trace"
        );
        assert_eq!(
            error(&[], &[("POPPY_DEBUG", "maybe")]),
            "invalid value for option `poppy.debug` from environment variable POPPY_DEBUG: `maybe` is not true or false"
        );
        let usage = error(&["--prot", "1"], &[]);
        assert!(
            usage.starts_with("error: unexpected argument '--prot' found"),
            "{usage}"
        );
    }

    #[test]
    fn help_lists_every_option_with_default_and_help() {
        let err = load(&["--help"], &[]).unwrap_err();
        let config = err.downcast_ref::<pop::ConfigError>().unwrap();
        assert_eq!(config.exit_code(), 0);
        let help = config.to_string();
        for needle in [
            "-a, --addr <ADDR>",
            "The address to present the rpc server on [default: \"127.0.0.1\"] [env: POPPY_ADDR]",
            "-p, --port <PORT>",
            "The port to bind to [default: 8888] [env: POPPY_PORT]",
            "--workers <WORKERS>",
            "Worker count [default: 4] [env: EXT_WORKERS]",
            "--config <CONFIG>",
            "--log-level <LOG_LEVEL>",
            "--log-file <LOG_FILE>",
            "token",
            "A secret [env: POPPY_TOKEN]",
            "ratio",
            "[env: POPPY_RATIO] [default: 0.5]",
        ] {
            assert!(help.contains(needle), "{needle:?} not in\n{help}");
        }
        let err = load(&["--version"], &[]).unwrap_err();
        assert_eq!(err.to_string(), "poppy 1.2.3");
    }

    #[test]
    fn subcommands_are_chosen_and_take_their_flags() {
        fn with_subcommands(registry: &mut Registry) {
            const SUBCOMMANDS: &[Subcommand] = &[
                Subcommand::new("serve").help("Serve"),
                Subcommand::new("check"),
            ];
            const FLAGS: &[Flag] = &[
                Flag::new("port").subcommands(&["serve"]),
                Flag::new("debug").subcommands(&["_global_"]),
            ];
            registry.krate(CrateInfo {
                subcommands: SUBCOMMANDS,
                cli_config: FLAGS,
                ..app_info("poppy")
            });
        }
        let mut hub = Hub::new(with_subcommands).unwrap();
        hub.load_config_from(["poppy", "serve", "--port", "1234", "--debug"], |_| None)
            .unwrap();
        assert_eq!(hub.subcommand(), Some("serve"));
        assert_eq!(
            (
                hub.opt()["poppy"]["port"].clone(),
                hub.opt()["poppy"]["debug"].clone()
            ),
            (json!(1234), json!(true))
        );
        let mut hub = Hub::new(with_subcommands).unwrap();
        hub.load_config_from(["poppy", "--debug", "check"], |_| None)
            .unwrap();
        assert_eq!(hub.subcommand(), Some("check"));
        let mut hub = Hub::new(with_subcommands).unwrap();
        let err = hub
            .load_config_from(["poppy", "check", "--port", "1"], |_| None)
            .unwrap_err();
        assert_eq!(
            err.downcast_ref::<pop::ConfigError>().unwrap().exit_code(),
            2
        );
    }
}

#[test]
fn run_hooks_start_and_stop_on_request() {
    fn with_run_hook(registry: &mut Registry) {
        let mut krate = registry.krate(app_info("poppy")).unwrap();
        krate.sub(&["rpc"], "src/rpc");
        krate.run_hook(&["rpc"], |hub: std::sync::Arc<Hub>| async move {
            // A server would serve here; this one stops itself.
            hub.request_shutdown();
            hub.shutdown_requested().await;
            STOPPED.store(true, Ordering::SeqCst);
        });
        krate.sub(&["tools"], "src/tools");
        krate.run_hook(&["tools"], |_hub: std::sync::Arc<Hub>| async move {
            Err::<(), _>(anyhow!("cannot start"))
        });
    }
    let mut hub = Hub::new(with_run_hook).unwrap();
    hub.add_sub("rpc").unwrap();
    hub.run().unwrap();
    assert!(STOPPED.load(Ordering::SeqCst));

    let mut hub = Hub::new(with_run_hook).unwrap();
    hub.add_all_subs().unwrap();
    assert_eq!(hub.run().unwrap_err().to_string(), "cannot start");

    // Nothing to run: returns at once.
    assert!(Hub::new(register).unwrap().run().is_ok());
}

#[test]
fn typed_options_read_before_the_configuration_is_loaded_are_refused() {
    // What the generated `Config::from_hub` checks first.
    let mut hub = Hub::new(register).unwrap();
    let err = pop::__private::require_loaded(&hub, "poppy").unwrap_err();
    assert!(
        err.to_string()
            .contains("before the configuration is loaded"),
        "{err}"
    );
    hub.load_config_from(["poppy"], |_| None).unwrap();
    pop::__private::require_loaded(&hub, "poppy").unwrap();
}
