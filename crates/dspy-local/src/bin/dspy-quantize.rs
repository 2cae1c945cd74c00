//! Converts the quantized matrices of a GGUF model to another type (default Q8_0).
//!
//! Usage: `dspy-quantize IN.gguf OUT.gguf [q8_0|q4_0|f16]`. `scripts/fetch-model.sh` runs it to
//! turn SmolLM2's Q4_1 file into Q8_0: the format `dspy-local`'s int8 kernels run, so the file
//! loads with a copy instead of a requantization (any type loads; others are converted at load).

use std::path::Path;
use std::process::ExitCode;

use candle_core::quantized::GgmlDType;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (src, dst, ty) = match args.as_slice() {
        [s, d] => (s, d, "q8_0"),
        [s, d, t] => (s, d, t.as_str()),
        _ => {
            eprintln!("usage: dspy-quantize IN.gguf OUT.gguf [q8_0|q4_0|f16]");
            return ExitCode::from(2);
        }
    };
    let dtype = match ty.to_ascii_lowercase().as_str() {
        "q8_0" => GgmlDType::Q8_0,
        "q4_0" => GgmlDType::Q4_0,
        "f16" => GgmlDType::F16,
        other => {
            eprintln!("dspy-quantize: unknown type {other:?}; use q8_0, q4_0 or f16");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    match dspy_local::requantize_gguf(Path::new(src), Path::new(dst), dtype) {
        Ok(()) => {
            eprintln!("wrote {dst} ({ty}) in {:.1?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dspy-quantize: {e}");
            ExitCode::FAILURE
        }
    }
}
