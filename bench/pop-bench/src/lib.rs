//! Fixtures for the runtime's benchmarks (`cargo bench -p pop-bench`): the
//! tutorial's plugins (SPEC section 5) and a hand-written `register`, shaped
//! like the code `pop-build` generates for a project with one `rpc` sub.
//!
//! The benchmarks compare a call by reference (`hub.call("rpc.math.fib", …)`)
//! with the direct, typed call of the same function (`math::fib(&hub, 11)`),
//! and both with the same function wrapped by one `pre` contract
//! (`checked::triple`), listed in `__POP_SITES` as pop-build lists it.

use pop::__private::{Chain, Contract, Site, Stage};
use pop::__private::{CrateInfo, Registry};
use pop::Hub;

/// The tutorial's plugin file, `src/rpc/math.rs`, exactly as SPEC section 5 writes it.
pub mod math {
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
}

/// The same `triple`, in a plugin file with a contract file.
pub mod checked {
    use pop::prelude::*;

    /// Triple a number, under a `pre` contract.
    #[plugin]
    pub fn triple(_hub: &Hub, #[default(10)] num: u64) -> u64 {
        num * 3
    }
}

/// `contracts/checked.rs`: one `pre` contract that reads a kwarg, as most do.
pub mod contracts {
    use pop::prelude::*;

    /// Refuses numbers over a million.
    pub fn pre_triple(_hub: &Hub, ctx: &Ctx) -> Result<()> {
        if ctx
            .kwarg("num")
            .and_then(Value::as_u64)
            .is_some_and(|num| num > 1_000_000)
        {
            bail!("num is at most a million");
        }
        Ok(())
    }
}

/// The crate's plugin functions and their contracts, as pop-build lists them.
#[doc(hidden)]
pub const __POP_SITES: &[Site] = &[Site {
    module: "checked",
    function: "triple",
    reference: "rpc.checked.triple",
    chain: Chain {
        pre: &[Contract {
            name: "rpc.contracts.checked.pre_triple",
            run: Stage::Sync(contracts::pre_triple),
        }],
        call: None,
        post: &[],
    },
}];

/// What `pop-build` would generate for an app `poppy` with a sub `rpc`
/// holding `math.rs`.
pub fn register(registry: &mut Registry) {
    let Some(mut krate) = registry.krate(CrateInfo {
        name: "poppy",
        version: "0.1.0",
        env_prefix: "POPPY",
        config: &[],
        cli_config: &[],
        subcommands: &[],
        dyne: &[("rpc", &["rpc"])],
    }) else {
        return;
    };
    krate.sub(&["rpc"], "src/rpc");
    krate.module(
        &["rpc"],
        "math",
        "src/rpc/math.rs",
        &[math::__pop_plugin_fib(), math::__pop_plugin_triple()],
        None,
    );
    krate.module(
        &["rpc"],
        "checked",
        "src/rpc/checked.rs",
        &[checked::__pop_plugin_triple()],
        None,
    );
}

/// A hub with the `rpc` sub added, ready to call `rpc.math.fib` by reference.
pub fn hub() -> Hub {
    let mut hub = Hub::new(register).expect("one crate cannot clash with itself");
    hub.add_sub("rpc")
        .expect("the rpc sub has no load hook to fail");
    hub
}

#[cfg(test)]
mod tests {
    use pop::prelude::*;

    /// The benchmarks measure calls that give the right answer.
    #[test]
    fn every_benchmarked_path_gives_the_same_answer() {
        let hub = super::hub();
        let call = |reference: &str, kwargs: Value| pop::block_on(hub.call(reference, kwargs));
        assert_eq!(pop::block_on(super::math::fib(&hub, 11)).unwrap(), 89);
        assert_eq!(call("rpc.math.fib", json!({"num": 11})).unwrap(), json!(89));
        assert_eq!(
            call("rpc.math.fib", json!({"num": "11"})).unwrap(),
            json!(89)
        );
        assert_eq!(call("rpc.math.fib", Value::Null).unwrap(), json!(55));
        assert_eq!(super::math::triple(&hub, 33), 99);
        assert_eq!(
            call("rpc.math.triple", json!({"num": 33})).unwrap(),
            json!(99)
        );
        let sub = hub.sub("rpc").unwrap();
        let routed = pop::block_on(sub.call(&hub, "math.fib", json!({"num": "11"})));
        assert_eq!(routed.unwrap(), json!(89));
        assert_eq!(super::checked::triple(&hub, 33), 99);
        assert_eq!(
            call("rpc.checked.triple", json!({"num": 33})).unwrap(),
            json!(99)
        );
        let refused = call("rpc.checked.triple", json!({"num": 2_000_000})).unwrap_err();
        assert_eq!(
            refused.kind(),
            "contract_refused",
            "the contract runs: {refused}"
        );
    }
}
