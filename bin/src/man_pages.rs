//! The man pages of `ctswitch`, written from its clap definition:
//! `man/ctswitch.8` and one `man/ctswitch-VERB.8` per verb. The test keeps
//! the committed pages in step with the CLI; run it with
//! `CTSWITCH_BLESS=1` to rewrite them after changing a verb or option.

use std::path::Path;

use clap::CommandFactory;

use crate::Cli;

/// Every page: file name and roff text.
fn pages() -> Vec<(String, Vec<u8>)> {
    let top = Cli::command();
    let mut pages = vec![("ctswitch.8".to_string(), render(top.clone()))];
    for verb in top.get_subcommands().filter(|v| v.get_name() != "help") {
        let name = format!("ctswitch-{}", verb.get_name());
        pages.push((format!("{name}.8"), render(verb.clone().name(name))));
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

#[test]
fn man_pages_are_in_step_with_the_cli() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../man");
    let bless = std::env::var_os("CTSWITCH_BLESS").is_some();
    for (file, page) in pages() {
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
