//! Each shipped model's MAC total against its published figure, within 2 %.
//!
//! The totals count the products only (convolutions, fully connected layers, attention); pools
//! and elementwise ops count no MACs. torchvision's model pages list "GFLOPS" that are in fact
//! multiply-accumulates (one MAC counted as one FLOP), measured at 224x224 with batch 1; papers
//! that say "mult-adds" mean MACs too.

use accel_sim::workload::shipped;

/// Relative tolerance: published figures are rounded to 2-3 significant digits.
const TOLERANCE: f64 = 0.02;

/// `(model, published MACs)`, each with its source.
const PUBLISHED: [(&str, f64); 9] = [
    // torchvision docs, ResNet18_Weights.IMAGENET1K_V1: "GFLOPS 1.81"
    // (https://pytorch.org/vision/stable/models/generated/torchvision.models.resnet18.html).
    ("resnet18", 1.81e9),
    // torchvision docs, ResNet50_Weights.IMAGENET1K_V1: "GFLOPS 4.09" (the v1.5 layout;
    // He et al., CVPR 2016, Table 1 gives 3.8e9 for the original v1 with stride on the 1x1).
    ("resnet50", 4.09e9),
    // torchvision docs, VGG16_Weights.IMAGENET1K_V1: "GFLOPS 15.47".
    ("vgg16", 15.47e9),
    // torchvision docs, AlexNet_Weights.IMAGENET1K_V1: "GFLOPS 0.71" (the 64-192-384-256-256
    // single-tower variant of Krizhevsky, arXiv:1404.5997).
    ("alexnet", 0.71e9),
    // Howard et al., "MobileNets", arXiv:1704.04861, Table 8 (and Table 4): 1.0 MobileNet-224,
    // 569 million mult-adds.
    ("mobilenet_v1", 569e6),
    // Sandler et al., "MobileNetV2", CVPR 2018, Table 4: MobileNetV2 (1.0, 224), 300 M
    // multiply-adds; torchvision docs, MobileNet_V2_Weights.IMAGENET1K_V1: "GFLOPS 0.30".
    ("mobilenet_v2", 300e6),
    // BERT-base at sequence 128, batch 1: TinyBERT (Jiao et al., Findings of EMNLP 2020,
    // Table 1, the BERT-base teacher) lists 22.5 G FLOPs = 11.25 G MACs. The architecture
    // (Devlin et al., NAACL 2019: 12 layers, hidden 768, FFN 3072, 12 heads) gives 11.17 G
    // exactly; see `bert_base_matches_its_derivation_exactly`.
    ("bert_base", 22.5e9 / 2.0),
    // NeuroSim's VGG-8 on CIFAR-10: DNN_NeuroSim_V1.4 Data/1.4_Release_test.csv logs
    // numComputation = 1.23184e9 operations per image, 2 per MAC.
    ("vgg8_cifar10", 1.23184e9 / 2.0),
    // One LLaMA-2-7B decode step at a 1024-token context: every weight but the embedding
    // table is used once per token (Touvron et al., arXiv:2307.09288: 6.74 B parameters;
    // the 32000 x 4096 embedding is a gather), plus the two products over the cache,
    // 2 x n_layer x n_ctx x d_model (Kaplan et al., arXiv:2001.08361, Table 1, counts the
    // Q.K term n_layer n_ctx d_attn; P.V is the same again).
    (
        "llama2_7b_decode_step",
        6.74e9 - 32000.0 * 4096.0 + 2.0 * 32.0 * 1024.0 * 4096.0,
    ),
];

#[test]
fn every_shipped_model_has_a_published_figure() {
    let mut checked: Vec<&str> = PUBLISHED.iter().map(|(name, _)| *name).collect();
    checked.sort_unstable();
    assert_eq!(checked, shipped::NAMES);
}

#[test]
fn shipped_model_macs_match_published_figures() {
    let mut failures = Vec::new();
    for (name, published) in PUBLISHED {
        let workload = shipped::load(name).unwrap_or_else(|e| panic!("{e}"));
        let macs = workload.macs() as f64;
        let error = (macs - published) / published;
        if error.abs() > TOLERANCE {
            failures.push(format!(
                "{name}: {macs:.4e} MACs vs published {published:.4e} ({:+.2} %)",
                100.0 * error
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bert_base_matches_its_derivation_exactly() {
    // Integer arithmetic, no tolerance. Sequence s = 128, hidden H = 768, FFN 4H = 3072:
    //   per layer: Q, K, V, O projections 4 s H^2 = 301,989,888
    //              FFN 2 s H (4H)              = 603,979,776
    //              Q K^T and P V  2 s^2 H      =  25,165,824
    //   12 layers: 12 x 931,135,488 = 11,173,625,856, plus the pooler H^2 = 589,824.
    let (s, h) = (128u64, 768u64);
    let per_layer = 4 * s * h * h + 2 * s * h * (4 * h) + 2 * s * s * h;
    assert_eq!(per_layer, 931_135_488);
    let expected = 12 * per_layer + h * h;
    assert_eq!(shipped::load("bert_base").unwrap().macs(), expected);
}
