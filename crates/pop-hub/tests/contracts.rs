//! pop's semantics beyond the tutorial, on the runtime: contracts in their
//! order on every Rust path (the router's path is tested end to end), load
//! conditions, aliases and the test hub.
//!
//! Generated code is written here by hand, exactly as pop-build writes it:
//! `__POP_SITES` lists each plugin function with its contracts, and
//! `register` hands the subs to the hub.

extern crate pop_hub as pop;

use std::cell::RefCell;

use pop::__private::{Chain, Contract, Site, Stage};
use pop::__private::{CrateInfo, Registry};
use pop::Opt;
use pop::prelude::*;
use pop::testing::TestHub;

thread_local! {
    /// What ran, in order; contracts of a blocking call run on its thread.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(what: impl Into<String>) {
    LOG.with(|log| log.borrow_mut().push(what.into()));
}

fn take_log() -> Vec<String> {
    LOG.with(|log| log.take())
}

mod rpc {
    pub mod math {
        use pop::prelude::*;

        /// Triples a number; wrapped at every level.
        #[plugin]
        pub fn triple(_hub: &Hub, num: u64) -> u64 {
            super::super::log("body");
            num * 3
        }

        /// Fibonacci, refused past 90 by an async `pre`.
        #[plugin]
        pub async fn fib(_hub: &Hub, num: u64) -> Result<u64> {
            let (mut prev, mut curr) = (0u64, 1u64);
            for _ in 0..num {
                (prev, curr) = (curr, prev + curr);
            }
            Ok(prev)
        }

        /// Doubles; an async `call` contract adds one.
        #[plugin]
        pub async fn double(_hub: &Hub, num: u64) -> Result<u64> {
            if num == 13 {
                bail!("unlucky");
            }
            Ok(num * 2)
        }

        /// Answers from its `call` contract, which never calls it.
        #[plugin]
        pub fn cached(_hub: &Hub) -> u64 {
            super::super::log("cached body");
            0
        }

        /// Exposed as `list-all`, which is not a Rust identifier.
        #[plugin(name = "list-all")]
        pub fn list_all(_hub: &Hub) -> Vec<String> {
            vec!["ada".to_owned()]
        }

        /// Exposed as `type`, a keyword.
        #[plugin(name = "type")]
        pub fn kind(_hub: &Hub) -> &'static str {
            "math"
        }

        /// Squares; its `post` replaces 49 with a value that is not a `u64`.
        #[plugin]
        pub fn square(_hub: &Hub, num: u64) -> u64 {
            num * num
        }

        /// Counts, or fails; its `post` replaces 7 with text.
        #[plugin]
        pub async fn count(_hub: &Hub, num: u64) -> Result<u64> {
            Ok(num)
        }

        /// Greets; its `pre` panics for `boom`.
        #[plugin]
        pub fn greet(_hub: &Hub, name: String) -> Result<String> {
            Ok(format!("hello {name}"))
        }

