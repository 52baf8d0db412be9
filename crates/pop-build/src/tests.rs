use super::*;

/// A crate directory in the system temp dir, removed on drop.
struct Fixture(PathBuf);

impl Fixture {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        // Tests run in parallel: each fixture gets a directory of its own.
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let count = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!(
            "pop-build-test-{name}-{}-{count}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Fixture(root)
    }

    fn facts(&self) -> CrateFacts {
        CrateFacts {
            name: "poppy".into(),
            version: "0.1.0".into(),
            dependencies: vec!["ext".into()],
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CONF: &str = r#"
use pop::conf::{Flag, Kind, Opt, Subcommand};
pub const CONFIG: &[Opt] = &[
    Opt::ip("addr", "127.0.0.1").help("The address"),
    Opt::u16("port", 8888).help("The port"),
    Opt::new("token", Kind::String),
];
pub const CLI_CONFIG: &[Flag] = &[Flag::new("port").short('p')];
pub const SUBCOMMANDS: &[Subcommand] = &[];
pub const DYNE: pop::Dyne = &[("poppy", &["poppy"]), ("rpc", &["rpc", "more/rpc"])];
"#;

fn full() -> Fixture {
    Fixture::new(
        "full",
        &[
            ("src/conf.rs", CONF),
            (
                "src/poppy/init.rs",
                "pub fn init(_hub: &mut pop::Hub) {}\npub fn cli() {}\n",
            ),
            (
                "src/rpc/init.rs",
                "pub async fn run(hub: std::sync::Arc<pop::Hub>) {}\n",
            ),
            (
                "src/rpc/math.rs",
                "#[plugin]\npub fn triple(hub: &Hub) {}\n#[pop::plugin]\npub async fn fib() {}\nfn helper() {}\n",
            ),
            ("src/rpc/admin/users.rs", "#[plugin] fn list() {}\n"),
            ("src/rpc/_private.rs", "#[plugin] fn hidden() {}\n"),
            (
                "src/rpc/contracts/math.rs",
                "pub fn pre(hub: &Hub, ctx: &Ctx) -> Result<()> { Ok(()) }\npub async fn post_fib(hub: &Hub, ctx: &mut Ctx) -> Result<()> { Ok(()) }\nfn helper() {}\n",
            ),
            (
                "src/rpc/contracts/init.rs",
                "pub async fn pre_fib(hub: &Hub, ctx: &Ctx) -> Result<()> { Ok(()) }\npub trait Sig { fn triple(hub: &Hub) -> (); }\n",
            ),
            ("src/rpc/notes.txt", "not a plugin"),
            ("src/more/rpc/extra.rs", "#[plugin] pub fn double() {}\n"),
        ],
    )
}

#[test]
fn subs_rs_declares_every_sub_nested_sub_and_plugin_file_in_order() {
    let fixture = full();
    let krate = Crate::read(&fixture.0).unwrap();
    assert_eq!(
        krate.subs_rs(),
        format!(
            "{}\n{}",
            module_tree_header(),
            r#"#[path = "poppy"]
pub mod poppy {
    pub mod init;
}

#[path = "rpc"]
pub mod rpc {
    pub mod init;
    pub mod math;
    pub mod admin {
        pub mod users;
    }
    pub mod contracts {
        pub mod init;
        pub mod math;
    }
    #[path = "../more/rpc"]
    pub mod __dir1 {
        pub mod extra;
    }
}

pop::include_generated!();
"#
        )
    );
    let watched: Vec<String> = krate
        .layout
        .dirs
        .iter()
        .map(|d| d.strip_prefix(&fixture.0).unwrap().display().to_string())
        .collect();
    assert_eq!(
        watched,
        [
            "src/poppy",
            "src/rpc",
            "src/rpc/admin",
            "src/rpc/contracts",
            "src/more/rpc"
        ]
    );
}

fn module_tree_header() -> String {
    let layout = Layout {
        subs: Vec::new(),
        dirs: Vec::new(),
    };
    let text = module_tree::render(&layout);
    text.trim_end_matches("\npop::include_generated!();\n")
        .to_owned()
}

#[test]
fn subs_rs_is_rustfmt_clean_and_compared_by_its_modules() {
    let fixture = full();
    let text = Crate::read(&fixture.0).unwrap().subs_rs();
    let formatted = rustfmt(&text);
    assert_eq!(
        formatted, text,
        "src/subs.rs is written as rustfmt writes it"
    );
    let respaced = text.replace("    pub mod math;", "        pub   mod math ;");
    assert!(
        module_tree::same_modules(&respaced, &text),
        "layout alone is no change"
    );
    let changed = text.replace("pub mod math;", "pub mod maths;");
    assert!(!module_tree::same_modules(&changed, &text));
    assert!(!module_tree::same_modules("", &text));
}

fn rustfmt(text: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn register_calls_dependencies_first_then_hands_over_subs_files_and_hooks() {
    let fixture = full();
    let krate = Crate::read(&fixture.0).unwrap();
    let code = codegen::generate(&fixture.facts(), &krate.declaration, &krate.layout);
    let compact: String = code.split_whitespace().collect();
    let at = |needle: &str| {
        let needle: String = needle.split_whitespace().collect();
        compact
            .find(&needle)
            .unwrap_or_else(|| panic!("missing {needle} in\n{code}"))
    };
    assert!(at(":: ext :: register (registry) ;") < at("registry . krate"));
    at("env_prefix : \"POPPY\"");
    at("krate . load_hook (& [\"poppy\"] , self :: poppy :: init :: init)");
    at("krate . run_hook (& [\"rpc\"] , self :: rpc :: init :: run)");
    at(
        r#"krate . module (& ["rpc"] , "math" , "src/rpc/math.rs" , & [self :: rpc :: math :: __pop_plugin_triple () , self :: rpc :: math :: __pop_plugin_fib ()] , :: core :: option :: Option :: None)"#,
    );
    at(r#"krate . module (& ["rpc" , "admin"] , "users" , "src/rpc/admin/users.rs""#);
    at(r#"krate . sub (& ["rpc"] , "src/more/rpc")"#);
    at(r#"self :: rpc :: __dir1 :: extra :: __pop_plugin_double ()"#);
    assert!(
        !compact.contains("__pop_plugin_hidden"),
        "`_` files are not plugins"
    );
    assert!(
        !compact.contains("helper"),
        "only #[plugin] functions register"
    );
    assert!(
        !compact.contains("__pop_plugin_pre"),
        "contracts are not plugins"
    );
    // Every plugin function is a site; contracts run in their documented order.
    at(
        r#"Site { module : "subs::rpc::math" , function : "fib" , reference : "rpc.math.fib" , chain : :: pop :: __private :: Chain { pre : & [:: pop :: __private :: Contract { name : "rpc.contracts.math.pre" , run : :: pop :: __private :: Stage :: Sync (self :: rpc :: contracts :: math :: pre) } , :: pop :: __private :: Contract { name : "rpc.contracts.init.pre_fib" , run : :: pop :: __private :: Stage :: Async (__pop_contract_0) }] , call : :: core :: option :: Option :: None , post : & [:: pop :: __private :: Contract { name : "rpc.contracts.math.post_fib" , run : :: pop :: __private :: Stage :: Async (__pop_contract_1) }] } , }"#,
    );
    at(
        r#"Site { module : "subs::rpc::admin::users" , function : "list" , reference : "rpc.admin.users.list""#,
    );
    at(
        r#"Site { module : "subs::rpc::__dir1::extra" , function : "double" , reference : "rpc.extra.double""#,
    );
    at("fn __pop_contract_0 < 'a > (hub : & 'a :: pop :: Hub , ctx : & 'a :: pop :: Ctx)");
    at("pub addr : :: std :: net :: IpAddr");
    at("pub token : :: core :: option :: Option < :: std :: string :: String >");
    at("# [doc = \" The port\"]");
    syn::parse_file(&code).expect("the generated code parses");
}

#[test]
fn bad_files_and_hooks_are_refused_naming_the_file_and_the_fix() {
    let conf = CONF_RPC;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "src/rpc/2math.rs",
            "",
            "src/rpc/2math.rs",
            "starts with a digit",
        ),
        (
            "src/rpc/my-math.rs",
            "",
            "src/rpc/my-math.rs",
            "character `-`",
        ),
        ("src/rpc/type.rs", "", "src/rpc/type.rs", "Rust keyword"),
        ("src/rpc/rpc.rs", "", "src/rpc/rpc.rs", "module_inception"),
        (
            "src/rpc/tests.rs",
            "",
            "src/rpc/tests.rs",
            "module_inception",
        ),
        ("src/rpc/Admin/x.rs", "", "src/rpc/Admin", "snake_case"),
        (
            "src/rpc/init.rs",
            "fn init(hub: &mut Hub) {}",
            "src/rpc/init.rs:1",
            "must be `pub`",
        ),
        (
            "src/rpc/init.rs",
            "pub fn run(hub: Arc<Hub>) {}",
            "src/rpc/init.rs:1",
            "async fn",
        ),
        (
            "src/rpc/init.rs",
            "pub fn init() {}",
            "src/rpc/init.rs:1",
            "takes the hub alone",
        ),
    ];
    for (path, text, file, why) in cases {
        let fixture = Fixture::new("bad", &[("src/conf.rs", conf), (path, text)]);
        let err = Crate::read(&fixture.0).unwrap_err();
        assert!(err.message().contains(file), "{path}: {err}");
        assert!(err.message().contains(why), "{path}: {err}");
        assert!(
            err.hint_text().is_some_and(|h| !h.is_empty()),
            "{path}: a hint"
        );
    }
    let fixture = Fixture::new("missing", &[("src/conf.rs", conf)]);
    let err = Crate::read(&fixture.0).unwrap_err();
    assert!(
        err.message().contains("src/rpc, which is not a directory"),
        "{err}"
    );
}

/// A `src/conf.rs` with one sub, `rpc`.
const CONF_RPC: &str = "pub const CONFIG: &[Opt] = &[];\npub const CLI_CONFIG: &[Flag] = &[];\npub const SUBCOMMANDS: &[Subcommand] = &[];\npub const DYNE: Dyne = &[(\"rpc\", &[\"rpc\"])];\n";

/// A sub's plugin file `math.rs` with `fib` (plain) and `wait` (async),
/// plus `files`; the build's error must name `file` and say `why`.
fn refused(files: &[(&str, &str)], file: &str, why: &str) {
    let conf = CONF_RPC;
    let math = "#[plugin]\npub fn fib(hub: &Hub, num: u64) -> u64 { num }\n#[plugin]\npub async fn wait(hub: &Hub) {}\n";
    let mut all = vec![("src/conf.rs", conf), ("src/rpc/math.rs", math)];
    all.extend_from_slice(files);
    let fixture = Fixture::new("refused", &all);
    let err = match Crate::read(&fixture.0) {
        Ok(_) => panic!("{files:?} is accepted; expected `{why}`"),
        Err(err) => err,
    };
    assert!(err.message().contains(file), "{files:?}: {err}");
    assert!(err.message().contains(why), "{files:?}: {err}");
    assert!(
        err.hint_text().is_some_and(|h| !h.is_empty()),
        "{files:?}: a hint"
    );
}

const PRE: &str = "(hub: &Hub, ctx: &Ctx) -> Result<()> { Ok(()) }";

#[test]
fn contracts_for_what_does_not_exist_are_refused() {
    let pre_fob = format!("pub fn pre_fob{PRE}");
    refused(
        &[("src/rpc/contracts/maths.rs", "")],
        "src/rpc/contracts/maths.rs",
        "no plugin file src/rpc/maths.rs",
    );
    refused(
        &[("src/rpc/contracts/math.rs", &pre_fob)],
        "src/rpc/contracts/math.rs:1",
        "`pre_fob` wraps `fob`",
    );
    refused(
        &[("src/rpc/contracts/init.rs", &pre_fob)],
        "src/rpc/contracts/init.rs:1",
        "`pre_fob` wraps `fob`",
    );
    refused(
        &[("src/rpc/contracts/math/x.rs", "")],
        "src/rpc/contracts/math",
        "only `.rs` files",
    );
}

#[test]
fn contracts_of_the_wrong_shape_are_refused() {
    let cases = [
        (
            "fn pre(hub: &Hub, ctx: &Ctx) -> Result<()> { Ok(()) }",
            "must be `pub`",
        ),
        (
            "pub fn pre(hub: &Hub) -> Result<()> { Ok(()) }",
            "takes 1 parameters, a `pre` contract 2",
        ),
        (
            "pub fn post(hub: &Hub, ctx: &Ctx) -> Result<()> { Ok(()) }",
            "as `&mut Ctx`",
        ),
        (
            "pub fn pre_fib(hub: &Hub, ctx: &mut Ctx) -> Result<()> { Ok(()) }",
            "as `&Ctx`",
        ),
        (
            "pub fn call(hub: &Hub, ctx: &Ctx) -> Result<Value> { todo!() }",
            "a `call` contract 3",
        ),
        (
            "pub fn pre(hub: &Hub, ctx: &Ctx) {}",
            "must return a `Result`",
        ),
    ];
    for (text, why) in cases {
        refused(
            &[("src/rpc/contracts/math.rs", text)],
            "src/rpc/contracts/math.rs:1",
            why,
        );
    }
}

#[test]
fn two_call_contracts_and_mixed_kinds_are_refused() {
    let call = "pub fn call_fib(hub: &Hub, ctx: &Ctx, next: Next) -> Result<Value> { next.run() }";
    let wide = "pub fn call(hub: &Hub, ctx: &Ctx, next: Next) -> Result<Value> { next.run() }";
    refused(
        &[
            ("src/rpc/contracts/math.rs", call),
            ("src/rpc/contracts/init.rs", wide),
        ],
        "src/rpc/math.rs:2",
        "`fib` has two `call` contracts: `call_fib` (src/rpc/contracts/math.rs:1) and `call` (src/rpc/contracts/init.rs:1)",
    );
    refused(
        &[(
            "src/rpc/contracts/math.rs",
            &format!("pub async fn pre{PRE}"),
        )],
        "src/rpc/contracts/math.rs:1",
        "`pre` is async and wraps the plain `fn fib`",
    );
    refused(
        &[(
            "src/rpc/contracts/math.rs",
            "pub fn call_wait(hub: &Hub, ctx: &Ctx, next: Next) -> Result<Value> { next.run() }",
        )],
        "src/rpc/contracts/math.rs:1",
        "wraps the `async fn wait`",
    );
}

#[test]
fn a_plugin_breaking_its_signature_contract_is_refused() {
    let sig = |decl: &str| format!("pub trait Sig {{ {decl} }}");
    let cases = [
        (
            "fn triple(hub: &Hub, num: u64) -> u64;",
            "src/rpc/math.rs: has no `#[plugin]` function `triple`",
        ),
        (
            "fn fib(hub: &Hub, num: u32) -> u64;",
            "parameter `num` is `u64`, the contract says `u32`",
        ),
        (
            "fn fib(hub: &Hub, num: u64, depth: u8) -> u64;",
            "it has no parameter `depth: u8`",
        ),
        (
            "fn fib(hub: &Hub) -> u64;",
            "parameter `num: u64` is not in the contract",
        ),
        (
            "fn fib(hub: &Hub, num: u64) -> Result<u64>;",
            "it returns `u64`, the contract says `Result<u64>`",
        ),
        (
            "async fn fib(hub: &Hub, num: u64) -> u64;",
            "it is a plain fn, the contract says an async fn",
        ),
    ];
    for (decl, why) in cases {
        refused(
            &[("src/rpc/contracts/init.rs", &sig(decl))],
            "src/rpc/math.rs",
            why,
        );
    }
    refused(
        &[(
            "src/rpc/contracts/math.rs",
            &sig("fn fib(hub: &Hub, num: u32) -> u64;"),
        )],
        "src/rpc/math.rs:2: `fib` breaks the signature contract src/rpc/contracts/math.rs:1",
        "u32",
    );
    let either = Fixture::new(
        "either",
        &[
            ("src/conf.rs", CONF_RPC),
            (
                "src/rpc/a.rs",
                "#[plugin]\npub async fn gather(hub: &Hub) -> Result<Value> { todo!() }",
            ),
            (
                "src/rpc/b.rs",
                "#[plugin]\npub fn gather(_hub: &Hub) -> Result<Value> { todo!() }",
            ),
            (
                "src/rpc/contracts/init.rs",
                &sig("fn gather(hub: &Hub) -> Result<Value>;"),
            ),
        ],
    );
    Crate::read(&either.0).expect("a plain fn in `Sig` accepts both kinds");
}

#[test]
fn aliases_that_clash_or_cannot_be_names_are_refused() {
    refused(
        &[(
            "src/rpc/dup.rs",
            "#[plugin]\npub fn a(hub: &Hub) {}\n#[plugin(name = \"a\")]\npub fn b(hub: &Hub) {}\n",
        )],
        "src/rpc/dup.rs:4",
        "`b` is exposed as `a`, which `a` already answers to",
    );
    refused(
        &[(
            "src/rpc/init.rs",
            "pub const ALIASES: &[&str] = &[\"Not-A-Name\"];",
        )],
        "src/rpc/init.rs:1",
        "the sub alias `Not-A-Name`",
    );
    refused(
        &[("src/rpc/init.rs", "pub const ALIASES: &[&str] = &[NAME];")],
        "src/rpc/init.rs:1",
        "string literals",
    );
    refused(
        &[(
            "src/rpc/admin/init.rs",
            "pub const ALIASES: &[&str] = &[\"adm\"];",
        )],
        "src/rpc/admin/init.rs",
        "only a top-level sub",
    );
    refused(
        &[("src/rpc/math2.rs", "pub fn available(hub: &Hub) {}")],
        "src/rpc/math2.rs:1",
        "`available` returns `Result<()>`",
    );
}

#[test]
fn signatures_read_like_source() {
    let item: syn::ItemFn = syn::parse_quote! {
        async fn f(hub: &Hub, a: Option<Vec<u8>>, #[default(3)] b: &'static str, c: HashMap<String, (u8, u16)>) -> pop::Result<Box<dyn Fn()>> {}
    };
    let sig = crate::syntax::signature(&item.sig, |arg| {
        arg.attrs.iter().any(|a| a.path().is_ident("default"))
    });
    assert!(sig.is_async);
    assert_eq!(
        sig.params,
        [
            ("a".to_owned(), "Option<Vec<u8>>".to_owned(), true),
            ("b".to_owned(), "&'static str".to_owned(), true),
            (
                "c".to_owned(),
                "HashMap<String, (u8, u16)>".to_owned(),
                false
            ),
        ]
    );
    assert_eq!(sig.returns, "pop::Result<Box<dyn Fn()>>");
}

#[test]
fn a_missing_dir_is_refused() {
    let conf = CONF_RPC;
    let fixture = Fixture::new("missing", &[("src/conf.rs", conf)]);
    let err = Crate::read(&fixture.0).unwrap_err();
    assert!(
        err.message().contains("src/rpc, which is not a directory"),
        "{err}"
    );
}

#[test]
fn a_misspelt_hook_is_refused_with_the_hook_it_was_meant_as() {
    for (text, meant) in [
        ("pub fn intt(hub: &mut Hub) {}", "init"),
        ("pub fn strat(hub: &mut Hub) {}", "start"),
        ("pub async fn rn(hub: Arc<Hub>) {}", "run"),
        ("pub fn Init(hub: &mut Hub) {}", "init"),
        (
            "pub fn avaliable(hub: &Hub) -> Result<()> { Ok(()) }",
            "available",
        ),
    ] {
        let fixture = Fixture::new(
            "slip",
            &[("src/conf.rs", CONF_RPC), ("src/rpc/init.rs", text)],
        );
        let err = Crate::read(&fixture.0).unwrap_err();
        assert!(err.message().contains("src/rpc/init.rs:1"), "{text}: {err}");
        assert!(
            err.message().contains(&format!("did you mean `{meant}`?")),
            "{text}: {err}"
        );
        assert!(
            err.hint_text().is_some_and(|h| h.contains("another name")),
            "{text}"
        );
    }
    // In a plugin file, only a slip of `available` is a hook's.
    refused(
        &[(
            "src/rpc/extra.rs",
            "pub fn availble(hub: &Hub) -> Result<()> { Ok(()) }",
        )],
        "src/rpc/extra.rs:1",
        "did you mean `available`?",
    );
    // Names further off, and names starting with `_`, are the user's own.
    for text in [
        "pub fn queue(hub: &Hub) {}\npub fn stats() {}\npub fn _intt() {}\nfn runs_twice() {}",
        "pub fn process(hub: &Hub) {}\npub fn gather() {}\npub fn cli(hub: Hub) {}",
    ] {
        let fixture = Fixture::new(
            "own",
            &[("src/conf.rs", CONF_RPC), ("src/rpc/init.rs", text)],
        );
        assert!(Crate::read(&fixture.0).is_ok(), "{text}");
    }
}

#[test]
fn a_run_hook_taking_what_start_returns_is_registered_with_it() {
    let init = "pub fn start(hub: &mut Hub) -> Result<u16> { Ok(1) }\npub async fn run(hub: Arc<Hub>, port: u16) {}\n";
    let fixture = Fixture::new(
        "handoff",
        &[("src/conf.rs", CONF_RPC), ("src/rpc/init.rs", init)],
    );
    let krate = Crate::read(&fixture.0).unwrap();
    let code = codegen::generate(&fixture.facts(), &krate.declaration, &krate.layout);
    let compact: String = code.split_whitespace().collect();
    let wanted =
        "krate.start_and_run_hooks(&[\"rpc\"],self::rpc::init::start,self::rpc::init::run);";
    assert!(compact.contains(wanted), "{code}");
    assert!(!compact.contains("krate.start_hook("), "{code}");
    refused(
        &[(
            "src/rpc/init.rs",
            "pub async fn run(hub: Arc<Hub>, port: u16) {}",
        )],
        "src/rpc/init.rs:1",
        "there is no `start`",
    );
    refused(
        &[(
            "src/rpc/init.rs",
            "pub async fn run(hub: Arc<Hub>, a: u16, b: u16) {}",
        )],
        "src/rpc/init.rs:1",
        "`run` takes 3 parameters",
    );
}
