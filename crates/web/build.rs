// Decides whether the PostgreSQL half of the test suite runs: with
// `WILLIS_TEST_POSTGRES` or `CI` set when the tests are built, the cfg
// `willis_pg` is on and those tests run (and fail if the server cannot be
// reached); without either they are compiled as ignored, so `cargo test`
// reports them as skipped rather than passed.
//
// The same for the browser tests (`tests/browser.rs`, the cfg
// `willis_browser`): on with `CI` or `WILLIS_TEST_BROWSER` set, or when
// `chromium` and `chromedriver` are installed; then they run, and fail when
// the browser cannot be started.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(willis_pg)");
    println!("cargo:rerun-if-env-changed=WILLIS_TEST_POSTGRES");
    println!("cargo:rerun-if-env-changed=CI");
    if std::env::var_os("WILLIS_TEST_POSTGRES").is_some() || std::env::var_os("CI").is_some() {
        println!("cargo:rustc-cfg=willis_pg");
    }

    println!("cargo::rustc-check-cfg=cfg(willis_browser)");
    println!("cargo:rerun-if-env-changed=WILLIS_TEST_BROWSER");
    println!("cargo:rerun-if-env-changed=PATH");
    let installed = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
    };
    if std::env::var_os("CI").is_some()
        || std::env::var_os("WILLIS_TEST_BROWSER").is_some()
        || (installed("chromium") && installed("chromedriver"))
    {
        println!("cargo:rustc-cfg=willis_browser");
    }
}