        /// Panics itself, inside its `call` contract.
        #[plugin]
        pub fn explode(_hub: &Hub) -> u64 {
            panic!("the function's own kaboom")
        }
    }

    pub mod gpu {
        use pop::prelude::*;

        /// Declines: no GPU here.
        pub fn available(_hub: &Hub) -> Result<()> {
            bail!("no GPU on this machine")
        }

        /// Never reachable.
        #[plugin]
        pub fn render(_hub: &Hub) -> u64 {
            1
        }
    }

    pub mod contracts {
        pub mod math {
            use pop::prelude::*;

            use crate::log;

            pub fn pre_triple(_hub: &Hub, ctx: &Ctx) -> Result<()> {
                log("math.pre_triple");
                ctx.cache_set("seen", ctx.kwargs().clone());
                Ok(())
            }

            pub fn pre(_hub: &Hub, ctx: &Ctx) -> Result<()> {
                log(format!("math.pre {}", ctx.reference()));
                Ok(())
            }

            pub fn call_triple(_hub: &Hub, _ctx: &Ctx, next: Next<'_>) -> Result<Value> {
                log("math.call_triple before");
                let value = next.run()?;
                log("math.call_triple after");
                Ok(value)
            }

            pub async fn call_double(_hub: &Hub, _ctx: &Ctx, next: Next<'_>) -> Result<Value> {
                pop::tokio::task::yield_now().await;
                let value = next.call().await?;
                Ok(json!(value.as_u64().unwrap_or_default() + 1))
            }

            pub fn call_cached(_hub: &Hub, _ctx: &Ctx, _next: Next<'_>) -> Result<Value> {
                Ok(json!(42))
            }

            pub fn post_triple(_hub: &Hub, ctx: &mut Ctx) -> Result<()> {
                log(format!(
                    "math.post_triple {}",
                    ctx.cache_get("seen").unwrap_or_default()
                ));
                Ok(())
            }

            pub async fn pre_fib(_hub: &Hub, ctx: &Ctx) -> Result<()> {
                let num: Option<u64> = ctx.arg("num")?;
                if num.is_some_and(|num| num > 90) {
                    bail!("fib is served up to 90");
                }
                Ok(())
            }

            pub async fn post_fib(_hub: &Hub, ctx: &mut Ctx) -> Result<()> {
                // A post contract may replace the result (here, fib(0)'s).
                if ctx
                    .kwarg("num")
                    .and_then(Value::as_i64)
                    .is_some_and(|num| num == 0)
                {
                    ctx.set_ret(json!(1000));
                }
                Ok(())
            }
        }

        pub mod checks {
            use pop::prelude::*;

            pub fn post_square(_hub: &Hub, ctx: &mut Ctx) -> Result<()> {
                if ctx.ret() == Some(&json!(49)) {
                    ctx.set_ret(json!("forty-nine"));
                }
                Ok(())
            }

            pub fn post_count(_hub: &Hub, ctx: &mut Ctx) -> Result<()> {
                if ctx.ret() == Some(&json!(7)) {
                    ctx.set_ret(json!("seven"));
                }
                Ok(())
            }

            pub fn pre_greet(_hub: &Hub, ctx: &Ctx) -> Result<()> {
                if ctx.kwarg("name") == Some(&json!("boom")) {
                    panic!("the contract's own kaboom");
                }
                Ok(())
            }

            pub fn call_explode(_hub: &Hub, _ctx: &Ctx, next: Next<'_>) -> Result<Value> {
                next.run()
            }
        }

        pub mod init {
            use pop::prelude::*;

            use crate::log;

            pub fn pre(_hub: &Hub, _ctx: &Ctx) -> Result<()> {
                log("init.pre");
                Ok(())
            }

            pub fn post(_hub: &Hub, ctx: &mut Ctx) -> Result<()> {
                log("init.post");
                if let Some(value) = ctx.ret().and_then(Value::as_u64) {
                    if value == 3 {
                        // Replaces the result of `triple(1)`, on every path.
                        ctx.set_ret(json!(333));
                    }
                }
                Ok(())
            }
        }
    }
}

mod extra {
    pub mod init {
        use pop::prelude::*;

        /// The whole sub declines unless `extra.enabled` is set.
        pub fn available(hub: &Hub) -> Result<()> {
            match hub.opt()["app"]["enabled"].as_bool() {
                Some(true) => Ok(()),
                _ => bail!("`enabled` is off"),
            }
        }
    }

    pub mod tools {
        use pop::prelude::*;

        /// Pings.
        #[plugin]
        pub fn ping(_hub: &Hub) -> bool {
            true
        }
    }

    pub mod more {
        use pop::prelude::*;

        /// Pings, asynchronously.
        #[plugin]
        pub async fn ping(_hub: &Hub, #[default(1)] times: u32) -> u32 {
            pop::tokio::task::yield_now().await;
            times
        }

        /// Not a ping.
        #[plugin]
        pub fn pong(_hub: &Hub) -> bool {
            false
        }
    }
}

use rpc::contracts::{checks, init, math};

const fn pre(name: &'static str, run: fn(&Hub, &Ctx) -> Result<()>) -> pop::__private::Pre {
    Contract {
        name,
        run: Stage::Sync(run),
    }
}

const fn post(name: &'static str, run: fn(&Hub, &mut Ctx) -> Result<()>) -> pop::__private::Post {
    Contract {
        name,
        run: Stage::Sync(run),
    }
}

fn pre_fib_shim<'a>(hub: &'a Hub, ctx: &'a Ctx) -> pop::__private::BoxFuture<'a, Result<()>> {
    Box::pin(math::pre_fib(hub, ctx))
}

