//! Training throughput of LeNet-5: one optimizer step (forward, loss, backward, Adam) on a
//! batch of 64 images, single thread. Criterion reports images/s (throughput = 64
//! elements per iteration); a 60,000-image epoch takes 60,000 / that rate.
//!
//! Also the latency of one image through the network (`lenet5_infer`), the Classify page's
//! unit of work.
//!
//! `cargo bench -p convscope-core --bench train` (`-- lenet5_infer` for the latency alone)

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use convscope_core::arch::Architecture;
    use convscope_core::nn::network::{self, Mode, Network};
    use convscope_core::nn::{AdamConfig, LeNetConfig, Rng, Trainer};
    use criterion::{Criterion, Throughput};

    /// LeNet-5 in its two classic forms, as descriptions.
    const NETWORKS: [(&str, &str); 2] = [
        (
            "relu_max",
            "conv 6 5x5 pad 2, relu, maxpool 2, conv 16 5x5, relu, maxpool 2, flatten, linear 120, relu, linear 84, relu, linear 10",
        ),
        (
            "tanh_average",
            "conv 6 5x5 pad 2, tanh, avgpool 2, conv 16 5x5, tanh, avgpool 2, flatten, linear 120, tanh, linear 84, tanh, linear 10",
        ),
    ];

    pub fn train_step(c: &mut Criterion) {
        const BATCH: usize = 64;
        let mut rng = Rng::seed_from_u64(0);
        let images: Vec<f32> = (0..BATCH * 784).map(|_| rng.next_f32()).collect();
        let labels: Vec<u8> = (0..BATCH).map(|i| (i % 10) as u8).collect();
        let mut group = c.benchmark_group("lenet5_train");
        group.throughput(Throughput::Elements(BATCH as u64));
        for (name, config) in [
            ("relu_max", LeNetConfig::default()),
            ("tanh_average", LeNetConfig::lecun()),
        ] {
            let mut model = config.init(&mut rng).unwrap_or_else(|e| panic!("{e}"));
            let mut opt = AdamConfig::new(1e-4)
                .init()
                .unwrap_or_else(|e| panic!("{e}"));
            let mut trainer = Trainer::new();
            group.bench_function(format!("batch64_{name}"), |b| {
                b.iter(|| {
                    trainer
                        .train_batch(&mut model, &mut opt, &images, &labels)
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
        }
        // The same network built from its description.
        for (name, text) in NETWORKS {
            let arch = Architecture::from_text(text).unwrap_or_else(|e| panic!("{e}"));
            let mut net = Network::build(&arch, &mut rng).unwrap_or_else(|e| panic!("{e}"));
            let mut opt = AdamConfig::new(1e-4)
                .init()
                .unwrap_or_else(|e| panic!("{e}"));
            let mut trainer = network::Trainer::new();
            let mut step_rng = Rng::seed_from_u64(9);
            group.bench_function(format!("batch64_network_{name}"), |b| {
                b.iter(|| {
                    trainer
                        .train_batch(&mut net, &mut opt, &images, &labels, &mut step_rng)
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
        }
        group.finish();
    }

    /// One image through the network, as the Classify page asks the worker: input →
    /// every layer → probabilities.
    pub fn infer_one(c: &mut Criterion) {
        let mut rng = Rng::seed_from_u64(1);
        let image: Vec<f32> = (0..784).map(|_| rng.next_f32()).collect();
        let x = ndarray::ArrayView4::from_shape((1, 1, 28, 28), &image)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut group = c.benchmark_group("lenet5_infer");
        for (name, config) in [
            ("relu_max", LeNetConfig::default()),
            ("tanh_average", LeNetConfig::lecun()),
        ] {
            let model = config.init(&mut rng).unwrap_or_else(|e| panic!("{e}"));
            group.bench_function(format!("one_image_trace_{name}"), |b| {
                b.iter(|| model.forward_trace(x).unwrap_or_else(|e| panic!("{e}")));
            });
            let mut ws = convscope_core::nn::Workspace::new();
            group.bench_function(format!("one_image_trace_kept_workspace_{name}"), |b| {
                b.iter(|| {
                    model
                        .forward_trace_with(x, &mut ws)
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
            group.bench_function(format!("one_image_logits_{name}"), |b| {
                b.iter(|| {
                    model
                        .logits_with(&image, 1, &mut ws)
                        .map(|l| l[0])
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
        }
        for (name, text) in NETWORKS {
            let arch = Architecture::from_text(text).unwrap_or_else(|e| panic!("{e}"));
            let net = Network::build(&arch, &mut rng).unwrap_or_else(|e| panic!("{e}"));
            let mut ws = network::Workspace::new();
            let mut r = Rng::seed_from_u64(0);
            group.bench_function(format!("one_image_logits_network_{name}"), |b| {
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
