//! The URL state's text form, through the browser's `URLSearchParams` (`convscope_web::url`):
//! run with wasm-bindgen-test-runner:
//! `cargo test -p convscope-web --target wasm32-unknown-unknown --test url`.
#![cfg(target_arch = "wasm32")]

use convscope_web::lab::{ConvAction, ConvSettings, Kernel, PoolSettings};
use convscope_web::url::Query;
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[test]
fn text_round_trips_through_url_search_params() {
    let q = Query::from_pairs([
        ("input", "227×227×3"),
        ("layer", "MAX POOL1"),
        ("k", "1_−0.5"),
    ]);
    let text = q.encode();
    assert_eq!(
        text,
        "input=227%C3%97227%C3%973&layer=MAX+POOL1&k=1_%E2%88%920.5"
    );
    assert_eq!(Query::parse(&text), q);
    assert_eq!(Query::parse(&format!("?{text}")), q);
    // What a browser or a person may write: literal characters, %20, a stray `&`.
    let typed = Query::parse("net=alexnet-lecture&&input=227%C3%97227%C3%973&layer=MAX%20POOL1");
    assert_eq!(typed.get("input"), Some("227×227×3"));
    assert_eq!(typed.get("layer"), Some("MAX POOL1"));
    assert_eq!(Query::new().encode(), "");
}

#[test]
fn lab_settings_survive_the_text_form() {
    let mut s = ConvSettings::default();
    s.apply(ConvAction::Kernel(Kernel {
        size: 2,
        values: vec![1.0, -0.5, 1.0 / 9.0, 2.0],
    }));
    s.apply(ConvAction::Stride(2));
    let back = ConvSettings::from_query(&Query::parse(&s.to_query().encode()));
    assert_eq!(back, s);
    // Links written before the kernel's separator became `_` still read.
    let old = ConvSettings::from_query(&Query::parse("f=2&k=1,-0.5,0.25,2"));
    assert_eq!(old.kernel.values, vec![1.0, -0.5, 0.25, 2.0]);
    let p = PoolSettings::from_query(&Query::parse("f=3&s=1&op=avg"));
    assert_eq!(Query::parse(&p.to_query().encode()), p.to_query());
}