fn call_double_shim<'a>(
    hub: &'a Hub,
    ctx: &'a Ctx,
    next: Next<'a>,
) -> pop::__private::BoxFuture<'a, Result<Value>> {
    Box::pin(math::call_double(hub, ctx, next))
}

fn post_fib_shim<'a>(hub: &'a Hub, ctx: &'a mut Ctx) -> pop::__private::BoxFuture<'a, Result<()>> {
    Box::pin(math::post_fib(hub, ctx))
}

const NONE: Chain = Chain {
    pre: &[],
    call: None,
    post: &[],
};

/// As pop-build lists them: the file's contracts before the sub's, each
/// function's before the file-wide ones.
#[doc(hidden)]
pub const __POP_SITES: &[Site] = &[
    Site {
        module: "rpc::math",
        function: "triple",
        reference: "rpc.math.triple",
        chain: Chain {
            pre: &[
                pre("rpc.contracts.math.pre_triple", math::pre_triple),
                pre("rpc.contracts.math.pre", math::pre),
                pre("rpc.contracts.init.pre", init::pre),
            ],
            call: Some(Contract {
                name: "rpc.contracts.math.call_triple",
                run: Stage::Sync(math::call_triple),
            }),
            post: &[
                post("rpc.contracts.math.post_triple", math::post_triple),
                post("rpc.contracts.init.post", init::post),
            ],
        },
    },
    Site {
        module: "rpc::math",
        function: "fib",
        reference: "rpc.math.fib",
        chain: Chain {
            pre: &[Contract {
                name: "rpc.contracts.math.pre_fib",
                run: Stage::Async(pre_fib_shim),
            }],
            call: None,
            post: &[Contract {
                name: "rpc.contracts.math.post_fib",
                run: Stage::Async(post_fib_shim),
            }],
        },
    },
    Site {
        module: "rpc::math",
        function: "double",
        reference: "rpc.math.double",
        chain: Chain {
            pre: &[],
            call: Some(Contract {
                name: "rpc.contracts.math.call_double",
                run: Stage::Async(call_double_shim),
            }),
            post: &[],
        },
    },
    Site {
        module: "rpc::math",
        function: "cached",
        reference: "rpc.math.cached",
        chain: Chain {
            pre: &[],
            call: Some(Contract {
                name: "rpc.contracts.math.call_cached",
                run: Stage::Sync(math::call_cached),
            }),
            post: &[],
        },
    },
    Site {
        module: "rpc::math",
        function: "list_all",
        reference: "rpc.math.list-all",
        chain: NONE,
    },
    Site {
        module: "rpc::math",
        function: "kind",
        reference: "rpc.math.type",
        chain: NONE,
    },
    Site {
        module: "rpc::math",
        function: "square",
        reference: "rpc.math.square",
        chain: Chain {
            pre: &[],
            call: None,
            post: &[post(
                "rpc.contracts.checks.post_square",
                checks::post_square,
            )],
        },
    },
    Site {
        module: "rpc::math",
        function: "count",
        reference: "rpc.math.count",
        chain: Chain {
            pre: &[],
            call: None,
            post: &[post("rpc.contracts.checks.post_count", checks::post_count)],
        },
    },
    Site {
        module: "rpc::math",
        function: "greet",
        reference: "rpc.math.greet",
        chain: Chain {
            pre: &[pre("rpc.contracts.checks.pre_greet", checks::pre_greet)],
            call: None,
            post: &[],
        },
    },
    Site {
        module: "rpc::math",
        function: "explode",
        reference: "rpc.math.explode",
        chain: Chain {
            pre: &[],
            call: Some(Contract {
                name: "rpc.contracts.checks.call_explode",
                run: Stage::Sync(checks::call_explode),
            }),
            post: &[],
        },
    },
];

const CONFIG: &[Opt] = &[Opt::bool("enabled", false)];

