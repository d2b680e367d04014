//! Shipped models: `workloads/models/*.toml`, embedded in the binary so `accel sim resnet50`
//! works from any directory. Each file's header says what the network is and where its shapes
//! come from.

use std::path::Path;

use crate::error::InputError;
use crate::workload::Workload;

/// Each shipped model: name, then its TOML text.
const MODELS: [(&str, &str); 9] = [
    (
        "alexnet",
        include_str!("../../../workloads/models/alexnet.toml"),
    ),
    (
        "bert_base",
        include_str!("../../../workloads/models/bert_base.toml"),
    ),
    (
        "llama2_7b_decode_step",
        include_str!("../../../workloads/models/llama2_7b_decode_step.toml"),
    ),
    (
        "mobilenet_v1",
        include_str!("../../../workloads/models/mobilenet_v1.toml"),
    ),
    (
        "mobilenet_v2",
        include_str!("../../../workloads/models/mobilenet_v2.toml"),
    ),
    (
        "resnet18",
        include_str!("../../../workloads/models/resnet18.toml"),
    ),
    (
        "resnet50",
        include_str!("../../../workloads/models/resnet50.toml"),
    ),
    (
        "vgg16",
        include_str!("../../../workloads/models/vgg16.toml"),
    ),
    (
        "vgg8_cifar10",
        include_str!("../../../workloads/models/vgg8_cifar10.toml"),
    ),
];

/// Names of the shipped models, alphabetically (the file stems of `workloads/models/*.toml`).
pub const NAMES: &[&str] = &[
    "alexnet",
    "bert_base",
    "llama2_7b_decode_step",
    "mobilenet_v1",
    "mobilenet_v2",
    "resnet18",
    "resnet50",
    "vgg16",
    "vgg8_cifar10",
];

/// Every shipped model as `(name, TOML text)`.
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    MODELS.into_iter()
}

/// Loads a shipped model by name; errors name the model's path in the repository.
pub fn load(name: &str) -> Result<Workload, InputError> {
    let (name, text) =
        all()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| InputError::UnknownWorkload {
                name: name.to_string(),
                allowed: NAMES.join(", "),
            })?;
    let path = format!("workloads/models/{name}.toml");
    super::toml::parse(Path::new(&path), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_embedded_models() {
        let embedded: Vec<&str> = all().map(|(n, _)| n).collect();
        assert_eq!(embedded, NAMES);
    }

    #[test]
    fn every_shipped_model_parses_under_its_own_name() {
        for name in NAMES {
            let w = load(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(w.name, *name);
            assert!(w.macs() > 0, "{name}");
        }
    }

    #[test]
    fn shipped_directory_holds_exactly_the_embedded_models() {
        // A new workloads/models/*.toml must be added to MODELS and NAMES.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/models");
        let mut stems: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        stems.sort();
        assert_eq!(stems, NAMES);
    }

    #[test]
    fn rejects_unknown_name_listing_the_shipped_ones() {
        let msg = load("resnet51").unwrap_err().to_string();
        assert!(msg.contains("`resnet51`"), "{msg}");
        assert!(msg.contains(&NAMES.join(", ")), "{msg}");
    }
}
