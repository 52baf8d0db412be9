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
                "#[plugin]\npub fn triple() {}\n#[pop::plugin]\npub async fn fib() {}\nfn helper() {}\n",
            ),
            ("src/rpc/admin/users.rs", "#[plugin] fn list() {}\n"),
            ("src/rpc/_private.rs", "#[plugin] fn hidden() {}\n"),
            ("src/rpc/contracts/math.rs", "pub fn pre() {}\n"),
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
        ["src/poppy", "src/rpc", "src/rpc/admin", "src/more/rpc"]
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
        r#"krate . module (& ["rpc"] , "math" , "src/rpc/math.rs" , & [self :: rpc :: math :: __pop_plugin_triple () , self :: rpc :: math :: __pop_plugin_fib ()])"#,
    );
    at(r#"krate . module (& ["rpc" , "admin"] , "users" , "src/rpc/admin/users.rs""#);
    at(r#"krate . sub (& ["rpc"] , "src/more/rpc")"#);
    at(r#"self :: rpc :: __dir1 :: extra :: __pop_plugin_double ()"#);
    assert!(!compact.contains("hidden"), "`_` files are not plugins");
    assert!(
        !compact.contains("helper"),
        "only #[plugin] functions register"
    );
    assert!(!compact.contains("contracts"), "contracts are not plugins");
    at("pub addr : :: std :: net :: IpAddr");
    at("pub token : :: core :: option :: Option < :: std :: string :: String >");
    at("# [doc = \" The port\"]");
    syn::parse_file(&code).expect("the generated code parses");
}

#[test]
fn bad_files_and_hooks_are_refused_naming_the_file_and_the_fix() {
    let conf = "pub const CONFIG: &[Opt] = &[];\npub const CLI_CONFIG: &[Flag] = &[];\npub const SUBCOMMANDS: &[Subcommand] = &[];\npub const DYNE: Dyne = &[(\"rpc\", &[\"rpc\"])];\n";
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