fn register(registry: &mut Registry) {
    let mut krate = registry
        .krate(CrateInfo {
            name: "app",
            version: "0.1.0",
            env_prefix: "APP",
            config: CONFIG,
            cli_config: &[],
            subcommands: &[],
            dyne: &[("rpc", &["rpc"]), ("extra", &["extra"])],
        })
        .expect("registered once");
    krate.sub(&["rpc"], "src/rpc");
    krate.aliases(&["rpc"], &["api"]);
    krate.module(
        &["rpc"],
        "gpu",
        "src/rpc/gpu.rs",
        &[rpc::gpu::__pop_plugin_render()],
        Some(rpc::gpu::available),
    );
    krate.module(
        &["rpc"],
        "math",
        "src/rpc/math.rs",
        &[
            rpc::math::__pop_plugin_triple(),
            rpc::math::__pop_plugin_fib(),
            rpc::math::__pop_plugin_cached(),
            rpc::math::__pop_plugin_double(),
            rpc::math::__pop_plugin_list_all(),
            rpc::math::__pop_plugin_kind(),
            rpc::math::__pop_plugin_square(),
            rpc::math::__pop_plugin_count(),
            rpc::math::__pop_plugin_greet(),
            rpc::math::__pop_plugin_explode(),
        ],
        None,
    );
    krate.sub(&["extra"], "src/extra");
    krate.available(&["extra"], extra::init::available);
    krate.module(
        &["extra"],
        "tools",
        "src/extra/tools.rs",
        &[extra::tools::__pop_plugin_ping()],
        None,
    );
    krate.module(
        &["extra"],
        "more",
        "src/extra/more.rs",
        &[
            extra::more::__pop_plugin_ping(),
            extra::more::__pop_plugin_pong(),
        ],
        None,
    );
}

fn hub() -> Hub {
    let mut hub = Hub::new(register).expect("registers");
    hub.add_sub("rpc").expect("adds rpc");
    hub
}

fn call(hub: &Hub, reference: &str, kwargs: Value) -> Result<Value, CallError> {
    pop::block_on(hub.call(reference, kwargs))
}

const ORDER: [&str; 8] = [
    "math.pre_triple",
    "math.pre rpc.math.triple",
    "init.pre",
    "math.call_triple before",
    "body",
    "math.call_triple after",
    "math.post_triple {\"num\":1}",
    "init.post",
];

#[test]
fn contracts_run_function_then_file_then_sub_on_direct_calls_and_by_reference() {
    let hub = hub();
    take_log();
    assert_eq!(rpc::math::triple(&hub, 1), 333, "init.post replaced 3");
    assert_eq!(take_log(), ORDER);

    assert_eq!(
        call(&hub, "rpc.math.triple", json!({"num": 1})).unwrap(),
        json!(333)
    );
    assert_eq!(take_log(), ORDER);

    assert_eq!(rpc::math::triple(&hub, 2), 6, "other results stay");
    take_log();
}

#[test]
fn an_async_call_contract_wraps_the_function_and_its_errors_name_it() {
    let hub = hub();
    assert_eq!(pop::block_on(rpc::math::double(&hub, 2)).unwrap(), 5);
    assert_eq!(
        call(&hub, "rpc.math.double", json!({"num": 2})).unwrap(),
        json!(5)
    );
    let err = call(&hub, "rpc.math.double", json!({"num": 13})).unwrap_err();
    assert_eq!(err.to_string(), "`rpc.math.double` failed: unlucky");
    let direct = pop::block_on(rpc::math::double(&hub, 13)).unwrap_err();
    assert_eq!(format!("{direct:#}"), "`rpc.math.double` failed: unlucky");
}

#[test]
fn a_call_contract_may_answer_without_the_function() {
    let hub = hub();
    take_log();
    assert_eq!(rpc::math::cached(&hub), 42);
    assert_eq!(call(&hub, "rpc.math.cached", json!({})).unwrap(), json!(42));
    assert!(take_log().is_empty(), "the body never ran");
}

