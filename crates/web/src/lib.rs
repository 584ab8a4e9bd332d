//! convscope's web app: Yew components over the core, and the worker that runs heavy work.
//!
//! The math lives in `convscope-core`; this crate only shows it. Each page is one module in
//! [`pages`]; [`route`] maps the URL's hash to a page; [`agent`] is the web worker's task, [`core_worker`] the page's side of it.

pub mod agent;
pub mod app;
pub mod by_ptr;
pub mod canvas;
pub mod components;
pub mod core_worker;
pub mod fetch;
pub mod handoff;
pub mod hooks;
pub mod lab;
pub mod pages;
pub mod perf;
pub mod route;
pub mod storage;
pub mod trainer;
pub mod url;
pub mod wire;
pub mod worker_script;
