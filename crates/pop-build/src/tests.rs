use super::*;

/// A crate directory in the system temp dir, removed on drop.
struct Fixture(PathBuf);

impl Fixture {
    fn new(name: &str, files: &[(&str, &str)]) -> Self {
        let root =
            std::env::temp_dir().join(format!("pop-build-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Fixture(root)
    }

    fn input(&self) -> Input {
        Input {
            manifest_dir: self.0.clone(),
            crate_name: "poppy".into(),
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
    Opt::string("addr", "127.0.0.1").help("The address"),
    Opt::u16("port", 8888).help("The port"),
    Opt::new("token", Kind::String),
];
pub const CLI_CONFIG: &[Flag] = &[Flag::new("port").short('p')];
pub const SUBCOMMANDS: &[Subcommand] = &[];
pub const DYNE: pop::Dyne = &[("poppy", &["poppy"]), ("rpc", &["rpc"])];
"#;

#[test]
fn generates_modules_config_and_registration_in_sorted_order() {
    let fixture = Fixture::new(
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
            ("src/rpc/notes.txt", "not a plugin"),
        ],
    );
    let output = generate_code(&fixture.input()).unwrap();
    let code = &output.code;
    let at = |needle: &str| {
        code.find(needle)
            .unwrap_or_else(|| panic!("missing {needle} in\n{code}"))
    };
    assert!(at("pub mod poppy {") < at("pub mod rpc {"));
    assert!(at("pub mod init;") < at("pub mod math;"));
    assert!(at("pub mod math;") < at("pub mod admin {"));
    assert!(at("::ext::register(registry);") < at("registry.krate("));
    at("krate.load_hook(&[\"poppy\"], self::poppy::init::init);");
    at("krate.run_hook(&[\"rpc\"], self::rpc::init::run);");
    at(
        "krate.module(&[\"rpc\"], \"math\", \"src/rpc/math.rs\", &[self::rpc::math::__pop_plugin_triple(), self::rpc::math::__pop_plugin_fib()]);",
    );
    at("krate.sub(&[\"rpc\", \"admin\"], \"src/rpc/admin\");");
    at(
        "krate.module(&[\"rpc\", \"admin\"], \"users\", \"src/rpc/admin/users.rs\", &[self::rpc::admin::users::__pop_plugin_list()]);",
    );
    at("pub port: u16,");
    at("/// The address\n    pub addr: ::std::string::String,");
    at("pub token: ::core::option::Option<::std::string::String>,");
    assert!(
        !code.contains("_private.rs") && !code.contains("hidden") && !code.contains("notes"),
        "{code}"
    );
    assert!(!code.contains("__pop_plugin_init") && !code.contains("__pop_plugin_cli"));
    assert!(output.watched.iter().any(|p| p.ends_with("src/rpc/admin")));
}

#[test]
fn a_missing_dyne_directory_is_named() {
    let fixture = Fixture::new(
        "missing",
        &[("src/conf.rs", CONF), ("src/poppy/init.rs", "")],
    );
    let err = generate_code(&fixture.input()).unwrap_err();
    assert!(
        err.contains("sub `rpc` to src/rpc, which is not a directory"),
        "{err}"
    );
}

#[test]
fn plugin_files_must_be_identifiers() {
    let fixture = Fixture::new(
        "badname",
        &[
            ("src/conf.rs", CONF),
            ("src/poppy/init.rs", ""),
            ("src/rpc/my-plugin.rs", ""),
        ],
    );
    let err = generate_code(&fixture.input()).unwrap_err();
    assert!(
        err.contains("my-plugin.rs") && err.contains("not a Rust identifier"),
        "{err}"
    );
    let fixture = Fixture::new(
        "keyword",
        &[
            ("src/conf.rs", CONF),
            ("src/poppy/init.rs", ""),
            ("src/rpc/type.rs", ""),
        ],
    );
    let err = generate_code(&fixture.input()).unwrap_err();
    assert!(err.contains("`type` is a Rust keyword"), "{err}");
}

#[test]
fn a_module_and_a_nested_sub_of_one_name_clash() {
    let fixture = Fixture::new(
        "clash",
        &[
            ("src/conf.rs", CONF),
            ("src/poppy/init.rs", ""),
            ("src/rpc/admin.rs", ""),
            ("src/rpc/admin/x.rs", ""),
        ],
    );
    let err = generate_code(&fixture.input()).unwrap_err();
    assert!(err.contains("both define `admin`"), "{err}");
}

#[test]
fn conf_rs_must_declare_all_four_tables() {
    let fixture = Fixture::new(
        "noconf",
        &[("src/conf.rs", "pub const DYNE: pop::Dyne = &[];")],
    );
    let err = generate_code(&fixture.input()).unwrap_err();
    assert!(err.contains("must declare `pub const CONFIG`"), "{err}");
}

#[test]
fn dyne_entries_stay_inside_src() {
    let conf = CONF.replace("(\"rpc\", &[\"rpc\"])", "(\"rpc\", &[\"../rpc\"])");
    let fixture = Fixture::new(
        "escape",
        &[("src/conf.rs", &conf), ("src/poppy/init.rs", "")],
    );
    let err = generate_code(&fixture.input()).unwrap_err();
    assert!(err.contains("must be a directory inside src/"), "{err}");
}

#[test]
fn dependencies_come_from_links_metadata_sorted() {
    let vars = vec![
        ("DEP_POP_ZED_POP_CRATE".to_owned(), "zed".to_owned()),
        ("PATH".to_owned(), "/bin".to_owned()),
        ("DEP_POP_EXT_POP_CRATE".to_owned(), "ext".to_owned()),
        ("DEP_OPENSSL_VERSION".to_owned(), "3".to_owned()),
    ];
    assert_eq!(pop_dependencies(vars.into_iter()), vec!["ext", "zed"]);
}