#[test]
fn an_async_pre_refuses_naming_itself_and_lets_allowed_values_through() {
    let hub = hub();
    let err = call(&hub, "rpc.math.fib", json!({"num": 91})).unwrap_err();
    assert_eq!(err.kind(), "contract_refused");
    match &err {
        CallError::Refused {
            reference,
            contract,
            message,
        } => {
            assert_eq!(reference, "rpc.math.fib");
            assert_eq!(*contract, "rpc.contracts.math.pre_fib");
            assert_eq!(message, "fib is served up to 90");
        }
        other => panic!("not a refusal: {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "the contract `rpc.contracts.math.pre_fib` refused the call of `rpc.math.fib`: fib is served up to 90"
    );
    // A string that reads as a number is checked as that number.
    assert!(call(&hub, "rpc.math.fib", json!({"num": "91"})).is_err());
    assert_eq!(
        call(&hub, "rpc.math.fib", json!({"num": 11})).unwrap(),
        json!(89)
    );

    // The direct typed call is refused the same way, as its own `Err`.
    let direct = pop::block_on(rpc::math::fib(&hub, 91)).unwrap_err();
    assert!(
        direct.to_string().contains("rpc.contracts.math.pre_fib"),
        "{direct}"
    );
    assert_eq!(pop::block_on(rpc::math::fib(&hub, 11)).unwrap(), 89);
}

#[test]
fn an_async_post_replaces_the_result_on_both_paths() {
    let hub = hub();
    assert_eq!(
        call(&hub, "rpc.math.fib", json!({"num": 0})).unwrap(),
        json!(1000)
    );
    assert_eq!(pop::block_on(rpc::math::fib(&hub, 0)).unwrap(), 1000);
}

#[test]
fn a_declined_plugin_is_absent_and_the_hub_says_why() {
    let hub = hub();
    let err = call(&hub, "rpc.gpu.render", json!({})).unwrap_err();
    assert_eq!(err.kind(), "unknown_ref");
    assert!(err.to_string().contains("no GPU on this machine"), "{err}");
    assert!(hub.function("rpc.gpu.render").is_none());
    let through_alias = call(&hub, "api.gpu.render", json!({})).unwrap_err();
    assert!(
        through_alias.to_string().contains("no GPU on this machine"),
        "{through_alias}"
    );
    let declined: Vec<(&str, &str)> = hub.declined().collect();
    assert_eq!(declined, [("rpc.gpu", "no GPU on this machine")]);
}

#[test]
fn a_sub_declines_on_its_configuration() {
    let mut hub = Hub::new(register).unwrap();
    hub.add_sub("extra").unwrap();
    let err = call(&hub, "extra.tools.ping", json!({})).unwrap_err();
    assert!(err.to_string().contains("`enabled` is off"), "{err}");

    let mut hub = Hub::new(register).unwrap();
    hub.load_config_from(["app"], |name| {
        (name == "APP_ENABLED").then(|| "true".to_owned())
    })
    .unwrap();
    hub.add_sub("extra").unwrap();
    assert_eq!(
        call(&hub, "extra.tools.ping", json!({})).unwrap(),
        json!(true)
    );
}

#[test]
fn functions_and_subs_answer_to_their_aliases_only() {
    let hub = hub();
    assert_eq!(
        call(&hub, "rpc.math.list-all", json!({})).unwrap(),
        json!(["ada"])
    );
    assert_eq!(
        call(&hub, "rpc.math.type", json!({})).unwrap(),
        json!("math")
    );
    assert_eq!(
        call(&hub, "rpc.math.list_all", json!({}))
            .unwrap_err()
            .kind(),
        "unknown_ref"
    );
    assert_eq!(
        call(&hub, "rpc.math.kind", json!({})).unwrap_err().kind(),
        "unknown_ref"
    );
    assert_eq!(
        call(&hub, "api.math.type", json!({})).unwrap(),
        json!("math")
    );
    assert_eq!(
        hub.function("api.math.type").map(|f| f.reference()),
        Some("rpc.math.type")
    );
}

#[test]
fn a_sub_alias_that_clashes_is_an_error_naming_it() {
    fn clashing(registry: &mut Registry) {
        register(registry);
        let mut other = registry
            .krate(CrateInfo {
                name: "other",
                version: "0.1.0",
                env_prefix: "OTHER",
                config: &[],
                cli_config: &[],
                subcommands: &[],
                dyne: &[("tools", &["tools"])],
            })
            .unwrap();
        other.sub(&["tools"], "src/tools");
        other.aliases(&["tools"], &["api", "extra"]);
    }
    let err = Hub::new(clashing).unwrap_err().to_string();
    assert!(
        err.contains("the sub alias `api` is declared by both crate `app` and crate `other`"),
        "{err}"
    );
    assert!(
        err.contains("names sub `tools` `extra`, which is a sub of its own"),
        "{err}"
    );
}

#[test]
fn a_test_hub_stands_in_on_every_path_records_calls_and_keeps_contracts() {
    let mut hub = TestHub::new(register).unwrap();
    hub.add_sub("rpc").unwrap();
    hub.stand_in("rpc.math.triple", |_hub, kwargs| {
        Ok(json!(kwargs["num"].as_u64().unwrap_or_default() + 1))
    })
    .unwrap();
    take_log();
    assert_eq!(
        rpc::math::triple(&hub, 5),
        6,
        "the direct call reached the stand-in"
    );
    let ran = take_log();
    assert!(
        ran.contains(&"init.pre".to_owned()) && !ran.contains(&"body".to_owned()),
        "{ran:?}"
    );
    assert_eq!(
        call(&hub, "rpc.math.triple", json!({"num": 7})).unwrap(),
        json!(8)
    );
    assert_eq!(
        hub.calls("rpc.math.triple"),
        [json!({"num": 5}), json!({"num": 7})]
    );
    assert!(
        hub.stand_in("rpc.math.nothing", |_, _| Ok(Value::Null))
            .is_err()
    );
}

#[test]
fn call_each_calls_one_function_of_every_plugin_file_sync_and_async() {
    let mut hub = Hub::new(register).unwrap();
    hub.load_config_from(["app"], |name| {
        (name == "APP_ENABLED").then(|| "true".to_owned())
    })
    .unwrap();
    hub.add_sub("extra").unwrap();
    let hub = Arc::new(hub);
    let results = pop::block_on(hub.call_each("extra", "ping", json!({}))).unwrap();
    let results: Vec<(String, Value)> = results.into_iter().map(|(r, v)| (r, v.unwrap())).collect();
    assert_eq!(
        results,
        [
            ("extra.more.ping".to_owned(), json!(1)),
            ("extra.tools.ping".to_owned(), json!(true)),
        ]
    );
    let err = pop::block_on(hub.call_each("nope", "ping", json!({}))).unwrap_err();
    assert!(err.to_string().contains("no sub `nope`"), "{err}");
}

/// Issue 23: a `post` contract's replacement that the return type cannot
/// hold is an error naming the contract on every path: by reference (the
/// router's 500), and on a direct call (an `Err`, or for a function that
/// cannot return one, a panic saying the same).
#[test]
fn a_replaced_result_that_does_not_fit_is_an_error_naming_the_contract_on_every_path() {
    let hub = hub();
    let fits = "the contract `rpc.contracts.checks.post_square` gave a result that does not fit";
    let err = call(&hub, "rpc.math.square", json!({"num": 7})).unwrap_err();
    assert_eq!(err.kind(), "plugin_error");
    assert!(err.to_string().contains(fits), "{err}");
    let direct =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rpc::math::square(&hub, 7)))
            .unwrap_err();
    let message = direct.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains(fits), "{message}");
    assert_eq!(
        rpc::math::square(&hub, 3),
        9,
        "a result left alone is untouched"
    );

    let fits = "the contract `rpc.contracts.checks.post_count` gave a result that does not fit";
    let err = call(&hub, "rpc.math.count", json!({"num": 7})).unwrap_err();
    assert!(err.to_string().contains(fits), "{err}");
    let direct = pop::block_on(rpc::math::count(&hub, 7)).unwrap_err();
    assert!(format!("{direct:#}").contains(fits), "{direct:#}");
}

/// Issue 23: a contract that panics is reported as the contract's panic,
/// not the function's, which never ran; the function's own panic inside a
/// `call` contract is still the function's.
#[test]
fn a_panicking_contract_is_named_and_the_functions_own_panic_is_its_own() {
    let hub = hub();
    let err = call(&hub, "rpc.math.greet", json!({"name": "boom"})).unwrap_err();
    assert_eq!(err.kind(), "panic");
    assert_eq!(
        err.to_string(),
        "`rpc.math.greet` panicked: in the contract `rpc.contracts.checks.pre_greet`: the contract's own kaboom"
    );
    let direct = rpc::math::greet(&hub, "boom".to_owned()).unwrap_err();
    assert!(
        format!("{direct:#}").contains("rpc.contracts.checks.pre_greet"),
        "{direct:#}"
    );
    assert_eq!(
        rpc::math::greet(&hub, "ada".to_owned()).unwrap(),
        "hello ada"
    );

    let err = call(&hub, "rpc.math.explode", json!({})).unwrap_err();
    assert_eq!(err.kind(), "panic");
    assert_eq!(
        err.to_string(),
        "`rpc.math.explode` panicked: the function's own kaboom"
    );
}
