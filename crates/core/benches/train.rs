//! Training throughput of the shipped networks (LeNet-5 in its two classic forms, the
//! residual Fashion-MNIST network): one optimizer step (forward, loss, backward, Adam) on a
//! batch of 64 images, single thread. Criterion reports images/s (throughput = 64
//! elements per iteration); a 60,000-image epoch takes 60,000 / that rate.
//!
//! Also the latency of one image through each network (`infer`), the Classify page's unit
//! of work.
//!
//! `cargo bench -p convscope-core --bench train` (`-- infer` for the latency alone)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use convscope_core::arch::{Architecture, zoo};
    use convscope_core::data::IMAGE_PIXELS;
    use convscope_core::nn::{AdamConfig, Mode, Network, Rng, Trainer, Workspace};
    use convscope_core::{Activation, PoolKind};
    use criterion::{Criterion, Throughput};

    /// LeNet-5 in its two classic forms and the shipped residual network.
    fn networks() -> [(&'static str, Architecture); 3] {
        [
            ("lenet5_relu_max", zoo::lenet5()),
            (
                "lenet5_tanh_average",
                zoo::lenet5_with(Activation::Tanh, PoolKind::Average),
            ),
            (
                "fashion_resnet",
                Architecture::parse_description(include_str!(
                    "../../../www/nets/fashion-resnet.json"
                ))
                .unwrap_or_else(|e| panic!("{e}")),
            ),
        ]
    }

    pub fn train_step(c: &mut Criterion) {
        const BATCH: usize = 64;
        let mut rng = Rng::seed_from_u64(0);
        let images: Vec<f32> = (0..BATCH * IMAGE_PIXELS).map(|_| rng.next_f32()).collect();
        let labels: Vec<u8> = (0..BATCH).map(|i| (i % 10) as u8).collect();
        let mut group = c.benchmark_group("train");
        group.throughput(Throughput::Elements(BATCH as u64));
        for (name, arch) in networks() {
            let mut net = Network::build(&arch, &mut rng).unwrap_or_else(|e| panic!("{e}"));
            let mut opt = AdamConfig::new(1e-4)
                .init()
                .unwrap_or_else(|e| panic!("{e}"));
            let mut trainer = Trainer::new();
            let mut step_rng = Rng::seed_from_u64(9);
            group.bench_function(format!("batch64_{name}"), |b| {
                b.iter(|| {
                    trainer
                        .train_batch(&mut net, &mut opt, &images, &labels, &mut step_rng)
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
        }
        group.finish();
    }

    /// One image through the network with a kept workspace, as the Classify page asks the
    /// worker: input → every layer (kept in the workspace) → logits.
    pub fn infer_one(c: &mut Criterion) {
        let mut rng = Rng::seed_from_u64(1);
        let image: Vec<f32> = (0..IMAGE_PIXELS).map(|_| rng.next_f32()).collect();
        let mut group = c.benchmark_group("infer");
        for (name, arch) in networks() {
            let net = Network::build(&arch, &mut rng).unwrap_or_else(|e| panic!("{e}"));
            let mut ws = Workspace::new();
            let mut r = Rng::seed_from_u64(0);
            group.bench_function(format!("one_image_{name}"), |b| {
                b.iter(|| {
                    net.forward(&image, 1, Mode::Eval, &mut ws, &mut r)
                        .map(|l| l[0])
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
        }
        group.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::train_step, native::infer_one);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
