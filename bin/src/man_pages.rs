//! Man pages written from the binaries' clap definitions, and the check
//! that keeps the committed ones in `man/` in step: `ctswitch.8` with one
//! `ctswitch-VERB.8` per verb, and `ctswitchd.8`. Run the tests with
//! `CTSWITCH_BLESS=1` to rewrite the pages after changing an option.
//! (Both binaries include this file in their tests.)

use std::path::Path;

/// The page of `cmd`, and one per subcommand if `per_verb`.
pub fn pages(top: clap::Command, per_verb: bool) -> Vec<(String, Vec<u8>)> {
    let name = top.get_name().to_string();
    let mut pages = vec![(format!("{name}.8"), render(top.clone()))];
    if per_verb {
        for verb in top.get_subcommands().filter(|v| v.get_name() != "help") {
            let verb_name = format!("{name}-{}", verb.get_name());
            pages.push((
                format!("{verb_name}.8"),
                render(verb.clone().name(verb_name)),
            ));
        }
    }
    pages
}

fn render(cmd: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd)
        .section("8")
        .manual("ctswitch Manual");
    man.render(&mut out)
        .expect("rendering into memory cannot fail");
    out
}

/// Fails unless every page is in `man/` as written.
pub fn assert_in_step(pages: Vec<(String, Vec<u8>)>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../man");
    let bless = std::env::var_os("CTSWITCH_BLESS").is_some();
    for (file, page) in pages {
        let path = dir.join(&file);
        if bless {
            std::fs::write(&path, &page).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_default();
        assert!(
            on_disk == page,
            "{} is stale: rerun with CTSWITCH_BLESS=1",
            path.display()
        );
    }
}
