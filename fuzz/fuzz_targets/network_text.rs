//! A network description typed on the Train page or given to `convscope arch --net`:
//! `Architecture::parse_description` (text or JSON). On success the text form must read
//! back to the same network, the description is evaluated for its input, and a network
//! small enough is built.
#![no_main]

use convscope_core::arch::Architecture;
use convscope_core::nn::{Network, Rng};
use libfuzzer_sys::fuzz_target;

/// The most parameters a network may have for the fuzzer to build it.
const BUILD_PARAMS: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(arch) = Architecture::parse_description(line) else {
        return;
    };
    let text = arch.to_text();
    match Architecture::from_text(&text) {
        Ok(back) => {
            assert_eq!(back.input, arch.input, "input of {text}");
            assert_eq!(back.layers, arch.layers, "layers of {text}");
            assert_eq!(back.to_text(), text);
        }
        Err(e) => panic!("the printed form {text:?} does not parse: {e}"),
    }
    let Ok(report) = arch.evaluate() else {
        return;
    };
    assert_eq!(report.layers.len(), arch.layers.len());
    assert_eq!(arch.evaluate_with_input(report.input), Ok(report.clone()));
    if report.totals.params <= BUILD_PARAMS
        && let Ok(net) = Network::build(&arch, &mut Rng::seed_from_u64(1))
    {
        assert_eq!(net.parameter_count(), report.totals.params);
        let stored: usize = net.parameters().iter().map(|t| t.data.len()).sum();
        assert_eq!(stored as u64, report.totals.params);
    }
});
