//! Training throughput of LeNet-5: one optimizer step (forward, loss, backward, Adam) on a
//! batch of 64 images, single thread. Criterion reports images/s (throughput = 64
//! elements per iteration); a 60,000-image epoch takes 60,000 / that rate.
//!
//! `cargo bench -p convscope-core --bench train`

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use convscope_core::nn::{AdamConfig, LeNetConfig, Rng, Trainer};
    use criterion::{Criterion, Throughput};

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
        group.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::train_step);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
