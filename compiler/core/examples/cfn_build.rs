//! Writes every output of `sagac_core::emit::build` for one spec into a
//! directory: `cargo run -p sagac-core --example cfn_build -- SPEC OUT_DIR`.
//!
//! The test suite's fallback when the `sagac` binary has no `build`
//! command; the CLI is the real front end.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, out] = args.as_slice() else {
        eprintln!("usage: cfn_build SPEC OUT_DIR");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(spec) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {spec}: {e}");
            return ExitCode::from(2);
        }
    };
    let saga = match sagac_core::compile_bytes(spec, &bytes) {
        Ok(saga) => saga,
        Err((file, diagnostics)) => {
            eprint!(
                "{}",
                sagac_core::diagnostic::render_with(&file, &diagnostics, false)
            );
            return ExitCode::from(1);
        }
    };
    for file in sagac_core::emit::build(&saga) {
        let path = Path::new(out).join(&file.path);
        if let Some(parent) = path.parent()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            eprintln!("error: cannot create {}: {e}", parent.display());
            return ExitCode::from(2);
        }
        if let Err(e) = std::fs::write(&path, file.contents) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
