//! Shipped models: `workloads/models/*.toml` (layer lists) and `workloads/llm/*.toml` (LLM
//! hyperparameters), embedded in the binary so `accel sim resnet50` works from any directory.
//! Each file's header says what the network is and where its numbers come from.

use std::path::Path;

use crate::error::InputError;
use crate::workload::llm::LlmModel;
use crate::workload::{AnyWorkload, Workload};

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

/// Each shipped LLM: name, then its TOML text.
const LLMS: [(&str, &str); 8] = [
    ("gpt2", include_str!("../../../workloads/llm/gpt2.toml")),
    (
        "llama2_13b",
        include_str!("../../../workloads/llm/llama2_13b.toml"),
    ),
    (
        "llama2_70b",
        include_str!("../../../workloads/llm/llama2_70b.toml"),
    ),
    (
        "llama2_7b",
        include_str!("../../../workloads/llm/llama2_7b.toml"),
    ),
    (
        "llama3_70b",
        include_str!("../../../workloads/llm/llama3_70b.toml"),
    ),
    (
        "llama3_8b",
        include_str!("../../../workloads/llm/llama3_8b.toml"),
    ),
    (
        "mixtral_8x7b",
        include_str!("../../../workloads/llm/mixtral_8x7b.toml"),
    ),
    (
        "opt_1_3b",
        include_str!("../../../workloads/llm/opt_1_3b.toml"),
    ),
];

/// Names of the shipped LLMs, alphabetically (the file stems of `workloads/llm/*.toml`).
pub const LLM_NAMES: &[&str] = &[
    "gpt2",
    "llama2_13b",
    "llama2_70b",
    "llama2_7b",
    "llama3_70b",
    "llama3_8b",
    "mixtral_8x7b",
    "opt_1_3b",
];

/// Every shipped LLM as `(name, TOML text)`.
pub fn llms() -> impl Iterator<Item = (&'static str, &'static str)> {
    LLMS.into_iter()
}

/// Loads a shipped LLM by name.
pub fn load_llm(name: &str) -> Result<LlmModel, InputError> {
    let (path, text) = find(llms(), "llm", name)?;
    LlmModel::parse(Path::new(&path), text)
}

/// The repository path and text of shipped file `name` in `workloads/<folder>/`.
fn find(
    mut files: impl Iterator<Item = (&'static str, &'static str)>,
    folder: &str,
    name: &str,
) -> Result<(String, &'static str), InputError> {
    let (name, text) = files
        .find(|(n, _)| *n == name)
        .ok_or_else(|| unknown(name))?;
    Ok((format!("workloads/{folder}/{name}.toml"), text))
}

/// Loads a shipped layer model or LLM by name.
pub fn load_any(name: &str) -> Result<AnyWorkload, InputError> {
    if LLM_NAMES.contains(&name) {
        return load_llm(name).map(AnyWorkload::Llm);
    }
    load(name).map(AnyWorkload::Layers)
}

fn unknown(name: &str) -> InputError {
    InputError::UnknownWorkload {
        name: name.to_string(),
        allowed: format!("{}, or the LLMs {}", NAMES.join(", "), LLM_NAMES.join(", ")),
    }
}

/// Every shipped model as `(name, TOML text)`.
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    MODELS.into_iter()
}

/// Loads a shipped model by name; errors name the model's path in the repository.
pub fn load(name: &str) -> Result<Workload, InputError> {
    let (path, text) = find(all(), "models", name)?;
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

    fn stems(folder: &str) -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../workloads")
            .join(folder);
        let mut stems: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "toml")
                    .then(|| path.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        stems.sort();
        stems
    }

    #[test]
    fn shipped_directory_holds_exactly_the_embedded_models() {
        // A new workloads/models/*.toml must be added to MODELS and NAMES, a new
        // workloads/llm/*.toml to LLMS and LLM_NAMES.
        assert_eq!(stems("models"), NAMES);
        assert_eq!(stems("llm"), LLM_NAMES);
        let embedded: Vec<&str> = llms().map(|(n, _)| n).collect();
        assert_eq!(embedded, LLM_NAMES);
    }

    #[test]
    fn every_shipped_llm_loads_under_its_own_name() {
        for name in LLM_NAMES {
            let m = load_llm(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(m.name, *name);
            assert!(matches!(load_any(name), Ok(AnyWorkload::Llm(_))));
        }
    }

    #[test]
    fn rejects_unknown_name_listing_the_shipped_ones() {
        let msg = load("resnet51").unwrap_err().to_string();
        assert!(msg.contains("`resnet51`"), "{msg}");
        assert!(msg.contains(&NAMES.join(", ")), "{msg}");
        assert!(msg.contains(&LLM_NAMES.join(", ")), "{msg}");
    }
}
